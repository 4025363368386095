// A committed master that restarted without its data (docs/design.md 4.5), judged from what any
// leader can know. The leader that watched the restart remembers the run and offset before it,
// but a leadership change right after the restart loses that memory, and the replicas then
// full-sync from the empty master by themselves: the shard keeps a committed history that no
// node holds any more, no replica is eligible, and it can never fail over again. So the
// evidence also comes from what survives a leader change: each observer's own consecutive
// probes (RedisObservation.restartedFrom) and the replicas still on the committed history.
// And a shard already in that state adopts its master's current history. Pure.
import { pointsAt } from './engine-types.js';
import type { Sighting } from './observations.js';
import type { RedisObservation, RunSeen, ShardState, TopologyCommand, CandidateReport } from './types.js';

export interface RestartEvidenceInput {
  readonly shard: ShardState;
  /** The best current view of the committed master (null: no fresh reachable report). */
  readonly master: RedisObservation | null;
  /** Every observer's fresh report on the committed master. */
  readonly sightings: readonly Sighting[];
  /** The best current view of every node of the shard. */
  readonly views: ReadonlyMap<string, RedisObservation | null>;
  /** The run, and the highest offset of it, that this leader itself saw of the master before. */
  readonly remembered: RunSeen | undefined;
}

/** Why the committed master is taken for one that restarted without its data, or null. */
export function emptyRestartEvidence(input: RestartEvidenceInput): string | null {
  const { shard, master: v } = input;
  if (!v || v.runId === null || v.offset === null) return null;
  // Its new history is the shard's already (masterKept): nothing left to act on.
  if (v.replId !== null && v.replId === shard.replId) return null;
  const prev = input.remembered;
  if (prev && prev.runId !== v.runId && v.offset < prev.offset) {
    return `run ${v.runId} began below offset ${prev.offset} of run ${prev.runId} (seen by this leader)`;
  }
  // An observer saw this very run begin below where the one before had got.
  const witness = input.sightings.find((s) => s.obs.runId === v.runId && s.obs.restartedFrom !== null);
  const before = witness?.obs.restartedFrom;
  if (witness && before) {
    return `run ${v.runId} began below offset ${before.offset} of run ${before.runId} (seen by ${witness.observer})`;
  }
  // A replica still on the committed history holds more of it than the master does: the master
  // went back (its offsets count from a restart, on a history of its own).
  if (v.role !== 'master' || v.replId === null || shard.replId === null) return null;
  for (const node of shard.nodes) {
    if (node.id === shard.master) continue;
    const r = input.views.get(node.id);
    if (r?.role === 'slave' && r.replId === shard.replId && r.offset !== null && r.offset > v.offset) {
      return (
        `${node.id} is still on the shard's history ${shard.replId} at offset ${r.offset}, ahead of the master ` +
        `at offset ${v.offset} on history ${v.replId}`
      );
    }
  }
  return null;
}

/**
 * The shard whose committed history is outdated while its master is healthy and every replica
 * follows it, link up, on the master's current history: a restart no leader caught (or one
 * with its data under a new replication id). Every replica is then rejected as "on another
 * replication history" and no failover could ever happen, so the master's current history
 * becomes the shard's (masterKept: its own epoch and history entry, a note until ack). It moves
 * no Redis node. Null while any replica is unseen, unlinked, or still elsewhere.
 */
export function adoptFollowedHistory(
  shard: ShardState,
  views: ReadonlyMap<string, RedisObservation | null>,
  /** Asked only when the history is adopted: a report costs more than every check above it. */
  report: () => CandidateReport,
  wallNow: number,
): Extract<TopologyCommand, { type: 'masterKept' }> | null {
  const master = shard.nodes.find((n) => n.id === shard.master);
  const mv = master ? views.get(master.id) : null;
  const history = shard.replId;
  if (!master || !mv || history === null || shard.failover !== null) return null;
  if (mv.role !== 'master' || mv.sdown || mv.replId === null || mv.replId === history) return null;
  const replicas = shard.nodes.filter((n) => n.id !== master.id);
  if (replicas.length === 0) return null;
  for (const node of replicas) {
    const v = views.get(node.id);
    const follows = pointsAt(v, master) && v?.linkUp === true;
    if (!follows || v.replId !== mv.replId) return null;
  }
  const ids = replicas.map((n) => n.id).join(', ');
  const continued = mv.replId2 === history;
  const reason = continued
    ? `every replica follows ${master.id} on its replication history ${mv.replId}, which continues the shard's ` +
      `${history} (it restarted with its data under a new replication id); the new id becomes the shard's history ` +
      `so that ${ids} are candidates again`
    : `every replica follows ${master.id} on its replication history ${mv.replId}, not the shard's ${history}: ` +
      `${ids} resynced from it after a restart no leader saw; none holds more than it does, so ${master.id} ` +
      `stays master and its history becomes the shard's (writes it had not persisted before the restart are lost)`;
  return {
    type: 'masterKept',
    shard: shard.name,
    epoch: shard.epoch + 1,
    master: master.id,
    replId: mv.replId,
    resynced: continued ? [] : replicas.map((n) => n.id),
    reason,
    report: report(),
    at: wallNow,
    detectedAt: wallNow,
  };
}
