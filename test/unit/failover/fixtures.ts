// Small builders for failover unit tests: a shard, observations, a topology, and the commands of a
// failover (started, promoted, ended).
import type { ShardSettings } from '../../../src/config/index.js';
import { applyTopologyCommand, emptyTopology, type Topology } from '../../../src/failover/topology.js';
import type { InFlight, RedisObservation, ShardSpec, TopologyCommand } from '../../../src/failover/types.js';

export const settings: ShardSettings = {
  downAfterMs: 1000,
  pingIntervalMs: 100,
  infoIntervalMs: 1000,
  quorum: 'majority',
  selection: 'least-lag',
  maxLagBytes: null,
  maxLinkDownMs: null,
  parallelSyncs: 1,
  failoverCooldownMs: 60_000,
  failoverTimeoutMs: 30_000,
  minReplicasToWrite: null,
  minReplicasMaxLagMs: 10_000,
  holistic: false,
};

export function spec(overrides: Partial<ShardSettings> = {}): ShardSpec {
  return {
    name: 'm',
    nodes: ['r1', 'r2', 'r3'].map((id) => ({
      id,
      host: `h-${id}`,
      port: 6379,
      priority: 100,
      noFailover: false,
    })),
    settings: { ...settings, ...overrides },
    initialMaster: null,
  };
}

export function topologyWithMaster(overrides: Partial<ShardSettings> = {}): Topology {
  const topo = emptyTopology();
  applyTopologyCommand(topo, { type: 'bootstrapShards', shards: [spec(overrides)] }, 1);
  applyTopologyCommand(topo, { type: 'masterAdopted', shard: 'm', master: 'r1', replId: 'hist-1' }, 1);
  return topo;
}

export function obs(node: string, fields: Partial<RedisObservation> = {}): RedisObservation {
  const master = node === 'r1';
  return {
    shard: 'm',
    node,
    sdown: false,
    unsure: false,
    reachable: true,
    role: master ? 'master' : 'slave',
    masterHost: master ? null : 'h-r1',
    masterPort: master ? null : 6379,
    linkUp: master ? null : true,
    linkDownMs: null,
    offset: 1000,
    replId: 'hist-1',
    replId2: null,
    runId: `run-${node}`,
    restartedFrom: null,
    error: null,
    lastOkAgoMs: 10,
    probeRttMs: 1,
    ...fields,
  };
}

export const down = (node: string): RedisObservation =>
  obs(node, {
    sdown: true,
    reachable: false,
    role: 'unknown',
    offset: null,
    linkUp: null,
    lastOkAgoMs: 5000,
  });

export type FailoverStarted = Extract<TopologyCommand, { type: 'failoverStarted' }>;

/**
 * The start of an automatic failover of shard m away from r1 (the master of
 * topologyWithMaster) to `to`, epoch 1, at 1_000_000, its report choosing `to`; `fields`
 * overrides any of these.
 */
export function failoverStarted(to: string, fields: Partial<FailoverStarted> = {}): FailoverStarted {
  return {
    type: 'failoverStarted',
    shard: 'm',
    epoch: 1,
    kind: 'failover',
    from: 'r1',
    to,
    report: { selection: 'least-lag', masterOffset: null, chosen: to, rows: [] },
    at: 1_000_000,
    detectedAt: 1_000_000,
    ...fields,
  };
}

type Promoted = Extract<TopologyCommand, { type: 'promoted' }>;
type FailoverEnded = Extract<TopologyCommand, { type: 'failoverEnded' }>;

/** The promotion of epoch 1's target in shard m, replication id hist-2, at 1_000_100. */
export function promoted(fields: Partial<Promoted> = {}): Promoted {
  return { type: 'promoted', shard: 'm', epoch: 1, replId: 'hist-2', at: 1_000_100, ...fields };
}

/** The end of epoch 1's failover in shard m at 1_000_200, no replica repointed. */
export function failoverEnded(fields: Partial<FailoverEnded> = {}): FailoverEnded {
  return {
    type: 'failoverEnded',
    shard: 'm',
    epoch: 1,
    repointed: [],
    timeline: {},
    at: 1_000_200,
    ...fields,
  };
}

/** A failover of r1 -> r2 in flight (the shard's `failover` field), at the given step. */
export function inFlight(step: InFlight['step'], fields: Partial<InFlight> = {}): InFlight {
  return {
    epoch: 1,
    kind: 'failover',
    from: 'r1',
    to: 'r2',
    step,
    term: 1,
    detectedAt: 0,
    startedAt: 0,
    promotedAt: step === 'promoted' ? 1 : null,
    report: { selection: 'least-lag', masterOffset: null, chosen: 'r2', rows: [] },
    ...fields,
  };
}
