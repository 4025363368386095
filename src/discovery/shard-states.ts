// Gathers what node-state.ts needs (applied topology, this node's probes, the leader's digest of
// who sees whom down, the voters, the wall clock) and hands every surface the same records:
// HTTP views and health routes, SENTINEL replies and /metrics (docs/design.md 5.3).
import { odownNeeded } from '../failover/detect.js';
import type { Topology } from '../failover/topology.js';
import type { RedisObservation } from '../failover/types.js';
import type { NodeId } from '../raft/types.js';
import { shardNodeStates, type ShardNodeStates } from './node-state.js';
import type { ShardObservers } from './observer-digest.js';

export interface ShardStatesDeps {
  readonly selfId: NodeId;
  readonly topology: () => Topology;
  readonly ownView: (shard: string, node: string) => RedisObservation | null;
  /** The leader's digest of a shard's observers, or null when none is recent (then: this node alone). */
  readonly observers: (shard: string) => ShardObservers | null;
  readonly voters: () => number;
  /** Wall-clock ms. */
  readonly wallNow: () => number;
}

export class ShardStates {
  constructor(private readonly deps: ShardStatesDeps) {}

  /** The states of a shard's nodes and the shard's own state; null for an unknown shard. */
  of(name: string): ShardNodeStates | null {
    const topo = this.deps.topology();
    const shard = Object.hasOwn(topo.shards, name) ? topo.shards[name] : undefined;
    if (!shard) return null;
    const observers = this.deps.observers(name);
    return shardNodeStates({
      shard,
      pausedAll: topo.paused,
      own: (node) => this.deps.ownView(name, node),
      sdownBy: (node) => (observers ? (observers.sdownBy[node] ?? []) : null),
      quorum: odownNeeded(shard, this.deps.voters()),
      selfId: this.deps.selfId,
      wallNow: this.deps.wallNow(),
    });
  }

  /**
   * Who reports on the shard, who sees each node down (the same lists as the nodes' `sdownBy`)
   * and who is unsure: the leader's digest with this node's own verdicts, else this node alone.
   */
  observersOf(name: string, states: ShardNodeStates): ShardObservers {
    const digest = this.deps.observers(name);
    const self = this.deps.selfId;
    const sdownBy: Record<string, readonly NodeId[]> = {};
    const unsureBy: Record<string, readonly NodeId[]> = { ...digest?.unsureBy };
    for (const n of [...(states.master ? [states.master] : []), ...states.replicas]) {
      if (n.sdownBy.length > 0) sdownBy[n.id] = n.sdownBy;
      const listed = unsureBy[n.id] ?? [];
      if (n.unsure && !listed.includes(self)) unsureBy[n.id] = [...listed, self].sort();
    }
    return { observedBy: digest?.observedBy ?? [self], sdownBy, unsureBy };
  }
}
