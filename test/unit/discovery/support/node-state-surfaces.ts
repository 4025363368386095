// The surfaces that read ShardStates, rendered from one input: the JSON view of a shard (as
// GET /v1/shards answers it), the `raftinel status` table, and /metrics.
import { shardsTable } from '../../../../src/cli/render.js';
import { Metrics } from '../../../../src/discovery/metrics.js';
import { ShardStates } from '../../../../src/discovery/shard-states.js';
import { shardView, type ShardView } from '../../../../src/discovery/shard-view.js';
import type { ShardObservers } from '../../../../src/discovery/observer-digest.js';
import type { Topology } from '../../../../src/failover/topology.js';
import type { RedisObservation } from '../../../../src/failover/types.js';
import type { RaftRuntime } from '../../../../src/runtime/raft-runtime.js';

/** A Raft runtime that only answers status(), as a one-node leader: what Metrics reads of it. */
export const leaderRuntime = {
  onSoftState: () => undefined,
  status: () => ({
    id: 'n1',
    term: 1,
    commit: 1,
    applied: 1,
    role: 'leader',
    leader: 'n1',
    conf: { voters: ['n1'], learners: [] },
  }),
} as unknown as RaftRuntime;

/** ShardStates of node n1, alone, whose own view of every Redis node is `own`. */
export function statesOf(
  topo: Topology,
  own: (shard: string, node: string) => RedisObservation,
): ShardStates {
  return new ShardStates({
    selfId: 'n1',
    topology: () => topo,
    ownView: own,
    observers: () => null,
    voters: () => 1,
    wallNow: () => 0,
  });
}

export function renderShards(
  topo: Topology,
  states: ShardStates,
): { json: ShardView & ShardObservers; table: string; metrics: string } {
  const st = states.of('m');
  if (!st) throw new Error('shard m has no state');
  const json = { ...shardView(topo.shards.m, st), ...states.observersOf('m', st) };
  const metrics = new Metrics({ runtime: leaderRuntime, topology: () => topo, states });
  try {
    return { json, table: shardsTable([json], false), metrics: metrics.render() };
  } finally {
    metrics.close();
  }
}
