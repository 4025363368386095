// What discovery tells clients about a shard, computed from applied state and this node's own
// view of the Redis nodes: one function shared by HTTP JSON, health checks and the RESP replies.
import type { ShardState } from '../failover/types.js';
import type { RedisObservation } from '../failover/types.js';
import type { Topology } from '../failover/topology.js';

export type ShardStatus = 'ok' | 'sdown' | 'odown' | 'failover' | 'switchover' | 'no-master' | 'ambiguous';

export interface ShardView {
  readonly name: string;
  readonly epoch: number;
  readonly master: { readonly id: string; readonly host: string; readonly port: number } | null;
  readonly replicas: readonly {
    id: string;
    host: string;
    port: number;
    lagBytes: number | null;
    linkUp: boolean | null;
  }[];
  readonly state: ShardStatus;
  readonly paused: boolean;
  readonly problem?: string;
  /** This node's preflight problems with the shard's Redis nodes (docs/design.md 4.4); absent when none. */
  readonly preflight?: readonly PreflightLine[];
}

export interface PreflightLine {
  readonly node: string;
  readonly severity: 'error' | 'warn';
  readonly message: string;
}

export type ViewOf = (shard: string, node: string) => RedisObservation | null;

export function shardView(
  topo: Topology,
  shard: ShardState,
  viewOf: ViewOf,
  preflightOf: (shard: string) => readonly PreflightLine[] = () => [],
): ShardView {
  const preflight = preflightOf(shard.name);
  const masterNode = shard.nodes.find((n) => n.id === shard.master) ?? null;
  const masterView = masterNode ? viewOf(shard.name, masterNode.id) : null;
  const replicas = shard.nodes
    .filter((n) => n.id !== shard.master)
    .map((n) => {
      const v = viewOf(shard.name, n.id);
      // A node this node cannot reach has no current offset: its last one would show false lag.
      const lag =
        masterView?.offset != null && v?.reachable && v.offset != null
          ? Math.max(0, masterView.offset - v.offset)
          : null;
      return { id: n.id, host: n.host, port: n.port, lagBytes: lag, linkUp: v ? v.linkUp : null };
    });
  return {
    name: shard.name,
    epoch: shard.epoch,
    master: masterNode ? { id: masterNode.id, host: masterNode.host, port: masterNode.port } : null,
    replicas,
    state: statusOf(shard, masterView),
    paused: shard.paused || topo.paused,
    ...(shard.problem ? { problem: shard.problem } : {}),
    ...(preflight.length > 0 ? { preflight } : {}),
  };
}

function statusOf(shard: ShardState, masterView: RedisObservation | null): ShardStatus {
  if (shard.failover) return shard.failover.kind;
  if (shard.master === null) return shard.problem?.startsWith('ambiguous') ? 'ambiguous' : 'no-master';
  if (masterView?.sdown) return 'sdown';
  return 'ok';
}
