// Runs the preflight (preflight.ts) of every Redis node this node knows: at start, for each node
// that appears, and again every few minutes; keeps the last result per node for GET /v1/shards
// and `raftinel status`, and logs a node's problems when they change (not on every run).
import { silentLogger, type Logger } from '../util/log.js';
import { classifyError } from './classify.js';
import { connectionOptionsFor, type ProbeTarget } from './connection.js';
import { preflight, type PreflightProblem } from './preflight.js';
import { RespClient } from './resp-client.js';

export interface PreflightEntry {
  readonly node: string;
  readonly version: string | null;
  readonly problems: readonly PreflightProblem[];
}

export interface PreflightRunnerOptions {
  readonly sourceAddress?: string | null;
  readonly logger?: Logger;
  /** Deadline of one node's preflight, connecting included. */
  readonly timeoutMs?: number;
  /** How often every node is checked again. */
  readonly intervalMs?: number;
}

const CLIENT_NAME = 'raftinel-preflight';
/** A node that did not answer is tried again this soon. */
const RETRY_MS = 10_000;

export class PreflightRunner {
  private readonly results = new Map<string, PreflightEntry>();
  private readonly logged = new Map<string, string>();
  private targets = new Map<string, ProbeTarget>();
  private readonly log: Logger;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: PreflightRunnerOptions = {}) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'preflight' });
    this.timer = setInterval(() => this.runAll(), options.intervalMs ?? 300_000);
    this.timer.unref();
  }

  /** The current Redis nodes; new ones (or changed addresses) are checked at once. */
  setTargets(targets: readonly ProbeTarget[]): void {
    const next = new Map(targets.map((t) => [keyOf(t.shard, t.node.id), t]));
    const fresh = targets.filter((t) => {
      const old = this.targets.get(keyOf(t.shard, t.node.id));
      return !old || !sameAddress(old, t);
    });
    for (const key of this.results.keys()) if (!next.has(key)) this.results.delete(key);
    this.targets = next;
    for (const t of fresh) this.start(t);
  }

  /** This node's last preflight of each node of a shard. */
  ofShard(shard: string): PreflightEntry[] {
    const out: PreflightEntry[] = [];
    for (const [key, entry] of this.results) if (key.startsWith(`${shard}\u0000`)) out.push(entry);
    return out;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private runAll(): void {
    for (const t of this.targets.values()) this.start(t);
  }

  private start(target: ProbeTarget): void {
    this.run(target).catch((err: unknown) =>
      this.log.debug({
        event: 'redis-preflight-failed',
        shard: target.shard,
        node: target.node.id,
        err: String(err),
      }),
    );
  }

  private async run(target: ProbeTarget): Promise<void> {
    if (this.closed) return;
    const key = keyOf(target.shard, target.node.id);
    let entry: PreflightEntry | null = null;
    let failure: string | null = null;
    let lastError: string | null = null;
    let conn: RespClient | null = null;
    try {
      // Throws on unreadable TLS files: a failure like an unreachable node, tried again later.
      const client = new RespClient(
        connectionOptionsFor(target, this.options.sourceAddress ?? null, CLIENT_NAME),
      );
      conn = client;
      client.on('error', (err: unknown) => {
        lastError = classifyError(err).reason;
      });
      const result = await withDeadline(client, this.options.timeoutMs ?? 3000, () =>
        preflight(client, target),
      );
      entry = { node: target.node.id, ...result };
    } catch (err) {
      const c = classifyError(err);
      if (err instanceof Deadline || c.kind === 'transport') {
        // Unreachable: the prober already says so; the preflight waits for the node to answer.
        failure = err instanceof Deadline ? `${err.message}${lastError ? ` (${lastError})` : ''}` : c.reason;
      } else {
        entry = {
          node: target.node.id,
          version: null,
          problems: [{ severity: 'error', message: `preflight failed: ${c.reason}` }],
        };
      }
    } finally {
      conn?.close();
    }
    // Targets are rebuilt on every topology change: a result stands while the address does.
    const current = this.targets.get(key);
    if (this.closed || !current || !sameAddress(current, target)) return;
    if (entry === null) {
      this.results.delete(key);
      this.log.debug({
        event: 'redis-preflight-unreachable',
        shard: target.shard,
        node: target.node.id,
        reason: failure,
      });
      setTimeout(() => {
        const now = this.targets.get(key);
        if (now && sameAddress(now, target) && !this.results.has(key)) this.start(now);
      }, RETRY_MS).unref();
      return;
    }
    this.results.set(key, entry);
    this.report(target, entry);
  }

  private report(target: ProbeTarget, entry: PreflightEntry): void {
    const key = keyOf(target.shard, target.node.id);
    const said = JSON.stringify(entry.problems);
    if (this.logged.get(key) === said) return;
    this.logged.set(key, said);
    const where = {
      event: 'redis-preflight',
      shard: target.shard,
      node: target.node.id,
      version: entry.version,
    };
    if (entry.problems.length === 0) this.log.info({ ...where, ok: true }, 'redis preflight passed');
    for (const p of entry.problems)
      this.log.warn({ ...where, severity: p.severity, problem: p.message }, p.message);
  }
}

class Deadline extends Error {}

async function withDeadline<T>(conn: RespClient, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Deadline(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const ready = conn.ready
      ? Promise.resolve()
      : new Promise<void>((resolve) => conn.once('ready', resolve));
    return await Promise.race([ready.then(work), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function sameAddress(a: ProbeTarget, b: ProbeTarget): boolean {
  return a.node.host === b.node.host && a.node.port === b.node.port;
}

function keyOf(shard: string, node: string): string {
  return `${shard}\u0000${node}`;
}
