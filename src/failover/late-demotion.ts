// An aborted switchover whose demotion of the old master landed after the abort: the switchover
// goes forward (docs/design.md 4.7). Pure: it reads the engine's views, reports and operations
// through EngineCore, and says what failover to start.
import { OP_TIMEOUT_MS, pointsAt, type EngineCore, type EngineInput } from './engine-types.js';
import { historyGone, judgeCandidate } from './promotion.js';
import { infoTakenNoEarlierThan, observationMaxAgeMs } from './rules.js';
import { nodeOf } from './topology.js';
import type { CandidateReport, CandidateRow, RedisNodeSpec, RedisObservation, ShardState } from './types.js';

/** The failover that takes an aborted switchover forward: its report and whether it adopts a history. */
export interface LateDemotionForward {
  readonly report: CandidateReport;
  readonly adoptHistory: boolean;
}

/**
 * An aborted switchover's REPLICAOF can reach the old master after the abort: a leader aborts
 * on an INFO showing the old master still master, while a REPLICAOF sent earlier by a previous
 * leader (or a previous run of this one) waits on another connection of a stopped Redis, which
 * runs it when it resumes (seed 9204817). The committed master then follows the aborted
 * target, and detect() cannot mend it: its replicas, resynced through that target, are off
 * the shard's history. The switchover goes forward instead, as a committed one does once the
 * old master is a replica: a failover to that target, if it is master on a history continuing
 * the shard's (promotion.ts verifies it again, and commits Promoted without REPLICAOF NO ONE),
 * or on the history that replaced the shard's once no node holds that (`adoptHistory`).
 */
export function lateDemotionForward(
  core: EngineCore,
  input: EngineInput,
  shard: ShardState,
  restartedEmpty: () => boolean,
): LateDemotionForward | null {
  const committed = nodeOf(shard, shard.master) as RedisNodeSpec;
  const views = core.views(input, shard);
  const cv = views.get(committed.id);
  if (cv?.role !== 'slave' || restartedEmpty()) return null;
  if (input.topology.paused || shard.paused || input.wallNow < shard.cooldownUntil) return null;
  const history = input.topology.history[shard.name] ?? [];
  let lastEnded = history.length - 1;
  while (lastEnded >= 0 && history[lastEnded].result !== 'ended') lastEnded--;
  const target = history
    .slice(lastEnded + 1)
    .map((h) => (h.from === committed.id ? nodeOf(shard, h.to) : null))
    .find((n): n is RedisNodeSpec => n !== null && pointsAt(cv, n));
  const tv = target ? views.get(target.id) : null;
  if (!target || !tv || tv.sdown || target.priority === 0 || target.noFailover || tv.replicaPriority === 0) {
    return null;
  }
  // The target lost its data after it was promoted (restarted empty, seed 10443929) and the
  // committed master full-synced from it: once no node holds the shard's history, the
  // target's is the best there is, and going forward is the one way to a master.
  const continues = judgeCandidate(target.id, tv, shard.replId, true).kind === 'promoted';
  const adopt = !continues && tv.role === 'master' && historyGone(shard, views);
  if (!continues && !adopt) return null;
  // This leader may have demoted the target itself since that INFO (reconcile() demotes a
  // master that is not the committed one, as soon as the committed master is unseen): the
  // view of it as master is then stale. Simulator seed 10464868: an INFO of r3 as master,
  // then the leader's REPLICAOF to r3, then an INFO of r1 following r3, and a failover to r3
  // decided 6 ms after r3 was made a replica of r1 (a loop; promotion.ts aborted it).
  if (mayPredateOwnReplicaof(core, input, shard, target.id, tv)) return null;
  const report = core.report(input, shard, shard.master);
  // A replica still on the shard's history past the target's offset holds writes the committed
  // master took after the target was promoted (seed 9300143): going forward would drop them.
  // The committed master answers as a replica, so detect() fails over to the least lagged.
  const ahead = report.rows.some((r) => r.eligible && (r.offset ?? -1) > (tv.offset ?? -1));
  if (ahead) return null;
  const row: CandidateRow = {
    id: target.id,
    eligible: true,
    reason: adopt
      ? `master since the aborted switchover to it, on a new history ${tv.replId} (it lost its data); ` +
        `the committed master ${committed.id} replicates from it and no node holds the shard's history ${shard.replId}`
      : `master since the aborted switchover to it, on a history continuing the shard's ` +
        `(master_replid2 ${tv.replId2}); the committed master ${committed.id} replicates from it`,
    offset: tv.offset,
    lagBytes: 0,
    priority: target.priority,
  };
  const rows = [...report.rows.filter((r) => r.id !== target.id), row];
  return { report: { ...report, chosen: target.id, rows }, adoptHistory: adopt };
}

/**
 * Whether the view of `node` may come from an INFO taken before a REPLICAOF this leader sent
 * it could have landed: in flight, it may land at any time up to OP_TIMEOUT_MS after it was
 * sent; answered, before the answer. Only an INFO surely taken after that (the report's
 * arrival, less the age of the last valid reply and an INFO interval) shows what it did.
 */
function mayPredateOwnReplicaof(
  core: EngineCore,
  input: EngineInput,
  shard: ShardState,
  node: string,
  view: RedisObservation,
): boolean {
  const st = core.lastOp(shard.name, node);
  if (st?.op !== 'replicaof') return false;
  const landedBy = st.result !== undefined ? (st.answeredAt ?? input.now) : st.sentAt + OP_TIMEOUT_MS;
  const sighting = input.observations
    .fresh(shard.name, node, input.now, observationMaxAgeMs(shard.settings))
    .find((s) => s.obs === view);
  if (!sighting) return true;
  return infoTakenNoEarlierThan(sighting, shard.settings) <= landedBy;
}
