// The detail the HTTP shard views carry beyond what RESP clients need (docs/design.md 5.2):
// each replica's lag in seconds, and which raftinel nodes see each Redis node down. The status
// page draws these; both come from observations, never from the page's guesses.
import type { Topology } from '../failover/topology.js';
import type { RedisObservation } from '../failover/types.js';
import { LagClock } from './lag-clock.js';
import type { ShardObservers } from './observer-digest.js';
import type { ShardView } from './shard-view.js';
import { systemClock } from '../runtime/system-clock.js';

const SAMPLE_MS = 500;
const OWN_REUSE_MS = 50;

export interface LiveDetailDeps {
  readonly topology: () => Topology;
  /** This node's own latest observations of every Redis node. */
  readonly observations: () => readonly RedisObservation[];
  /** Monotonic ms. */
  readonly now: () => number;
}

export type LiveShardView = Omit<ShardView, 'replicas'> &
  ShardObservers & {
    readonly replicas: readonly (ShardView['replicas'][number] & { readonly lagSeconds: number | null })[];
  };

export class LiveDetail {
  private readonly lag = new LagClock();
  private readonly stopTimer: () => void;
  private own: { at: number; byNode: Map<string, RedisObservation> } | null = null;

  constructor(private readonly deps: LiveDetailDeps) {
    this.stopTimer = systemClock.every(SAMPLE_MS, () => this.sample(), { unref: true });
  }

  close(): void {
    this.stopTimer();
  }

  /** The view with lag seconds and observers (ShardStates.observersOf) added. */
  decorate(view: ShardView, observers: ShardObservers): LiveShardView {
    const own = this.ownByNode();
    const now = this.deps.now();
    const masterOffset = view.master ? (own.get(`${view.name}/${view.master.id}`)?.offset ?? null) : null;
    const replicas = view.replicas.map((r) => {
      const offset = own.get(`${view.name}/${r.id}`)?.offset ?? null;
      const lagSeconds =
        r.lagBytes !== null && view.master && masterOffset !== null && offset !== null
          ? this.lag.lagSeconds(view.name, view.master.id, offset, masterOffset, now)
          : null;
      return { ...r, lagSeconds };
    });
    return { ...view, replicas, ...observers };
  }

  /** This node's observations by `shard/node`, rebuilt at most every 50 ms (a list route decorates every shard). */
  private ownByNode(): Map<string, RedisObservation> {
    const now = this.deps.now();
    if (this.own && now - this.own.at < OWN_REUSE_MS) return this.own.byNode;
    const byNode = new Map<string, RedisObservation>();
    for (const o of this.deps.observations()) byNode.set(`${o.shard}/${o.node}`, o);
    this.own = { at: now, byNode };
    return byNode;
  }

  private sample(): void {
    const own = this.ownByNode();
    const now = this.deps.now();
    const shards = this.deps.topology().shards;
    for (const s of Object.values(shards)) {
      if (s.master === null) continue;
      const o = own.get(`${s.name}/${s.master}`);
      if (o?.reachable && o.offset !== null) this.lag.sample(s.name, s.master, o.offset, now);
    }
    this.lag.retain(new Set(Object.keys(shards)));
  }
}
