// Small builders for failover unit tests: a shard, observations, and a topology.
import type { ShardSettings } from '../../../src/config/index.js';
import { applyTopologyCommand, emptyTopology, type Topology } from '../../../src/failover/topology.js';
import type { RedisObservation, ShardSpec } from '../../../src/failover/types.js';

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
