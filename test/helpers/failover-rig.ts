// A whole failover setup for real-process tests: per shard one master and its replicas as real
// redis-server processes, optionally each behind a fault proxy (then the raftinel config and the
// replicas' REPLICAOF both name the proxy, and each Redis node binds its own outgoing connections
// to its own loopback address so that a proxy can tell replication links apart), and three
// `raftinel node` processes whose outgoing connections come from 127.0.0.2, .3 and .4, optionally
// with their raft listeners behind fault proxies too. Everything is started on free ports and
// stopped by PID in destroy().
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyTopologyCommand } from '../../src/failover/topology.js';
import type { CandidateReport, HistoryEntry, TopologyCommand } from '../../src/failover/types.js';
import { ClusterState } from '../../src/node/cluster-state.js';
import { nodeFs } from '../../src/storage/fs.js';
import { decodeFrameAt } from '../../src/storage/record.js';
import { readSnapshotFile } from '../../src/storage/snapshot-files.js';
import { toWalRecord, WAL_FILE, type SnapshotRef } from '../../src/storage/wal.js';
import { FaultProxy } from './fault-proxy.js';
import { RaftinelCluster, sourceAddressOf } from './raftinel-cluster.js';
import type { RaftinelProcess, RaftTiming, ShardConfig } from './raftinel-process.js';
import { redisRole, type RoleView } from './redis-query.js';
import { RedisServer } from './redis-server.js';
import { makeTempDir, removeDir } from './temp.js';
import { waitFor } from './wait.js';

/** The settings most cases use (the brief of the failover tests: docs/design.md 9 budget). */
export const FAST_DEFAULTS: Readonly<Record<string, unknown>> = {
  downAfterMs: 500,
  pingIntervalMs: 100,
};
export const FAST_RAFT: RaftTiming = { tickMs: 50, electionTicks: 10, heartbeatTicks: 1 };
/** Election timeout of FAST_RAFT in ms. */
export const ELECTION_MS = 500;

/** GET /v1/shards/{name} (docs/design.md 5.2). */
export interface ShardView {
  readonly name: string;
  readonly epoch: number;
  readonly master: { readonly id: string; readonly host: string; readonly port: number } | null;
  readonly replicas: readonly {
    readonly id: string;
    readonly host: string;
    readonly port: number;
    readonly lagBytes: number | null;
    readonly linkUp: boolean | null;
    readonly maintenance?: boolean;
  }[];
  readonly state: string;
  readonly paused: boolean;
  readonly problem?: string;
  readonly preflight?: readonly {
    readonly node: string;
    readonly severity: string;
    readonly message: string;
  }[];
}

export interface HistoryView {
  readonly shard: string;
  readonly entries: readonly HistoryEntry[];
}

export type { CandidateReport, HistoryEntry };

/** One Redis node of a shard: its current process, its proxy, the address raftinel knows. */
export class RigRedis {
  constructor(
    readonly shard: string,
    /** The id in the config (unique in the whole config: `r2`, or `<shard>-r2` with several shards). */
    readonly id: string,
    /** `r1` (the first master), `r2`, ... within its shard. */
    readonly localId: string,
    public server: RedisServer,
    readonly proxy: FaultProxy | null,
    /** bind-source-addr of this node's outgoing (replication) connections, when proxied. */
    readonly sourceAddress: string | null,
    private readonly baseArgs: readonly string[],
    /** The redis.conf it was started from (CONFIG REWRITE writes there), or null. */
    readonly configFile: string | null = null,
    /** The working dir kept across restarts (RigOptions.keepRedisData), else null. */
    readonly dataDir: string | null = null,
  ) {}

  readonly host = '127.0.0.1';

  /** The port redis-server listens on. */
  get realPort(): number {
    return this.server.port;
  }

  /** The port in the raftinel config (the proxy's when proxied). */
  get port(): number {
    return this.proxy ? this.proxy.port : this.server.port;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.server.pid;
  }

  role(timeoutMs = 1000): Promise<RoleView> {
    return redisRole(this.realPort, timeoutMs, this.server.host);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    await this.server.stop();
  }

  /**
   * Starts redis-server again on the same port with no data and no REPLICAOF (a crashed Redis
   * without persistence comes back as an empty master), listening on `bind` (a moved node) or
   * where it listened before.
   */
  async restartEmpty(bind = this.server.host): Promise<void> {
    if (this.server.alive) throw new Error(`${this.id} (pid ${this.pid}) is still running`);
    // CONFIG REWRITE wrote the last run's working dir, a temp dir removed with it; the new run
    // gets its own (a Redis refuses a config file whose dir does not exist).
    if (this.configFile) {
      const kept = readFileSync(this.configFile, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('dir '));
      writeFileSync(this.configFile, kept.join('\n'));
    }
    if (this.dataDir !== null) {
      rmSync(this.dataDir, { recursive: true, force: true });
      mkdirSync(this.dataDir, { recursive: true });
    }
    this.server = await RedisServer.start({
      port: this.server.port,
      bind,
      args: this.baseArgs,
      ...(this.configFile ? { configFile: this.configFile } : {}),
      ...(this.dataDir !== null ? { dir: this.dataDir } : {}),
    });
  }

  /**
   * Starts redis-server again on the same port from the files in its kept working dir (with
   * `appendonly yes` among the rig's redisArgs: what it had written to its AOF), as a master: a
   * Redis started without a config file forgets its REPLICAOF (with redisConfigDir, it reads back
   * what CONFIG REWRITE saved).
   */
  async restartWithData(): Promise<void> {
    if (this.server.alive) throw new Error(`${this.id} (pid ${this.pid}) is still running`);
    if (this.dataDir === null) throw new Error(`${this.id}: the rig was created without keepRedisData`);
    this.server = await RedisServer.start({
      port: this.server.port,
      args: this.baseArgs,
      dir: this.dataDir,
      ...(this.configFile ? { configFile: this.configFile } : {}),
    });
  }
}

export interface RigShard {
  readonly name: string;
  readonly nodes: RigRedis[];
}

export interface RigOptions {
  readonly shardNames?: readonly string[];
  /** Replicas per shard (besides the master r1). */
  readonly replicas?: number;
  /** Merged over FAST_DEFAULTS. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Per Redis node extras in the config (priority, noFailover). */
  readonly nodeExtras?: (shard: string, id: string) => Readonly<Record<string, unknown>>;
  /** Redis addresses through fault proxies (raftinel's probes and the replication links alike). */
  readonly proxied?: boolean;
  /** Raft listeners through fault proxies (each node's peers dial its proxy). */
  readonly raftProxied?: boolean;
  readonly raft?: RaftTiming;
  /** Extra redis-server arguments for every node. */
  readonly redisArgs?: readonly string[];
  readonly logLevel?: string;
  /**
   * Sidecar mode (docs/design.md 4.6): raftinel node n<i> runs next to Redis node r<i> of the only
   * shard (one raftinel node per Redis node: the default three). `fenceAfterMs` absent: the
   * shipped default.
   */
  readonly sidecars?: { readonly fenceAfterMs?: number };
  /**
   * Each Redis node starts from its own (empty) redis.conf in this folder, so that CONFIG
   * REWRITE works and a restart (restartEmpty) reads back what was rewritten.
   */
  readonly redisConfigDir?: string;
  /** Each Redis node works in a dir kept across restarts (RigRedis.restartWithData); removed in destroy(). */
  readonly keepRedisData?: boolean;
  /** Every raftinel node sees this file as its /etc/hosts (ClusterOptions.hostsFile). */
  readonly hostsFile?: string;
  /** ClusterOptions.outputDir: each raftinel node's output streamed to a file there. */
  readonly outputDir?: string;
}

export class FailoverRig {
  readonly raftProxies = new Map<string, FaultProxy>();
  private destroyed = false;

  private constructor(
    readonly shards: RigShard[],
    public cluster: RaftinelCluster,
    private readonly redisDataRoot: string | null,
  ) {}

  static async create(options: RigOptions = {}): Promise<FailoverRig> {
    const names = options.shardNames ?? ['mymaster'];
    const replicas = options.replicas ?? 2;
    if (options.sidecars && (names.length !== 1 || replicas !== 2))
      throw new Error('sidecars: one shard of three Redis nodes, one per raftinel node');
    const shards: RigShard[] = [];
    const proxies: FaultProxy[] = [];
    let redisIndex = 0;
    const redisDataRoot = options.keepRedisData ? makeTempDir('raftinel-rig-redis-') : null;
    try {
      for (const name of names) {
        const nodes: RigRedis[] = [];
        for (let i = 0; i <= replicas; i++) {
          redisIndex++;
          const source = options.proxied ? `127.0.1.${redisIndex}` : null;
          const args = [
            '--enable-debug-command',
            'yes',
            ...(source ? ['--bind-source-addr', source] : []),
            ...(options.redisArgs ?? []),
          ];
          const master = nodes[0];
          const configFile = options.redisConfigDir
            ? join(options.redisConfigDir, `${name}-r${i + 1}.conf`)
            : null;
          if (configFile) writeFileSync(configFile, '');
          const dataDir = redisDataRoot !== null ? join(redisDataRoot, `${name}-r${i + 1}`) : null;
          if (dataDir !== null) mkdirSync(dataDir, { recursive: true });
          const server = await RedisServer.start({
            args,
            ...(master ? { replicaOf: { host: master.host, port: master.port } } : {}),
            ...(configFile ? { configFile } : {}),
            ...(dataDir !== null ? { dir: dataDir } : {}),
          });
          let proxy: FaultProxy | null = null;
          if (options.proxied) {
            proxy = await FaultProxy.start({ target: server.address, name: `${name}/r${i + 1}` });
            proxies.push(proxy);
          }
          const localId = `r${i + 1}`;
          const id = names.length > 1 ? `${name}-${localId}` : localId;
          nodes.push(new RigRedis(name, id, localId, server, proxy, source, args, configFile, dataDir));
        }
        shards.push({ name, nodes });
      }
      // Every replica's link up before raftinel adopts the topology.
      await Promise.all(
        shards.flatMap((s) =>
          s.nodes.slice(1).map((n) =>
            waitFor(
              `${s.name}/${n.id} link up`,
              async () => ((await n.role()).state === 'connected' ? true : undefined),
              {
                timeoutMs: 15_000,
              },
            ),
          ),
        ),
      );
      const shardConfigs: ShardConfig[] = shards.map((s) => ({
        name: s.name,
        nodes: s.nodes.map((n) => ({
          id: n.id,
          host: n.host,
          port: n.port,
          ...options.nodeExtras?.(s.name, n.id),
        })),
        initialMaster: s.nodes[0].id,
      }));
      const raftProxies = new Map<string, FaultProxy>();
      const cluster = await RaftinelCluster.create({
        raft: options.raft ?? FAST_RAFT,
        shards: shardConfigs,
        defaults: { ...FAST_DEFAULTS, ...options.defaults },
        sourceAddresses: true,
        logLevel: options.logLevel,
        hostsFile: options.hostsFile,
        outputDir: options.outputDir,
        sidecarOf: options.sidecars
          ? (i) => ({ ...options.sidecars, redis: shards[0].nodes[i - 1].id })
          : undefined,
        raftVia: options.raftProxied
          ? async (node) => {
              const [host, port] = node.raft.split(':');
              const p = await FaultProxy.start({
                target: { host, port: Number(port) },
                name: `raft/${node.id}`,
              });
              raftProxies.set(node.id, p);
              proxies.push(p);
              return p.address;
            }
          : undefined,
      });
      const rig = new FailoverRig(shards, cluster, redisDataRoot);
      for (const [id, p] of raftProxies) rig.raftProxies.set(id, p);
      return rig;
    } catch (err) {
      await Promise.all(proxies.map((p) => p.close()));
      await Promise.all(shards.flatMap((s) => s.nodes.map((n) => n.server.stop())));
      if (redisDataRoot !== null) removeDir(redisDataRoot);
      throw err;
    }
  }

  /** Starts the raftinel nodes and waits until every shard has an adopted master (epoch 0). */
  async start(timeoutMs = 20_000): Promise<void> {
    await this.cluster.start();
    await this.cluster.waitLeader({ timeoutMs });
    for (const s of this.shards) {
      await this.waitView(
        s.name,
        (v) => v.master?.id === s.nodes[0].id && v.state === 'ok',
        'the master adopted',
        timeoutMs,
      );
    }
  }

  shard(name = 'mymaster'): RigShard {
    const s = this.shards.find((x) => x.name === name);
    if (!s) throw new Error(`no shard ${name}`);
    return s;
  }

  redis(id: string, shard = 'mymaster'): RigRedis {
    const n = this.shard(shard).nodes.find((x) => x.id === id || x.localId === id);
    if (!n) throw new Error(`no redis ${shard}/${id}`);
    return n;
  }

  get nodes(): RaftinelProcess[] {
    return this.cluster.nodes;
  }

  /** The source address of raftinel node `n<i>`. */
  sourceOf(node: RaftinelProcess): string {
    return sourceAddressOf(this.cluster.nodes.indexOf(node) + 1);
  }

  /** GET from the first running node that answers 200 (each node in turn). */
  async get<T>(path: string, timeoutMs = 2000): Promise<T> {
    let last = '';
    for (const n of this.cluster.running) {
      try {
        const r = await n.get<T>(path, timeoutMs);
        if (r.status === 200) return r.body;
        last = `${n.id}: ${r.status} ${JSON.stringify(r.body)}`;
      } catch (err) {
        last = `${n.id}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    throw new Error(`GET ${path}: no node answered 200 (${last})`);
  }

  /** POST to the first running node that answers at all (followers forward admin requests). */
  async post<T>(path: string, body: unknown = {}, timeoutMs = 40_000): Promise<{ status: number; body: T }> {
    let last: unknown = null;
    for (const n of this.cluster.running) {
      try {
        return await n.post<T>(path, body, timeoutMs);
      } catch (err) {
        last = err;
      }
    }
    throw new Error(
      `POST ${path}: no node answered (${last instanceof Error ? last.message : String(last)})`,
    );
  }

  view(shard = 'mymaster'): Promise<ShardView> {
    return this.get<ShardView>(`/v1/shards/${shard}`);
  }

  async history(shard = 'mymaster'): Promise<readonly HistoryEntry[]> {
    return (await this.get<HistoryView>(`/v1/shards/${shard}/history`)).entries;
  }

  async waitView(
    shard: string,
    pred: (v: ShardView) => boolean,
    what: string,
    timeoutMs: number,
    intervalMs = 20,
  ): Promise<ShardView> {
    return waitFor(
      `${shard}: ${what}`,
      async () => {
        const v = await this.view(shard);
        return pred(v) ? v : undefined;
      },
      { timeoutMs, intervalMs },
    );
  }

  /** Waits until the shard has failed over away from `from`; on timeout the rig's dump says why. */
  async waitFailoverFrom(from: string, timeoutMs: number, shard = 'mymaster'): Promise<ShardView> {
    try {
      return await this.waitView(
        shard,
        (x) => x.epoch >= 1 && x.master !== null && x.master.id !== from,
        'the failover',
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${String(err)}\n${await this.dump(shard)}`);
    }
  }

  /** Waits for a history entry of the given epoch and returns it. */
  async waitHistory(shard: string, epoch: number, timeoutMs: number): Promise<HistoryEntry> {
    return waitFor(
      `${shard}: history entry of epoch ${epoch}`,
      async () => (await this.history(shard)).find((e) => e.epoch === epoch),
      { timeoutMs, intervalMs: 20 },
    );
  }

  /** The master as discovery names it now: what a client that follows the cluster would use. */
  async masterAddress(shard = 'mymaster'): Promise<{ host: string; port: number }> {
    const m = await this.get<{ host: string; port: number }>(`/v1/shards/${shard}/master`, 1000);
    return { host: m.host, port: m.port };
  }

  async leader(timeoutMs = 20_000): Promise<RaftinelProcess> {
    return (await this.cluster.waitLeader({ timeoutMs })).leader;
  }

  /** ROLE of every Redis node of a shard that answers (others: the error text). */
  async roles(shard = 'mymaster'): Promise<Map<string, RoleView | string>> {
    const out = new Map<string, RoleView | string>();
    await Promise.all(
      this.shard(shard).nodes.map(async (n) => {
        try {
          out.set(n.id, await n.role(500));
        } catch (err) {
          out.set(n.id, err instanceof Error ? err.message : String(err));
        }
      }),
    );
    return out;
  }

  /** Every node's log tail and Redis roles, for assertion messages. */
  async dump(shard = 'mymaster'): Promise<string> {
    const roles = await this.roles(shard).catch(() => new Map());
    return `${this.cluster.dump()}\n--- roles: ${JSON.stringify(Object.fromEntries(roles))}`;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.cluster.destroy();
    const proxies = [
      ...this.raftProxies.values(),
      ...this.shards.flatMap((s) => s.nodes.map((n) => n.proxy)),
    ];
    await Promise.all(proxies.map((p) => p?.close()));
    await Promise.all(this.shards.flatMap((s) => s.nodes.map((n) => n.server.stop())));
    if (this.redisDataRoot !== null) removeDir(this.redisDataRoot);
  }
}

/** Whether a role view says "replica of this address, link up". */
export function replicaOf(v: RoleView | string | undefined, node: RigRedis): boolean {
  return typeof v === 'object' && v.role === 'slave' && v.masterPort === node.port && v.state === 'connected';
}

/** A topology command as stored in a node's Raft log, with its entry's index and term. */
export interface LoggedCommand {
  readonly index: number;
  readonly term: number;
  readonly command: { readonly type: string; readonly epoch?: number; readonly shard?: string };
}

/**
 * The topology commands in a node's raft.wal (entries after the last snapshot only; an index written
 * again replaces the earlier record, as the storage does). Read-only; the node may be running.
 */
export function loggedCommands(node: RaftinelProcess): LoggedCommand[] {
  return readLog(node).commands;
}

/** loggedCommands, with the snapshot the WAL names last (null: none). */
function readLog(node: RaftinelProcess): { snapshot: SnapshotRef | null; commands: LoggedCommand[] } {
  const path = join(node.dataDir, WAL_FILE);
  const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const byIndex = new Map<number, LoggedCommand>();
  let snapshot: SnapshotRef | null = null;
  let pos = 0;
  while (pos < buf.length) {
    const r = decodeFrameAt(buf, pos, toWalRecord);
    if (!r.ok) break; // a torn tail while the node writes
    pos = r.end;
    if (r.value.snapshot) {
      snapshot = r.value.snapshot;
      for (const i of [...byIndex.keys()]) if (i <= r.value.snapshot.index) byIndex.delete(i);
    }
    for (const entry of r.value.entries) {
      for (const i of [...byIndex.keys()]) if (i >= entry.index) byIndex.delete(i);
      if (entry.kind !== 'normal') continue;
      try {
        const data = JSON.parse(entry.data) as { type?: string; command?: LoggedCommand['command'] };
        if (data.type === 'topology' && data.command) {
          byIndex.set(entry.index, { index: entry.index, term: entry.term, command: data.command });
        }
      } catch {
        // not JSON: not a topology command
      }
    }
  }
  return { snapshot, commands: [...byIndex.values()].sort((a, b) => a.index - b.index) };
}

/**
 * The failoverStarted commands of a node's log that its state machine takes, found by applying
 * the log after the snapshot to the snapshot's state with the production code. A leader may
 * propose a second FailoverStarted for an epoch before the first one commits (its candidate
 * report changed in between); both commit, and the state machine refuses the later one.
 */
export function acceptedFailoverStarts(
  node: RaftinelProcess,
): { readonly index: number; readonly shard: string; readonly epoch: number; readonly to: string }[] {
  const { snapshot, commands } = readLog(node);
  const state = new ClusterState();
  if (snapshot !== null) state.restore(readSnapshotFile(nodeFs, node.dataDir, snapshot).data);
  const accepted = [];
  for (const c of commands) {
    const events = applyTopologyCommand(state.topology(), c.command as TopologyCommand, c.term);
    for (const e of events)
      if (e.type === 'failover-started')
        accepted.push({ index: c.index, shard: e.shard, epoch: e.epoch, to: e.to.id });
  }
  return accepted;
}
