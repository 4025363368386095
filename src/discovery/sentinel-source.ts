// The RESP server's view of this node: applied topology, this node's own probe view of each
// Redis node, and the other members' advertised RESP addresses (docs/design.md 5.1).
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseHostPort, readSecretFile, type RaftinelConfig } from '../config/index.js';
import { quorumOf } from '../failover/detect.js';
import type { FailoverDriver } from '../failover/driver.js';
import type { Topology } from '../failover/topology.js';
import type { RedisNodeSpec, RedisObservation, ShardState } from '../failover/types.js';
import type { MemberAddresses } from '../node/cluster-state.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
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
  readonly driver: FailoverDriver;
  /** Runs a switchover wherever the leader is (followers forward), as the HTTP route does. */
  readonly switchover: (shard: string) => Promise<{ ok: boolean; error?: string }>;
}

/** Sentinel's run ids are 40 hex characters; ours are derived from cluster and node id. */
export function sentinelRunId(cluster: string, nodeId: string): string {
  return createHash('sha1').update(`raftinel:${cluster}:${nodeId}`).digest('hex');
}

export function createSentinelSource(deps: SourceDeps): SentinelSource {
  const { config, runtime } = deps;
  const myId = sentinelRunId(config.cluster, config.node.id);
  const electionMs = config.raft.electionTicks * config.raft.tickMs;
  return {
    myId: () => myId,
    hasFreshLeader: () => runtime.hasFreshLeader(),
    shards: () =>
      Object.values(deps.topology().shards)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((s) =>
          shardOf(s, (node) => deps.driver.ownView(s.name, node), runtime.status().conf.voters.length),
        ),
    masterAddress: (name) => {
      const shards = deps.topology().shards;
      // Own keys only: a client asking for `constructor` or `__proto__` gets "no such master".
      const s = Object.hasOwn(shards, name) ? shards[name] : undefined;
      if (!s) return undefined;
      // The applied node spec itself: the RESP side keeps its encoded address per object.
      return s.nodes.find((n) => n.id === s.master) ?? null;
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
          up: contact !== null && contact <= electionMs,
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
export function shardOf(
  s: ShardState,
  view: (node: string) => RedisObservation | null,
  voters: number,
): SentinelShard {
  const master = s.nodes.find((n) => n.id === s.master);
  return {
    name: s.name,
    epoch: s.epoch,
    quorum: quorumOf(s, voters),
    downAfterMs: s.settings.downAfterMs,
    failoverTimeoutMs: s.settings.failoverTimeoutMs,
    parallelSyncs: s.settings.parallelSyncs,
    failoverInProgress: s.failover !== null,
    // Cleared at Promoted: the failed master is no longer the one clients are given, and redis-py
    // refuses a master flagged o_down (SentinelConnectionPool's check_master_state).
    odown: s.failover?.kind === 'failover' && s.failover.step === 'started',
    master: master ? redisNodeOf(master, view(master.id), 'master') : null,
    replicas: s.nodes.filter((n) => n.id !== s.master).map((n) => redisNodeOf(n, view(n.id), 'slave')),
  };
}

function redisNodeOf(
  spec: RedisNodeSpec,
  v: RedisObservation | null,
  expected: 'master' | 'slave',
): SentinelRedisNode {
  const ago = v?.lastOkAgoMs ?? 0;
  return {
    host: spec.host,
    port: spec.port,
    runId: v?.runId ?? null,
    sdown: v?.sdown ?? true,
    disconnected: !(v?.reachable ?? false),
    roleReported: v?.role === 'master' || v?.role === 'slave' ? v.role : expected,
    lastOkPingAgoMs: ago,
    infoRefreshAgoMs: ago,
    masterHost: v?.masterHost ?? null,
    masterPort: v?.masterPort ?? null,
    linkUp: v?.linkUp ?? null,
    linkDownMs: v?.linkUp === false ? (v.linkDownMs ?? 0) : 0,
    priority: spec.priority,
    replOffset: v?.offset ?? 0,
  };
}
