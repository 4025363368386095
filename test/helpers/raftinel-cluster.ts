// A cluster of real `raftinel node` processes on loopback: free ports, one temp dir, helpers to
// find the leader, and a cleanup that kills every child by PID and removes the dir.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import {
  RaftinelProcess,
  type ClusterView,
  type NodeAddresses,
  type RaftTiming,
  type ShardConfig,
  type SidecarConfig,
} from './raftinel-process.js';
import { makeTempDir, removeDir } from './temp.js';
import { waitFor } from './wait.js';

export interface ClusterOptions {
  readonly size?: number;
  readonly cluster?: string;
  readonly raft?: RaftTiming;
  readonly debugRoutes?: boolean;
  readonly logLevel?: string;
  /** Real shards for every node's config (else a placeholder shard nobody serves). */
  readonly shards?: readonly ShardConfig[];
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Node i (from 1) binds its outgoing connections to 127.0.0.(i+1): fault proxies tell them apart. */
  readonly sourceAddresses?: boolean;
  /**
   * The raft address the others dial for a node (its `peers` entry and `announce.raft`), e.g. a
   * fault proxy in front of its real raft listener. Default: the listener itself.
   */
  readonly raftVia?: (node: NodeAddresses) => Promise<string>;
  /** The sidecar block of node i (from 1), or undefined for a standalone node. */
  readonly sidecarOf?: (index: number) => SidecarConfig | undefined;
  /** A cluster secret (peerAuth, docs/design.md 2) written to a file every node's config names. */
  readonly peerSecret?: string;
  /** The admin token of node i (from 1), written to its own file; undefined: no admin block. */
  readonly adminTokenOf?: (index: number) => string | undefined;
  /** Every node sees this file as its /etc/hosts (RaftinelProcessOptions.hostsFile). */
  readonly hostsFile?: string;
  /** Each node's output goes to <outputDir>/<id>.out as it arrives (RaftinelProcessOptions.outputFile). */
  readonly outputDir?: string;
}

/** The source address node `n<i>` gets with `sourceAddresses: true`. */
export function sourceAddressOf(index: number): string {
  return `127.0.0.${index + 1}`;
}

export interface LeaderInfo {
  readonly leader: RaftinelProcess;
  readonly term: number;
}

export class RaftinelCluster {
  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly nodes: RaftinelProcess[],
    readonly peers: readonly { id: string; raft: string }[],
    private readonly options: ClusterOptions,
  ) {}

  static async create(options: ClusterOptions = {}): Promise<RaftinelCluster> {
    const size = options.size ?? 3;
    const name = options.cluster ?? 'test';
    const dir = makeTempDir('raftinel-it-');
    try {
      const addresses: NodeAddresses[] = [];
      for (let i = 1; i <= size; i++) {
        addresses.push({
          id: `n${i}`,
          raft: `127.0.0.1:${await freePort()}`,
          http: `127.0.0.1:${await freePort()}`,
          sentinel: `127.0.0.1:${await freePort()}`,
        });
      }
      const dialed = new Map<string, string>();
      for (const a of addresses) dialed.set(a.id, options.raftVia ? await options.raftVia(a) : a.raft);
      const peers = addresses.map((a) => ({ id: a.id, raft: dialed.get(a.id) as string }));
      const redisPort = await freePort();
      let peerSecretFile: string | undefined;
      if (options.peerSecret !== undefined) {
        peerSecretFile = join(dir, 'cluster.secret');
        writeFileSync(peerSecretFile, options.peerSecret, { mode: 0o600 });
      }
      const tokenFileOf = (i: number): string | undefined => {
        const token = options.adminTokenOf?.(i);
        if (token === undefined) return undefined;
        const file = join(dir, `admin-${i}.token`);
        writeFileSync(file, token, { mode: 0o600 });
        return file;
      };
      const nodes = addresses.map(
        (node, i) =>
          new RaftinelProcess({
            peerSecretFile,
            adminTokenFile: tokenFileOf(i + 1),
            node,
            cluster: name,
            peers,
            dir: join(dir, node.id),
            raft: options.raft,
            redisPort,
            debugRoutes: options.debugRoutes ?? true,
            logLevel: options.logLevel,
            hostsFile: options.hostsFile,
            shards: options.shards,
            defaults: options.defaults,
            sourceAddress: options.sourceAddresses ? sourceAddressOf(i + 1) : undefined,
            announce: options.raftVia ? { raft: dialed.get(node.id) as string } : undefined,
            sidecar: options.sidecarOf?.(i + 1),
            outputFile:
              options.outputDir !== undefined ? join(options.outputDir, `${node.id}.out`) : undefined,
          }),
      );
      return new RaftinelCluster(dir, name, nodes, peers, options);
    } catch (err) {
      removeDir(dir);
      throw err;
    }
  }

  /** A process for an extra node (not started) sharing this cluster's peers, e.g. a stranger. */
  async extraNode(id: string, cluster: string): Promise<RaftinelProcess> {
    const node: NodeAddresses = {
      id,
      raft: `127.0.0.1:${await freePort()}`,
      http: `127.0.0.1:${await freePort()}`,
      sentinel: `127.0.0.1:${await freePort()}`,
    };
    const p = new RaftinelProcess({
      node,
      cluster,
      peers: [...this.peers, { id, raft: node.raft }],
      dir: join(this.dir, id),
      raft: this.options.raft,
      redisPort: await freePort(),
      debugRoutes: this.options.debugRoutes ?? true,
      logLevel: this.options.logLevel,
      peerSecretFile: this.nodes[0]?.options.peerSecretFile,
    });
    this.nodes.push(p);
    return p;
  }

  node(id: string): RaftinelProcess {
    const found = this.nodes.find((n) => n.id === id);
    if (!found) throw new Error(`no node ${id}`);
    return found;
  }

  get running(): RaftinelProcess[] {
    return this.nodes.filter((n) => n.running);
  }

  others(than: RaftinelProcess): RaftinelProcess[] {
    return this.nodes.filter((n) => n !== than);
  }

  /** Starts every node that is not running and waits until each answers /livez. */
  async start(
    timeoutMs = 15_000,
    nodes: RaftinelProcess[] = this.nodes.filter((n) => !n.running),
  ): Promise<void> {
    for (const n of nodes) n.start();
    await Promise.all(nodes.map((n) => n.waitLive(timeoutMs)));
  }

  /**
   * Waits until exactly one of `among` answers 200 on /leader and every one of them reports that
   * node as leader in the same term (the term is read from the leader's /v1/cluster).
   */
  async waitLeader(
    options: { among?: RaftinelProcess[]; minTerm?: number; timeoutMs?: number } = {},
  ): Promise<LeaderInfo> {
    const among = options.among ?? this.running;
    return waitFor(
      `one leader among ${among.map((n) => n.id).join(',')}${options.minTerm ? ` in a term >= ${options.minTerm}` : ''}`,
      async () => {
        const flags = await Promise.all(among.map((n) => n.isLeader().catch(() => false)));
        const leaders = among.filter((_, i) => flags[i]);
        if (leaders.length !== 1) return undefined;
        const views = await Promise.all(among.map((n) => n.cluster()));
        const leader = leaders[0];
        const term = views[among.indexOf(leader)].term;
        if (options.minTerm !== undefined && term < options.minTerm) return undefined;
        if (!views.every((v) => v.leader === leader.id && v.term === term)) return undefined;
        return { leader, term };
      },
      { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 25 },
    );
  }

  async views(among: RaftinelProcess[] = this.running): Promise<ClusterView[]> {
    return Promise.all(among.map((n) => n.cluster()));
  }

  /** Kills every node by PID and removes the temp dir; safe to call twice. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    removeDir(this.dir);
  }

  /** Every node's log tail, for assertion messages. */
  dump(): string {
    return this.nodes.map((n) => `--- ${n.id} (pid ${n.pid ?? '-'}):\n${n.tail(30)}`).join('\n');
  }
}
