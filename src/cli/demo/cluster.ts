// The demo's cluster in sidecar shape: three redis-server children (r1 the master, r2 and r3 its
// replicas) and three `raftinel node` children, node nI next to Redis rI (sidecar.redis: rI),
// each with its own config file, data dir and log under the demo's temp dir.
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ClusterView, HistoryEntry, HistoryReply, ShardAnswer } from '../api.js';
import { HOST, type Child, type Processes } from './processes.js';
import { DemoRedis } from './redis.js';

/** The built CLI next to this folder (dist/src/cli/main.js), whatever the working directory. */
export const RAFTINEL_BIN = fileURLToPath(new URL('../main.js', import.meta.url));
export const SHARD = 'mymaster';
/** Short enough for a demo, long enough that a busy machine does not fail over by mistake. */
export const DOWN_AFTER_MS = 1000;
const PING_INTERVAL_MS = 100;

export interface DemoNode {
  readonly id: string;
  /** The Redis node it is the sidecar of. */
  readonly redisId: string;
  readonly http: string;
  readonly sentinel: string;
  readonly child: Child;
}

export class DemoCluster {
  private constructor(
    private readonly procs: Processes,
    readonly redis: readonly DemoRedis[],
    readonly nodes: readonly DemoNode[],
  ) {}

  /** Starts the three redis-server children and waits until both replicas have their link up. */
  static async startRedis(procs: Processes, bin: string): Promise<DemoRedis[]> {
    const ports = [await procs.freePort(), await procs.freePort(), await procs.freePort()];
    const redis = ports.map(
      (port, i) => new DemoRedis(procs, bin, `r${i + 1}`, port, i === 0 ? null : ports[0]),
    );
    for (const r of redis) await r.start();
    await procs.waitUntil(
      'r2 and r3 to replicate from r1',
      async () => {
        const roles = await Promise.all(redis.slice(1).map((r) => r.role()));
        return roles.every((v) => v.role === 'slave' && v.link === 'connected') ? true : undefined;
      },
      15_000,
    );
    return redis;
  }

  /** Starts node nI as the sidecar of redis[I-1]. */
  static async startNodes(procs: Processes, redis: readonly DemoRedis[]): Promise<DemoCluster> {
    const addrs = [];
    for (let i = 1; i <= redis.length; i++) {
      addrs.push({
        id: `n${i}`,
        raft: await procs.freeAddress(),
        http: await procs.freeAddress(),
        sentinel: await procs.freeAddress(),
      });
    }
    const nodes: DemoNode[] = [];
    for (const [i, a] of addrs.entries()) {
      const dir = join(procs.dir, a.id);
      mkdirSync(dir, { recursive: true });
      const configPath = join(dir, 'raftinel.yaml');
      const config = {
        cluster: 'demo',
        node: {
          id: a.id,
          dataDir: join(dir, 'data'),
          listen: { sentinel: a.sentinel, http: a.http, raft: a.raft },
        },
        peers: addrs.map((p) => ({ id: p.id, raft: p.raft })),
        defaults: { downAfterMs: DOWN_AFTER_MS, pingIntervalMs: PING_INTERVAL_MS },
        shards: [
          {
            name: SHARD,
            nodes: redis.map((r) => ({ id: r.id, host: HOST, port: r.port })),
            initialMaster: 'r1',
          },
        ],
        sidecar: { redis: redis[i].id }, // fenceAfterMs: 0.8 x downAfterMs
      };
      writeFileSync(configPath, stringify(config));
      const child = procs.spawn(a.id, process.execPath, [RAFTINEL_BIN, 'node', '--config', configPath], {
        logFile: join(dir, 'node.log'),
      });
      nodes.push({ id: a.id, redisId: redis[i].id, http: a.http, sentinel: a.sentinel, child });
    }
    return new DemoCluster(procs, redis, nodes);
  }

  redisNode(id: string): DemoRedis {
    const r = this.redis.find((x) => x.id === id);
    if (!r) throw new Error(`no redis ${id}`);
    return r;
  }

  /** The --endpoint value for the operator CLI: every node's HTTP base URL. */
  get endpoints(): string {
    return this.nodes.map((n) => `http://${n.http}`).join(',');
  }

  get sentinelPorts(): number[] {
    return this.nodes.map((n) => Number(n.sentinel.split(':')[1]));
  }

  /** GET from the first node that answers 200. */
  async get<T>(path: string): Promise<T> {
    let last = 'no node answered';
    for (const n of this.nodes) {
      try {
        const r = await getJson(`http://${n.http}${path}`);
        if (r.status === 200) return r.body as T;
        last = `${n.id}: HTTP ${r.status}`;
      } catch (err) {
        last = `${n.id}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    throw new Error(`GET ${path}: ${last}`);
  }

  /** The shard as the cluster agreed it (a ReadIndex round on the leader). */
  shard(): Promise<ShardAnswer> {
    return this.get<ShardAnswer>(`/v1/shards/${SHARD}`);
  }

  /** A node's applied view: answers at once even while there is no leader (the live status line). */
  staleShard(): Promise<ShardAnswer> {
    return this.get<ShardAnswer>(`/v1/shards/${SHARD}?stale=ok`);
  }

  async history(): Promise<readonly HistoryEntry[]> {
    return (await this.get<HistoryReply>(`/v1/shards/${SHARD}/history`)).entries;
  }

  /** The leader every node names in one term, once they agree. */
  async leader(): Promise<{ leader: string; term: number }> {
    const views = await Promise.all(
      this.nodes.map((n) => getJson(`http://${n.http}/v1/cluster`).then((r) => r.body as ClusterView)),
    );
    const first = views[0];
    if (first.leader === null || !views.every((v) => v.leader === first.leader && v.term === first.term))
      throw new Error('the nodes do not agree on a leader yet');
    return { leader: first.leader, term: first.term };
  }

  /** Waits for the history entry of an epoch (it is written when that failover ends). */
  waitHistory(epoch: number, timeoutMs: number): Promise<HistoryEntry> {
    return this.procs.waitUntil(
      `the history entry of epoch ${epoch}`,
      async () => (await this.history()).find((e) => e.epoch === epoch),
      timeoutMs,
      50,
    );
  }
}

function getJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
