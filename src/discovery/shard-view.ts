// What the JSON routes tell clients about a shard (GET /v1/shards, the watch streams, `raftinel
// status`): the applied shard with each Redis node's state from node-state.ts, the one source
// the RESP replies and /metrics read too (docs/design.md 5.3).
import type { ShardState } from '../failover/types.js';
import type { NodeState, NodeStatus, ShardNodeStates, ShardStatus } from './node-state.js';

export type { NodeStatus, ShardStatus } from './node-state.js';

/** A Redis node as the JSON views show it. */
export interface NodeView {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly status: NodeStatus;
  readonly reachable: boolean;
  /** SDOWN in the answering node's own view. */
  readonly sdown: boolean;
  readonly reportedRole: 'master' | 'slave' | 'unknown';
  /** In maintenance (`raftinel maintenance on`): never promoted. */
  readonly maintenance: boolean;
}

export interface ReplicaView extends NodeView {
  readonly lagBytes: number | null;
  /** master_link_status as the replica answers now; null while it does not answer. */
  readonly linkUp: boolean | null;
}

export interface ShardView {
  readonly name: string;
  readonly epoch: number;
  readonly master: NodeView | null;
  readonly replicas: readonly ReplicaView[];
  readonly state: ShardStatus;
  readonly paused: boolean;
  /** Wall-clock ms until which automatic failovers wait after the last one; null when none. */
  readonly cooldownUntil: number | null;
  /** raftinel nodes that must see the master SDOWN for ODOWN. */
  readonly quorum: number;
  readonly problem?: string;
  /** This node's preflight problems with the shard's Redis nodes (docs/design.md 4.4); absent when none. */
  readonly preflight?: readonly PreflightLine[];
}

export interface PreflightLine {
  readonly node: string;
  readonly severity: 'error' | 'warn';
  readonly message: string;
}

export function shardView(
  shard: ShardState,
  states: ShardNodeStates,
  preflightOf: (shard: string) => readonly PreflightLine[] = () => [],
): ShardView {
  const preflight = preflightOf(shard.name);
  return {
    name: shard.name,
    epoch: shard.epoch,
    master: states.master ? nodeView(states.master) : null,
    replicas: states.replicas.map((r) => ({ ...nodeView(r), lagBytes: r.lagBytes, linkUp: r.linkUp })),
    state: states.status,
    paused: states.paused,
    cooldownUntil: states.cooldownUntil,
    quorum: states.quorum,
    ...(shard.problem ? { problem: shard.problem } : {}),
    ...(preflight.length > 0 ? { preflight } : {}),
  };
}

function nodeView(n: NodeState): NodeView {
  return {
    id: n.id,
    host: n.host,
    port: n.port,
    status: n.status,
    reachable: n.reachable,
    sdown: n.sdown,
    reportedRole: n.reportedRole,
    maintenance: n.maintenance,
  };
}
