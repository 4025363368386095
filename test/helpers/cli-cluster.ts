// A real raftinel cluster monitoring real Redis groups, for the CLI and drill tests: N
// `raftinel node` processes whose configs carry real shards, a `defaults` block and an admin
// token file, and redis-server groups (a master and its replicas) started on free ports.
// Built on RaftinelProcess (a subclass adds the config parts), so the shared cluster helper
// stays as it is; everything is killed by PID in destroy().
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { getJson } from './http.js';
import { freePort } from './ports.js';
import {
  RaftinelProcess,
  type NodeAddresses,
  type RaftinelProcessOptions,
  type RaftTiming,
} from './raftinel-process.js';
import { startRedis, type RedisServer } from './redis-server.js';
import { makeTempDir, removeDir } from './temp.js';
import { waitFor } from './wait.js';

export interface RedisGroup {
  readonly servers: readonly RedisServer[];
  /** Node ids r1, r2, ... in the order of `servers`; r1 starts as the master. */
  readonly ids: readonly string[];
  /** The `shards` entry of the config for this group. */
  shard(name: string): Record<string, unknown>;
  byId(id: string): RedisServer;
  stop(): Promise<void>;
}

/** A master and `size - 1` replicas of it, each replica's link up before this resolves. */
export async function startRedisGroup(size = 3, prefix = 'r'): Promise<RedisGroup> {
  const master = await startRedis();
  const servers: RedisServer[] = [master];
  try {
    for (let i = 1; i < size; i++) servers.push(await startRedis({ replicaOf: master.address }));
    await waitFor(
      'replicas linked to the master',
      async () => {
        const { Redis } = await import('ioredis');
        const c = new Redis({ port: master.port, lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await c.connect();
          const info = await c.info('replication');
          return Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0) === size - 1 || undefined;
        } finally {
          c.disconnect();
        }
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  const ids = servers.map((_, i) => `${prefix}${i + 1}`);
  return {
    servers,
    ids,
    shard: (name) => ({
      name,
      nodes: servers.map((s, i) => ({ id: ids[i], host: s.host, port: s.port })),
      initialMaster: ids[0],
    }),
    byId: (id) => servers[ids.indexOf(id)],
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

async function freeAddresses(id: string): Promise<NodeAddresses> {
  return {
    id,
    raft: `127.0.0.1:${await freePort()}`,
    http: `127.0.0.1:${await freePort()}`,
    sentinel: `127.0.0.1:${await freePort()}`,
  };
}

interface ConfigExtras {
  readonly shards: readonly Record<string, unknown>[];
  readonly defaults?: Record<string, unknown>;
  readonly adminTokenFile?: string;
}

/** RaftinelProcess whose config has real shards, defaults and an admin token file. */
class ConfiguredNode extends RaftinelProcess {
  // Called from the base constructor: it may read only `this.options`, set before the body runs.
  override configDocument(): Record<string, unknown> {
    const extras = (this.options as RaftinelProcessOptions & { readonly cliExtras: ConfigExtras }).cliExtras;
    return {
      ...super.configDocument(),
      shards: extras.shards,
      ...(extras.defaults ? { defaults: extras.defaults } : {}),
      ...(extras.adminTokenFile ? { admin: { tokenFile: extras.adminTokenFile } } : {}),
    };
  }
}

export interface CliClusterOptions {
  readonly shards: readonly Record<string, unknown>[];
  readonly defaults?: Record<string, unknown>;
  readonly adminToken?: string;
  readonly size?: number;
  readonly raft?: RaftTiming;
}

export class CliCluster {
  private constructor(
    readonly dir: string,
    readonly nodes: RaftinelProcess[],
    /** The bootstrap voters, as every node's `peers` lists them. */
    private readonly peers: readonly { readonly id: string; readonly raft: string }[],
    private readonly extras: ConfigExtras,
    private readonly raft: RaftTiming | undefined,
    private readonly redisPort: number,
  ) {}

  /** HTTP base URLs of the nodes, in order. */
  get endpoints(): string[] {
    return this.nodes.map((n) => n.httpUrl);
  }

  /** Sentinel (RESP) ports of the nodes. */
  get sentinelPorts(): number[] {
    return this.nodes.map((n) => Number(n.options.node.sentinel.split(':')[1]));
  }

  static async start(options: CliClusterOptions): Promise<CliCluster> {
    const dir = makeTempDir('raftinel-cli-');
    const nodes: RaftinelProcess[] = [];
    try {
      let adminTokenFile: string | undefined;
      if (options.adminToken !== undefined) {
        adminTokenFile = join(dir, 'admin.token');
        writeFileSync(adminTokenFile, options.adminToken + '\n', { mode: 0o600 });
      }
      const size = options.size ?? 3;
      const addresses: NodeAddresses[] = [];
      for (let i = 1; i <= size; i++) addresses.push(await freeAddresses(`n${i}`));
      const peers = addresses.map((a) => ({ id: a.id, raft: a.raft }));
      const extras: ConfigExtras = { shards: options.shards, defaults: options.defaults, adminTokenFile };
      const cluster = new CliCluster(dir, nodes, peers, extras, options.raft, await freePort());
      for (const node of addresses) nodes.push(cluster.configured(node));
      for (const n of nodes) n.start();
      await Promise.all(nodes.map((n) => n.waitReady(20_000)));
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.stop()));
      removeDir(dir);
      throw err;
    }
  }

  /**
   * A new node for `raftinel members add`, not started: the same config as the others (shards,
   * defaults, admin token), with `peers` naming the bootstrap voters but not itself, so that it
   * starts with an empty data dir and waits to be added (docs/design.md 6a). Stopped in destroy().
   */
  async joiningNode(id: string): Promise<RaftinelProcess> {
    const node = this.configured(await freeAddresses(id));
    this.nodes.push(node);
    return node;
  }

  private configured(node: NodeAddresses): RaftinelProcess {
    const opts: RaftinelProcessOptions & { cliExtras: ConfigExtras } = {
      node,
      cluster: 'clitest',
      peers: this.peers,
      dir: join(this.dir, node.id),
      raft: this.raft,
      redisPort: this.redisPort,
      debugRoutes: false,
      cliExtras: this.extras,
    };
    return new ConfiguredNode(opts);
  }

  /** Waits until every shard named has a committed master, as a linearizable read shows it. */
  async waitShards(names: readonly string[], timeoutMs = 20_000): Promise<void> {
    await waitFor(
      `shards ${names.join(', ')} adopted`,
      async () => {
        const r = await getJson<{ name: string; master: unknown; state: string }[]>(
          this.nodes[0].httpUrl + '/v1/shards',
        );
        if (r.status !== 200 || !Array.isArray(r.body)) return undefined;
        return (
          names.every((n) => r.body.some((s) => s.name === n && s.master !== null && s.state === 'ok')) ||
          undefined
        );
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    removeDir(this.dir);
  }

  /**
   * Every node's last log lines for assertion messages, without the per-probe observation lines
   * (they would crowd out the failover's own events).
   */
  dump(lines = 30): string {
    return this.nodes
      .map((n) => {
        const kept = n.lines.filter(
          (l) => !l.includes('"redis node observation changed"') && !l.includes('"redis operation done"'),
        );
        return `--- ${n.id} (pid ${n.pid ?? '-'}):\n${kept.slice(-lines).join('\n')}\n${n.stderr.trim()}`;
      })
      .join('\n');
  }
}

/**
 * For the calling describe block: before its tests, three Redis servers (startRedisGroup) and a
 * three-node CliCluster monitoring them as shard `mymaster` (downAfterMs 1000, `adminToken`);
 * after them, both stopped. `cluster` can be read from the first test on.
 */
export function cliClusterForSuite(adminToken: string): { readonly cluster: CliCluster } {
  let group: RedisGroup | undefined;
  let cluster: CliCluster | undefined;
  before(async () => {
    group = await startRedisGroup(3);
    cluster = await CliCluster.start({
      shards: [group.shard('mymaster')],
      defaults: { downAfterMs: 1000 },
      adminToken,
    });
    await cluster.waitShards(['mymaster']);
  });
  after(async () => {
    await cluster?.destroy();
    await group?.stop();
  });
  return {
    get cluster(): CliCluster {
      if (cluster === undefined) throw new Error('the suite cluster is read before it started');
      return cluster;
    },
  };
}
