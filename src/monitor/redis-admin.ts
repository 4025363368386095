// Runs the failover engine's Redis operations (RedisOp in failover/engine.ts) on real nodes.
// A connection of its own per node, so an admin command never queues behind a hung probe, and
// one operation at a time per node. Every operation has a deadline, and every outcome is a
// RedisOpResult: this never throws. The commands themselves are in admin-ops.ts.
import type { RedisOp, RedisOpResult } from '../failover/engine.js';
import { silentLogger, type Logger } from '../util/log.js';
import { performOp, type OpWarning } from './admin-ops.js';
import { classifyError } from './classify.js';
import { connectionKey, connectionOptionsFor, type ProbeTarget } from './connection.js';
import { RespClient } from './resp-client.js';

export interface RedisAdminOptions {
  readonly sourceAddress?: string | null;
  readonly logger?: Logger;
  /** Deadline of one operation, connecting included. Below the engine's 3 s "lost" limit. */
  readonly timeoutMs?: number;
  /** An admin connection unused this long is closed (it reopens on the next operation). */
  readonly idleCloseMs?: number;
  readonly now?: () => number;
}

interface Slot {
  readonly key: string;
  readonly connKey: string;
  readonly conn: RespClient;
  lastError: string | null;
  idleTimer: NodeJS.Timeout | null;
}

const CLIENT_NAME = 'raftinel-admin';
const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_IDLE_CLOSE_MS = 60_000;

class OpTimeout extends Error {}
/** The node refused the connection's handshake (AUTH) or sent garbage: the reason, at once. */
class ConnectFault extends Error {}

export class RedisAdmin {
  private readonly slots = new Map<string, Slot>();
  /** Per node: the tail of its operations, so that they run one at a time in order. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private readonly sourceAddress: string | null;
  private readonly timeoutMs: number;
  private readonly idleCloseMs: number;
  private readonly now: () => number;
  /** Node and step pairs whose failure was already logged: said once, not per retry. */
  private readonly stepNoted = new Set<string>();
  private closed = false;

  constructor(options: RedisAdminOptions = {}) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'redis-admin' });
    this.sourceAddress = options.sourceAddress ?? null;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.idleCloseMs = options.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    this.now = options.now ?? (() => performance.now());
  }

  execute(target: ProbeTarget, op: RedisOp): Promise<RedisOpResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'redis admin is closed' });
    const key = keyOf(target);
    const run = (this.queues.get(key) ?? Promise.resolve()).then(() => this.run(target, op));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of [...this.slots.values()]) this.drop(slot);
  }

  // ---- connections ----------------------------------------------------------------------------

  private slot(target: ProbeTarget): Slot {
    const key = keyOf(target);
    const options = connectionOptionsFor(target, this.sourceAddress, CLIENT_NAME);
    const connKey = connectionKey(options);
    const existing = this.slots.get(key);
    if (existing && existing.connKey === connKey) return existing;
    if (existing) this.drop(existing);
    const conn = new RespClient(options);
    const slot: Slot = { key, connKey, conn, lastError: null, idleTimer: null };
    conn.on('error', (err: unknown) => {
      slot.lastError = classifyError(err).reason;
    });
    this.slots.set(key, slot);
    return slot;
  }

  /** Arms the idle close; the next operation on this node disarms it. */
  private idle(slot: Slot): void {
    if (this.slots.get(slot.key) !== slot) return;
    slot.idleTimer = setTimeout(() => this.drop(slot), this.idleCloseMs);
    slot.idleTimer.unref();
  }

  private drop(slot: Slot): void {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    slot.conn.close();
  }

  /**
   * Ready, or why not: an AUTH refusal or garbage fails the wait at once (the client would only
   * try again, and be refused again); anything else (refused, timed out) is waited out until the
   * deadline, as the node may come back.
   */
  private waitReady(slot: Slot, deadline: number): Promise<void> {
    const conn = slot.conn;
    if (conn.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (err: Error | null): void => {
        clearTimeout(timer);
        conn.off('ready', onReady);
        conn.off('error', onError);
        if (err === null) resolve();
        else reject(err);
      };
      const onReady = (): void => settle(null);
      const onError = (err: Error): void => {
        const c = classifyError(err);
        if (c.kind === 'fault') settle(new ConnectFault(c.reason));
      };
      const timer = setTimeout(
        () =>
          settle(
            new OpTimeout(
              `not connected within ${this.timeoutMs} ms${slot.lastError ? ` (${slot.lastError})` : ''}`,
            ),
          ),
        Math.max(0, deadline - this.now()),
      );
      conn.on('ready', onReady);
      conn.on('error', onError);
    });
  }

  // ---- operations -----------------------------------------------------------------------------

  private async run(target: ProbeTarget, op: RedisOp): Promise<RedisOpResult> {
    const started = this.now();
    const deadline = started + this.timeoutMs;
    const where = {
      shard: target.shard,
      node: target.node.id,
      host: target.node.host,
      port: target.node.port,
      op: op.kind,
    };
    if (this.closed) return { ok: false, error: 'redis admin is closed' };
    let slot: Slot;
    try {
      slot = this.slot(target);
    } catch (err) {
      return { ok: false, error: `cannot connect: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    let timer: NodeJS.Timeout | null = null;
    try {
      await this.waitReady(slot, deadline);
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new OpTimeout(`no answer within ${this.timeoutMs} ms`)),
          Math.max(0, deadline - this.now()),
        );
      });
      const { result, warnings } = await Promise.race([performOp(slot.conn, target, op), expired]);
      for (const w of warnings) this.warn(target, w);
      // Commands that change a node are worth an info line each; the read-only INSPECT is
      // polled every few ms while a failover waits for a link, so it logs at debug.
      const level = op.kind === 'inspect' ? 'debug' : 'info';
      this.log[level](
        { ...where, ok: result.ok, error: result.error, ms: Math.round(this.now() - started) },
        'redis operation done',
      );
      return result;
    } catch (err) {
      const message =
        err instanceof OpTimeout || err instanceof ConnectFault ? err.message : classifyError(err).reason;
      // A command that timed out may still run later; a fresh connection at least drops
      // anything of ours still waiting on this one. A refused handshake is not retried in the
      // background either: the next operation tries a new connection.
      if (err instanceof OpTimeout || err instanceof ConnectFault) this.drop(slot);
      // Debug only: every caller logs its failures (the failover driver at a rate limit, as the
      // engine may retry a node it cannot reach for a long time; the sidecar).
      this.log.debug(
        { ...where, error: message, ms: Math.round(this.now() - started) },
        'redis operation failed',
      );
      return { ok: false, error: message };
    } finally {
      if (timer) clearTimeout(timer);
      this.idle(slot);
    }
  }

  private warn(target: ProbeTarget, w: OpWarning): void {
    // Said once per node and step: the engine may repeat an operation many times, and a step
    // that fails for want of a config file, a renamed command or an ACL rule fails every time
    // (the preflight names the cause, docs/design.md 4.4).
    const key = `${keyOf(target)}\u0000${w.step}`;
    if (this.stepNoted.has(key)) return;
    this.stepNoted.add(key);
    const where = { shard: target.shard, node: target.node.id, step: w.step, error: w.error };
    if (w.step === 'CONFIG REWRITE') {
      this.log.warn(where, 'CONFIG REWRITE failed; the new role is not saved in the node config');
    } else {
      this.log.warn(where, 'a step of a redis operation failed; the operation itself succeeded');
    }
  }
}

function keyOf(target: ProbeTarget): string {
  return `${target.shard}\u0000${target.node.id}`;
}
