// The leader's table of what every raftinel node reports about every Redis node. Reports
// arrive over the peer transport (on change, plus periodic digests); freshness is judged on
// the leader's monotonic clock at arrival, never on the observer's clock.
import type { NodeId } from '../raft/types.js';
import type { RedisObservation } from './types.js';

export interface Sighting {
  readonly observer: NodeId;
  readonly obs: RedisObservation;
  readonly receivedAt: number;
}

export class ObservationTable {
  private readonly byObserver = new Map<NodeId, Map<string, Sighting>>();

  record(observer: NodeId, observations: readonly RedisObservation[], receivedAt: number): void {
    let mine = this.byObserver.get(observer);
    if (!mine) this.byObserver.set(observer, (mine = new Map()));
    for (const obs of observations) mine.set(key(obs.shard, obs.node), { observer, obs, receivedAt });
  }

  forget(observer: NodeId): void {
    this.byObserver.delete(observer);
  }

  /** Drops every other observer's reports (a new term of leadership starts: see the driver). */
  keepOnly(observer: NodeId): void {
    for (const o of [...this.byObserver.keys()]) if (o !== observer) this.byObserver.delete(o);
  }

  /** Every observer's latest report on a node, if younger than maxAgeMs. */
  fresh(shard: string, node: string, now: number, maxAgeMs: number): Sighting[] {
    const out: Sighting[] = [];
    const k = key(shard, node);
    for (const m of this.byObserver.values()) {
      const s = m.get(k);
      if (s && now - s.receivedAt <= maxAgeMs) out.push(s);
    }
    return out;
  }

  /** The best current view of a node: a reachable report, the preferred observer's first, else the newest. */
  best(shard: string, node: string, now: number, maxAgeMs: number, prefer: NodeId): RedisObservation | null {
    return this.bestSighting(shard, node, now, maxAgeMs, prefer)?.obs ?? null;
  }

  /** The report behind best(), with its observer and arrival (how old its INFO may be). */
  bestSighting(shard: string, node: string, now: number, maxAgeMs: number, prefer: NodeId): Sighting | null {
    const reachable = this.fresh(shard, node, now, maxAgeMs).filter((s) => s.obs.reachable && !s.obs.unsure);
    if (reachable.length === 0) return null;
    const own = reachable.find((s) => s.observer === prefer);
    if (own) return own;
    return reachable.reduce((a, b) => (b.receivedAt > a.receivedAt ? b : a));
  }
}

function key(shard: string, node: string): string {
  return `${shard}\u0000${node}`;
}
