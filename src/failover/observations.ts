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

  /**
   * Records an observer's reports; returns the shards where one of them differs meaningfully
   * from what that observer reported before (the engine looks at those at once: driver.ts).
   */
  record(observer: NodeId, observations: readonly RedisObservation[], receivedAt: number): Set<string> {
    let mine = this.byObserver.get(observer);
    if (!mine) this.byObserver.set(observer, (mine = new Map()));
    const changed = new Set<string>();
    for (const obs of observations) {
      const k = key(obs.shard, obs.node);
      const before = mine.get(k);
      if (!changed.has(obs.shard) && meaningfullyDifferent(before?.obs ?? null, obs)) changed.add(obs.shard);
      mine.set(k, { observer, obs, receivedAt });
    }
    return changed;
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

/** Whether two observations differ in a field worth telling the leader about (not offsets). */
export function meaningfullyDifferent(a: RedisObservation | null, b: RedisObservation): boolean {
  if (a === null) return true;
  return (
    a.sdown !== b.sdown ||
    a.unsure !== b.unsure ||
    a.reachable !== b.reachable ||
    a.role !== b.role ||
    a.masterHost !== b.masterHost ||
    a.masterPort !== b.masterPort ||
    a.linkUp !== b.linkUp ||
    a.replId !== b.replId ||
    a.replId2 !== b.replId2 ||
    a.runId !== b.runId ||
    (a.restartedFrom?.runId ?? null) !== (b.restartedFrom?.runId ?? null) ||
    (a.replicaPriority ?? null) !== (b.replicaPriority ?? null) ||
    a.error !== b.error
  );
}
