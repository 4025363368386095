// The RESP server's view of this node: applied topology, this node's own probe view of each
// Redis node, and the other members' advertised RESP addresses (docs/design.md 5.1).
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseHostPort, readSecretFile, type RaftinelConfig } from '../config/core.js';
import { quorumOf } from '../failover/detect.js';
import type { Topology } from '../failover/topology.js';
import { clientAddressOf, type ShardState } from '../failover/types.js';
import type { MemberAddresses } from '../node/cluster-state.js';
import { heardRecently } from '../node/member-health.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import { ChangeCache, ViewChanges } from './change-cache.js';
import type { NodeState, ShardNodeStates } from './node-state.js';
import type { ShardStates } from './shard-states.js';
import type {
  SentinelClientAuth,
  SentinelPeer,
  SentinelRedisNode,
  SentinelShard,
  SentinelSource,
} from './resp/source.js';

export interface SourceDeps {
  readonly config: RaftinelConfig;
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  readonly members: () => Readonly<Record<string, MemberAddresses>>;
  readonly lastContactMs: (id: string) => number | null;
  /** Each Redis node's state (node-state.ts), the same records HTTP and /metrics read. */
  readonly states: ShardStates;
  /** Runs a switchover wherever the leader is (followers forward), as the HTTP route does. */
  readonly switchover: (shard: string) => Promise<{ ok: boolean; error?: string }>;
  /** Changes of topology and observations: the shard list is rebuilt only after one. */
  readonly changes?: ViewChanges;
}

/** Sentinel's run ids are 40 hex characters; ours are derived from cluster and node id. */
export function sentinelRunId(cluster: string, nodeId: string): string {
  return createHash('sha1').update(`raftinel:${cluster}:${nodeId}`).digest('hex');
}

export function createSentinelSource(deps: SourceDeps): SentinelSource {
  const { config, runtime } = deps;
  const myId = sentinelRunId(config.cluster, config.node.id);
  const electionMs = config.raft.electionTicks * config.raft.tickMs;
  const shards = new ChangeCache(deps.changes ?? new ViewChanges(), () => {
    const voters = runtime.status().conf.voters.length;
    return Object.values(deps.topology().shards)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((s) => {
        const st = deps.states.of(s.name);
        return st ? [shardOf(s, st, voters)] : [];
      });
  });
  return {
    myId: () => myId,
    hasFreshLeader: () => runtime.hasFreshLeader(),
    shards: () => shards.get(),
    masterAddress: (name) => {
      const shards = deps.topology().shards;
      // Own keys only: a client asking for `constructor` or `__proto__` gets "no such master".
      const s = Object.hasOwn(shards, name) ? shards[name] : undefined;
      if (!s) return undefined;
      // The applied node spec itself (or its announce address): no copy on this hot path.
      const master = s.nodes.find((n) => n.id === s.master);
      return master ? clientAddressOf(master) : null;
    },
    sentinels: () => {
      const out: SentinelPeer[] = [];
      for (const [id, a] of Object.entries(deps.members())) {
        if (id === config.node.id || !a.sentinel) continue;
        const hp = parseHostPort(a.sentinel);
        if (!hp) continue;
        const contact = deps.lastContactMs(id);
        out.push({
          id,
          host: hp.host,
          port: hp.port,
          runId: sentinelRunId(config.cluster, id),
          up: heardRecently(contact, electionMs),
          lastContactMs: contact ?? 0,
        });
      }
      return out;
    },
    failover: (shard) => deps.switchover(shard),
    checkAdminToken: (token) => {
      if (!config.admin) return false;
      try {
        const a = Buffer.from(token);
        const b = Buffer.from(readSecretFile(config.admin.tokenFile));
        return a.length === b.length && timingSafeEqual(a, b);
      } catch {
        return false;
      }
    },
    clientAuth: clientAuthOf(config),
  };
}

function clientAuthOf(config: RaftinelConfig): SentinelClientAuth | null {
  const auth = config.clients?.auth;
  if (!auth) return null;
  return { username: auth.username, password: readSecretFile(auth.passwordFile) };
}

/** One shard as SENTINEL MASTERS and friends describe it (exported for its unit test). */
export function shardOf(s: ShardState, st: ShardNodeStates, voters: number): SentinelShard {
  return {
    name: s.name,
    epoch: s.epoch,
    // Sentinel's `quorum` field is the configured quorum (the ODOWN rule adds its floor of two).
    quorum: quorumOf(s, voters),
    downAfterMs: s.settings.downAfterMs,
    failoverTimeoutMs: s.settings.failoverTimeoutMs,
    parallelSyncs: s.settings.parallelSyncs,
    failoverInProgress: s.failover !== null,
    // A quorum sees the master down, or its automatic failover has not promoted yet; cleared at
    // Promoted: redis-py refuses a master flagged o_down (SentinelConnectionPool's
    // check_master_state), so clients asking between Promoted and FailoverEnded would find none.
    odown: st.odown,
    master: st.master ? redisNodeOf(st.master) : null,
    replicas: st.replicas.map(redisNodeOf),
  };
}

function redisNodeOf(n: NodeState): SentinelRedisNode {
  const ago = n.lastOkAgoMs ?? 0;
  const expected = n.role === 'master' ? 'master' : 'slave';
  return {
    host: n.host,
    port: n.port,
    runId: n.runId,
    sdown: n.sdown,
    disconnected: !n.reachable,
    roleReported: n.reportedRole === 'unknown' ? expected : n.reportedRole,
    lastOkPingAgoMs: ago,
    infoRefreshAgoMs: ago,
    masterHost: n.masterHost,
    masterPort: n.masterPort,
    linkUp: n.linkUp,
    linkDownMs: n.linkUp === false ? (n.linkDownMs ?? 0) : 0,
    priority: n.priority,
    replOffset: n.offset ?? 0,
  };
}
