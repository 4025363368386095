// One real `raftinel node` child process for integration tests and the benchmark: it writes the
// node's YAML config, spawns the built binary, collects its stdout log lines, polls its HTTP
// routes, and signals it by PID only (never by name: other engineers' nodes share the machine).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ClusterView } from '../../src/cli/api.js';
import { getJson, postJson, type JsonReply } from './http.js';
import { StopWaiting, waitFor } from './wait.js';

/** dist/test/helpers/ -> dist/src/cli/main.js: the helpers always run from the build output. */
export const RAFTINEL_BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** The shapes of GET /v1/cluster: one definition, the CLI's (docs/design.md 5.2). */
export type { ClusterMember, ClusterView } from '../../src/cli/api.js';

/** GET /debug/state (only with --debug-routes). */
export interface DebugState {
  readonly count: number;
  readonly last: string | null;
  readonly term: number;
  readonly vote: string | null;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
}

export interface RaftTiming {
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly snapshotEntries?: number;
}

export interface NodeAddresses {
  readonly id: string;
  readonly raft: string;
  readonly http: string;
  readonly sentinel: string;
}

/** One Redis node of a shard in the generated config (docs/design.md 6a). */
export interface ShardNodeConfig {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly priority?: number;
  readonly noFailover?: boolean;
}

/** A shard of the generated config; settings (downAfterMs, quorum, ...) may be overridden per shard. */
export interface ShardConfig {
  readonly name: string;
  readonly nodes: readonly ShardNodeConfig[];
  readonly initialMaster?: string | null;
  readonly [setting: string]: unknown;
}

/** The `sidecar` block (docs/design.md 4.6, 6a): the node runs next to Redis node `redis`. */
export interface SidecarConfig {
  readonly redis: string;
  readonly fenceAfterMs?: number;
}

export interface RaftinelProcessOptions {
  readonly node: NodeAddresses;
  readonly cluster: string;
  readonly peers: readonly { readonly id: string; readonly raft: string }[];
  /** Folder for this node's config file; the data dir is `<dir>/data` unless dataDir is given. */
  readonly dir: string;
  readonly dataDir?: string;
  readonly raft?: RaftTiming;
  /** A Redis port for the placeholder shard the schema requires; nothing needs to listen there. */
  readonly redisPort: number;
  /** Real shards instead of the placeholder one. */
  readonly shards?: readonly ShardConfig[];
  /** The `defaults` block (shard settings). */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** node.sourceAddress: outgoing connections (peers, Redis) bound to this local address. */
  readonly sourceAddress?: string;
  /** node.announce: what others should dial (e.g. a fault proxy in front of the raft listener). */
  readonly announce?: { readonly raft?: string; readonly http?: string; readonly sentinel?: string };
  /** Sidecar mode next to one Redis node of the shards. */
  readonly sidecar?: SidecarConfig;
  readonly debugRoutes?: boolean;
  readonly logLevel?: string;
  /** peerAuth.secretFile: the cluster secret (docs/design.md 2); absent, loopback runs without one. */
  readonly peerSecretFile?: string;
  /** admin.tokenFile; absent, no admin block (admin routes on loopback only). */
  readonly adminTokenFile?: string;
  /** The `tls` block (listeners): file paths per listener. The helpers' own HTTP calls are plain. */
  readonly tls?: Readonly<
    Partial<Record<'peer' | 'sentinel' | 'http', { ca?: string; cert?: string; key?: string }>>
  >;
  /**
   * The node runs in a mount namespace of its own where this file is /etc/hosts: host names
   * that a test points at another address by rewriting the file in place (as DNS would move a
   * pod's name). Needs root (unshare, mount).
   */
  readonly hostsFile?: string;
  /**
   * Every run's stdout and stderr are appended to this file as they arrive, so that a harness
   * stopped by a signal or a node that dies still leaves its output on disk.
   */
  readonly outputFile?: string;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A run that ended without this helper asking it to (no SIGKILL/SIGTERM/SIGINT sent by it). */
export interface UnexpectedExit extends ExitStatus {
  /** Date.now() when the exit was seen. */
  readonly at: number;
  readonly stderr: string;
}

/** One parsed pino line. */
export interface LogEvent {
  readonly event?: string;
  readonly level?: string;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** The lines that parse as JSON log records; a non-JSON line (a crash trace) stays out. */
export function logEvents(lines: readonly string[]): LogEvent[] {
  const out: LogEvent[] = [];
  for (const line of lines) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null) out.push(parsed as LogEvent);
    } catch {
      // not a log record
    }
  }
  return out;
}

// Children still running, killed when the test process exits however it exits, so that a
// failed assertion or a crash never leaves raftinel nodes behind on a shared machine.
const live = new Map<number, ChildProcess>();
let exitHookInstalled = false;

function killAllSync(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Registers a child spawned outside RaftinelProcess for the same exit-time cleanup. */
export function trackChild(child: ChildProcess): void {
  installExitHook();
  const pid = child.pid;
  if (pid === undefined) return;
  live.set(pid, child);
  child.once('exit', () => live.delete(pid));
}

export class RaftinelProcess {
  readonly id: string;
  readonly configPath: string;
  readonly dataDir: string;
  readonly httpUrl: string;
  /** Every stdout line of every run of this node, in order. */
  readonly lines: string[] = [];
  /** stderr of the current run. */
  stderr = '';
  /** Runs that ended on their own (a crash, a fatal error): what a harness must report. */
  readonly unexpectedExits: UnexpectedExit[] = [];
  private child: ChildProcess | null = null;
  private endRequested = false;
  private exitStatus: Promise<ExitStatus> | null = null;
  private exited = true;

  constructor(readonly options: RaftinelProcessOptions) {
    this.id = options.node.id;
    mkdirSync(options.dir, { recursive: true });
    this.configPath = join(options.dir, `${this.id}.yaml`);
    this.dataDir = options.dataDir ?? join(options.dir, 'data');
    this.httpUrl = `http://${options.node.http}`;
    writeFileSync(this.configPath, stringify(this.configDocument()));
  }

  configDocument(): Record<string, unknown> {
    const o = this.options;
    return {
      cluster: o.cluster,
      node: {
        id: o.node.id,
        dataDir: this.dataDir,
        listen: { sentinel: o.node.sentinel, http: o.node.http, raft: o.node.raft },
        ...(o.sourceAddress !== undefined ? { sourceAddress: o.sourceAddress } : {}),
        ...(o.announce !== undefined ? { announce: { ...o.announce } } : {}),
      },
      peers: o.peers.map((p) => ({ id: p.id, raft: p.raft })),
      raft: { ...o.raft },
      ...(o.defaults !== undefined ? { defaults: { ...o.defaults } } : {}),
      shards: o.shards?.map((s) => ({ ...s, nodes: s.nodes.map((n) => ({ ...n })) })) ?? [
        {
          name: 'mymaster',
          nodes: [{ id: 'r1', host: '127.0.0.1', port: o.redisPort }],
          initialMaster: 'r1',
        },
      ],
      ...(o.sidecar !== undefined ? { sidecar: { ...o.sidecar } } : {}),
      ...(o.tls !== undefined ? { tls: { ...o.tls } } : {}),
      ...(o.peerSecretFile !== undefined ? { peerAuth: { secretFile: o.peerSecretFile } } : {}),
      ...(o.adminTokenFile !== undefined ? { admin: { tokenFile: o.adminTokenFile } } : {}),
      log: { level: o.logLevel ?? 'info' },
    };
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && !this.exited;
  }

  /** Spawns the node (again, after an exit: same config and data dir). */
  start(): void {
    if (this.running) throw new Error(`${this.id} is already running (pid ${this.pid})`);
    const args = [RAFTINEL_BIN, 'node', '--config', this.configPath];
    if (this.options.debugRoutes !== false) args.push('--debug-routes');
    // RAFTINEL_NODE_EXEC_ARGS: Node flags for every node process (e.g. --cpu-prof, which
    // NODE_OPTIONS does not allow), to profile a bench or a test.
    const execArgs = (process.env.RAFTINEL_NODE_EXEC_ARGS ?? '').split(' ').filter(Boolean);
    const command = [process.execPath, ...execArgs, ...args];
    // unshare and sh exec the next command: the PID is the node's own, as tests expect.
    const hosts = this.options.hostsFile;
    const wrapped = hosts
      ? [
          'unshare',
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount --bind "$0" /etc/hosts && exec "$@"',
          hosts,
          ...command,
        ]
      : command;
    const child = spawn(wrapped[0], wrapped.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = false;
    this.endRequested = false;
    this.stderr = '';
    trackChild(child);
    // Synchronous appends: nothing buffered in this process is lost if it exits on a signal.
    const out = this.options.outputFile !== undefined ? openSync(this.options.outputFile, 'a') : null;
    const save = (text: string): void => {
      if (out !== null) writeSync(out, text);
    };
    save(`--- ${new Date().toISOString()} start pid ${child.pid}\n`);
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      save(chunk);
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) if (line !== '') this.lines.push(line);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      save(chunk);
      this.stderr += chunk;
    });
    this.exitStatus = new Promise((resolve) => {
      // 'close' rather than 'exit': by then stdout is drained, so the last log lines are in.
      child.once('close', (code, signal) => {
        if (pending !== '') this.lines.push(pending);
        pending = '';
        this.exited = true;
        save(`\n--- ${new Date().toISOString()} exit code ${code} signal ${signal}\n`);
        if (out !== null) closeSync(out);
        if (!this.endRequested)
          this.unexpectedExits.push({ at: Date.now(), code, signal, stderr: this.stderr.slice(-4000) });
        resolve({ code, signal });
      });
      child.once('exit', () => {
        this.exited = true;
      });
    });
  }

  /** Sends a signal to this node's PID; false when it is not running. */
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.pid;
    if (pid === null || !this.running) return false;
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') this.endRequested = true;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves when the current run has exited (and its output is read); hang guard in ms. */
  async waitExit(timeoutMs = 10_000): Promise<ExitStatus> {
    if (this.exitStatus === null) throw new Error(`${this.id} was never started`);
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.id} (pid ${this.pid}) did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exitStatus, guard]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<ExitStatus | null> {
    if (!this.running) return null;
    this.signal('SIGKILL');
    return this.waitExit();
  }

  /** Cleanup: whatever state the node is in (even SIGSTOPped), it is gone afterwards. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.waitExit().catch(() => undefined);
  }

  get<T>(path: string, timeoutMs = 2000): Promise<JsonReply<T>> {
    return getJson<T>(this.httpUrl + path, { timeoutMs });
  }

  post<T>(path: string, body: unknown, timeoutMs = 5000): Promise<JsonReply<T>> {
    return postJson<T>(this.httpUrl + path, body, { timeoutMs });
  }

  async cluster(): Promise<ClusterView> {
    const r = await this.get<ClusterView>('/v1/cluster');
    if (r.status !== 200) throw new Error(`${this.id} /v1/cluster: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async debugState(): Promise<DebugState> {
    const r = await this.get<DebugState>('/debug/state');
    if (r.status !== 200) throw new Error(`${this.id} /debug/state: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async isLeader(): Promise<boolean> {
    return (await this.get('/leader')).status === 200;
  }

  /** Commits one debug entry through Raft; only the leader accepts it. */
  propose(
    value: string,
    timeoutMs = 5000,
  ): Promise<JsonReply<{ count?: number; index?: number; error?: { code: string } }>> {
    return this.post('/debug/propose', { value }, timeoutMs);
  }

  waitLive(timeoutMs = 10_000): Promise<true> {
    return waitFor(
      `${this.id} /livez`,
      async () => this.failIfExited() ?? ((await this.get('/livez')).status === 200 || undefined),
      { timeoutMs },
    );
  }

  waitReady(timeoutMs = 10_000): Promise<true> {
    return waitFor(
      `${this.id} /readyz`,
      async () => this.failIfExited() ?? ((await this.get('/readyz')).status === 200 || undefined),
      { timeoutMs },
    );
  }

  /** Waits for a log line of this node (any run) that matches. */
  waitForLog(what: string, match: (e: LogEvent) => boolean, timeoutMs = 10_000): Promise<LogEvent> {
    return waitFor(what, () => this.events().find(match), { timeoutMs, intervalMs: 50 });
  }

  /**
   * The log records since line `from` that match, once there is at least one. A Redis command's
   * effect is visible before the node's line about it reaches us through the pipe.
   */
  waitForEvents(
    what: string,
    from: number,
    match: (e: LogEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<LogEvent[]> {
    return waitFor(
      what,
      () => {
        const found = this.events(from).filter(match);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs, intervalMs: 20 },
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${this.tail(40)}`);
    });
  }

  /** The stdout lines (from line index `from` on) that parse as JSON log records. */
  events(from = 0): LogEvent[] {
    return logEvents(this.lines.slice(from));
  }

  /** The last lines of output, for assertion messages. */
  tail(n = 20): string {
    return [...this.lines.slice(-n), this.stderr.trim()].filter((l) => l !== '').join('\n');
  }

  // A waiter on a dead process should fail at once with its output, not after the deadline.
  private failIfExited(): undefined {
    if (!this.running) throw new StopWaiting(`${this.id} is not running; output:\n${this.tail()}`);
    return undefined;
  }
}
