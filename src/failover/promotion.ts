// The promotion step of an automatic failover (and of an operator's), verified against the
// shard's replication history (docs/design.md 4.4, 4.5, 7 invariant 4). The candidate was chosen on
// observations up to one INFO interval old; a replica may have full-synced from the failed
// master in the meantime, if that master restarted empty (Redis replicas reconnect by
// themselves within about a second), and then holds nothing of the history. So the step reads
// a fresh INFO before REPLICAOF NO ONE (master_replid must still be the shard's history) and
// after it (master_replid2, the history the new master continued, must be the shard's): a
// replica that resynced in between carries the empty master's id there instead. A candidate
// that fails either check is never published: its attempt is aborted and the next candidate
// is tried at once. When no replica is left on the history, the restarted master is kept.
// Pure: it acts through EngineCore.
import {
  managedWriteSafety,
  OP_RETRY_MS,
  pointsAt,
  type EngineCore,
  type EngineInput,
  type FailoverInFlight,
} from './engine-types.js';
import type { Sighting } from './observations.js';
import { infoTakenNoEarlierThan, observationMaxAgeMs } from './rules.js';
import type {
  CandidateReport,
  CandidateRow,
  RedisNodeSpec,
  RedisObservation,
  ShardState,
  TopologyCommand,
} from './types.js';

export type CandidateVerdict =
  /** A replica still on the history: send REPLICAOF NO ONE. */
  | { readonly kind: 'promote' }
  /** A master that continued the history: commit Promoted with its new replication id. */
  | { readonly kind: 'promoted'; readonly replId: string | null }
  /** Off the history, found before or after REPLICAOF NO ONE: abort this attempt. */
  | { readonly kind: 'lost'; readonly when: 'before' | 'after'; readonly reason: string }
  /** The node's role is unknown: look again. */
  | { readonly kind: 'unknown' };

/**
 * Judges a fresh INFO of the candidate against the shard's history. `verify` false (no known
 * history, an operator who accepted data loss, the skipReplIdCheck bug) accepts any history.
 */
export function judgeCandidate(
  node: string,
  view: RedisObservation,
  history: string | null,
  verify: boolean,
): CandidateVerdict {
  const check = verify && history !== null;
  if (view.role === 'master') {
    if (!check || view.replId2 === history) return { kind: 'promoted', replId: view.replId };
    return {
      kind: 'lost',
      when: 'after',
      reason:
        `${node} was promoted from another replication history: its master_replid2 is ` +
        `${view.replId2 ?? 'unset'}, not the shard's ${history} (it had full-synced from another master ` +
        'just before REPLICAOF NO ONE); it is made a replica of the next master',
    };
  }
  if (view.role !== 'slave') return { kind: 'unknown' };
  if (!check || view.replId === history) return { kind: 'promote' };
  const from = view.masterHost !== null ? ` from ${view.masterHost}:${view.masterPort}` : '';
  return {
    kind: 'lost',
    when: 'before',
    reason:
      `${node} left the replication history before REPLICAOF NO ONE: its master_replid is ` +
      `${view.replId ?? 'unknown'}, not the shard's ${history} (it full-synced${from})`,
  };
}

/**
 * The shard without the `lostHistory` entries that regained the history: a replica found off it
 * at a promotion can full-sync from the committed master later (repointed to it, or restarted
 * empty), and then holds the history again (seed 9319631: such a replica, the only one with the
 * data, was counted as resynced and the empty master kept). Only reports whose INFO was surely
 * taken after the finding count (`skewMs` covers the clocks of the two leaders); an older report
 * may show the history it had before it left.
 */
export function withRegainedHistory(
  shard: ShardState,
  sightings: (node: string) => readonly Sighting[],
  now: number,
  wallNow: number,
): ShardState {
  const lost = shard.lostHistory ?? [];
  if (lost.length === 0 || shard.replId === null || shard.lostHistoryAt === undefined) return shard;
  const skewMs = Math.max(1000, shard.settings.downAfterMs);
  const after = shard.lostHistoryAt + skewMs;
  const regained = (id: string): boolean =>
    sightings(id).some((s) => {
      const infoAtLeast = infoTakenNoEarlierThan(s, shard.settings, (ms) => wallNow - (now - ms));
      return s.obs.reachable && s.obs.replId === shard.replId && infoAtLeast > after;
    });
  const still = lost.filter((id) => !regained(id));
  return still.length === lost.length ? shard : { ...shard, lostHistory: still };
}

/**
 * Replicas known off the shard's history: found so at promotion (lostHistory), or, when the
 * master restarted empty (`restarted`), reported on the restarted master's new history (they
 * copied it; a replication id never comes back to a history its master left), or on another
 * history while they follow some other node with their link up (they copied that node's), or
 * are masters themselves.
 *
 * A replica that follows the restarted master but is reported on neither history is not
 * known off it: its INFO may predate a sync from that master before the restart (a full sync,
 * or a PSYNC that continued the history from its parent: the INFO of a replica repointed by a
 * failover shows the previous history until its link comes up), so it may hold the shard's
 * history now. It syncs from the restarted master within about a second (Redis'
 * replicationCron), and its next INFO shows which: a candidate, or a copy of the master.
 * (Simulator seed 1203512 kept an empty master while such a replica, reported on the parent
 * history with its link down, held the shard's history.)
 *
 * So is a replica that follows another node with its link down: its next sync, within about a
 * second of that INFO, gives it whatever that node holds then, and that may be the shard's
 * history even when the node's own report shows it resynced since. (Seed 11051243: r3,
 * restarted with its data from before a switchover, reported following r1 on the history
 * before the shard's, link down; it full-synced from r1, still on the shard's history, 30 ms
 * before r1 full-synced from the restarted master r2, and r2 was kept while r3 held the data.)
 *
 * And a report on another history counts only when it was surely taken after the restart
 * (`restart.reportedAfter`): an older one may predate a sync from the master while it still
 * held the shard's history, a PSYNC continuing it from the history before it included. Only a
 * report on the restarted master's new history needs no such proof: that id was born with the
 * restart. (Seed 16034773: a switchover made r1 master and repointed r3 to it; the leader's
 * own report of r3, its INFO taken before the switchover, showed r3 following r2 on the history
 * before the shard's, link up. r3 PSYNCed from r1 onto the shard's history; r1 restarted empty
 * and was kept, counted with r3 resynced, while r3 held the data.)
 */
export function resyncedReplicas(
  shard: ShardState,
  views: ReadonlyMap<string, RedisObservation | null>,
  restart: EmptyRestart | null,
): string[] {
  const lost = new Set(shard.lostHistory ?? []);
  const master = shard.nodes.find((n) => n.id === shard.master);
  const masterHistory = master ? (views.get(master.id)?.replId ?? null) : null;
  return shard.nodes
    .filter((n) => n.id !== shard.master)
    .filter((n) => {
      if (lost.has(n.id)) return true;
      const v = views.get(n.id);
      if (!restart || shard.replId === null || !v?.replId || v.replId === shard.replId) return false;
      if (v.replId === masterHistory) return true;
      if (!restart.reportedAfter.has(n.id)) return false;
      const syncing = v.role === 'slave' && v.linkUp !== true;
      return !master || (!pointsAt(v, master) && !syncing);
    })
    .map((n) => n.id);
}

/**
 * The committed master's empty restart as the leader knows it (docs/design.md 4.5): the nodes
 * whose current report (their view) was surely taken after the restart, its INFO sent after the
 * leader first had evidence of the new run (rules.ts infoTakenNoEarlierThan).
 */
export interface EmptyRestart {
  readonly reportedAfter: ReadonlySet<string>;
}

/**
 * The committed master answers as a replica of another node while it still holds the shard's
 * history (its master_replid is the shard's: it has not synced from that node), and no replica
 * is eligible: a REPLICAOF of an earlier epoch reached it late. Sent by a leader of before over
 * a slow link, it landed after a later epoch had made the node master again (simulator seed
 * 9955418: epoch 3's demotion of r1 toward r2 landed 1.8 s after it was sent, 0.5 s after
 * epoch 4 promoted r1; r2 and r3 were down). Nothing else mends that: reconcile() leaves a
 * committed master that is a replica alone, lateDemotionForward() goes forward only to an
 * aborted attempt's target on the history, and no replica is a candidate. The shard would wait
 * on a read-only node until the node it follows answered (there, restarted empty) and it
 * full-synced from it, the history gone from every node. It is the best candidate there is,
 * so it is promoted again where it is: a failover from it to itself (`inPlace`), verified as
 * any (INFO, REPLICAOF NO ONE, INFO with master_replid2 the shard's), after which reconcile()
 * demotes or repoints whatever it followed. Null when that does not apply.
 *
 * It also holds when the committed master is in a replication loop on a history that continues
 * the shard's: it follows a node that is itself a replica, and some node's current report names
 * its master_replid with the shard's history as master_replid2 (a promotion from it). Seed
 * 10515639: a switchover's demotion of r1 toward r2 landed, r1 went down, a later leader aborted
 * the switchover (r1 down, never seen demoted) and reconcile() demoted r2 toward r1 while r1 was
 * still loading; r1 had PSYNCed from r2, taking r2's history, so r1 -> r2 -> r1 took no writes
 * and no rule applied. The failover is then verified on that history (`history`), and no node on
 * either history may report more than the committed master.
 *
 * And when the loop is on a history that replaced the shard's, once no node holds the shard's
 * any more (historyGone): the failover adopts the loop's history, unverified as there is
 * nothing left to lose (`adoptHistory`, as lateDemotionForward does for a master), if no node on
 * it reports more than the committed master. Seed 17070328: a switchover r1 -> r3, r3 then r1 restarted empty, r1 full-synced from
 * r3's new history; the switchover was aborted (r1 never seen demoted) and reconcile() demoted r3
 * toward r1 before any report of r1 came, so r1 -> r3 -> r1 held nothing of the shard's history,
 * nothing named the shard's as master_replid2, and the shard waited on the loop forever.
 */
export function reinstateInPlace(
  shard: ShardState,
  views: ReadonlyMap<string, RedisObservation | null>,
  report: CandidateReport,
  wallNow: number,
  detectedAt: number,
): Extract<TopologyCommand, { type: 'failoverStarted' }> | null {
  const master = shard.nodes.find((n) => n.id === shard.master);
  const v = master ? views.get(master.id) : null;
  if (!master || v?.role !== 'slave') return null;
  if (master.priority === 0 || master.noFailover || v.replicaPriority === 0) return null;
  const history =
    judgeCandidate(master.id, v, shard.replId, true).kind === 'promote'
      ? null
      : loopOnContinuedHistory(shard, views, master.id, v);
  const adopt = history === undefined && loopOnReplacedHistory(shard, views, master.id, v);
  if (history === undefined && !adopt) return null;
  const row: CandidateRow = {
    id: master.id,
    eligible: true,
    reason: adopt
      ? `the committed master, in a replication loop through ${v.masterHost}:${v.masterPort} on the history ` +
        `${v.replId ?? '?'}, at offset ${v.offset ?? '?'} (no node reports more); no node holds the shard's history ` +
        `${shard.replId ?? '(unknown)'} any more: promoted again in place, its history adopted`
      : history === null
        ? `the committed master, a replica of ${v.masterHost}:${v.masterPort} while it still holds the shard's ` +
          `history ${shard.replId ?? '(unknown)'} at offset ${v.offset ?? '?'}; no replica is eligible: promoted again in place`
        : `the committed master, in a replication loop through ${v.masterHost}:${v.masterPort} on the history ` +
          `${history} that continues the shard's ${shard.replId ?? '(unknown)'}, at offset ${v.offset ?? '?'} ` +
          '(no node reports more); no replica is eligible: promoted again in place',
    offset: v.offset,
    lagBytes: 0,
    priority: master.priority,
  };
  return {
    type: 'failoverStarted',
    shard: shard.name,
    epoch: shard.epoch + 1,
    kind: 'failover',
    from: master.id,
    to: master.id,
    inPlace: true,
    ...(typeof history === 'string' ? { history } : {}),
    ...(adopt ? { adoptHistory: true } : {}),
    report: { ...report, chosen: master.id, rows: [...report.rows, row] },
    at: wallNow,
    detectedAt,
  };
}

/**
 * The history the committed master `id` (view `v`, a replica) is on when it continues the
 * shard's and the node it follows is a replica too (a loop, or a chain with no master): a
 * node's current report shows that history with the shard's as master_replid2, and no node on
 * either history reports a higher offset. Undefined when that does not hold.
 */
function loopOnContinuedHistory(
  shard: ShardState,
  views: ReadonlyMap<string, RedisObservation | null>,
  id: string,
  v: RedisObservation,
): string | undefined {
  const history = v.replId;
  if (shard.replId === null || history === null || history === shard.replId || v.offset === null)
    return undefined;
  if (!followsReplica(shard, views, id, v)) return undefined;
  const seen = shard.nodes.map((n) => views.get(n.id)).filter((o): o is RedisObservation => !!o);
  if (!seen.some((o) => o.replId === history && o.replId2 === shard.replId)) return undefined;
  const onEither = (o: RedisObservation): boolean => o.replId === history || o.replId === shard.replId;
  if (seen.some((o) => onEither(o) && (o.offset ?? -1) > (v.offset as number))) return undefined;
  return history;
}

/**
 * The committed master `id` (view `v`, a replica) follows a replica on a history that replaced
 * the shard's, which no node holds any more (historyGone), and no node on its history reports a
 * higher offset. Nothing of the shard's history is left to lose, and nothing names the shard's
 * as master_replid2 (loopOnContinuedHistory) when the history was born of an empty restart.
 */
function loopOnReplacedHistory(
  shard: ShardState,
  views: ReadonlyMap<string, RedisObservation | null>,
  id: string,
  v: RedisObservation,
): boolean {
  const history = v.replId;
  if (history === null || v.offset === null || !historyGone(shard, views)) return false;
  if (!followsReplica(shard, views, id, v)) return false;
  return !shard.nodes.some((n) => {
    const o = views.get(n.id);
    return o?.replId === history && (o.offset ?? -1) > (v.offset as number);
  });
}

/**
 * The node `id` follows is a replica too (a loop, or a chain with no master): no failover
 * elsewhere and no demotion by reconcile() ends that, and the nodes in it take no writes.
 */
function followsReplica(
  shard: ShardState,
  views: ReadonlyMap<string, RedisObservation | null>,
  id: string,
  v: RedisObservation,
): boolean {
  const upstream = shard.nodes.find((n) => n.id !== id && pointsAt(v, n));
  return !!upstream && views.get(upstream.id)?.role === 'slave';
}

/**
 * No node of the shard holds its replication history any more: every node's current report is
 * on another history (neither its master_replid nor its master_replid2 is the shard's). A node
 * with no report may hold it, so then false. Nothing is left to lose, and a master on the
 * history that replaced it is the best there is.
 */
export function historyGone(shard: ShardState, views: ReadonlyMap<string, RedisObservation | null>): boolean {
  const history = shard.replId;
  if (history === null) return false;
  return shard.nodes.every((n) => {
    const v = views.get(n.id);
    return !!v?.replId && v.replId !== history && v.replId2 !== history;
  });
}

/**
 * The master restarted empty and no replica is eligible. When every other node is known off
 * the history, none holds more than the restarted master does (they copied it), so it stays
 * master and its new history becomes the shard's, rather than leave the shard without a master
 * or promote a copy of it that may lag (Sentinel, which has no history check, keeps the
 * restarted master too). While any replica's history is unknown (unreachable, no INFO yet, or
 * another history shown only by a report that may predate the restart: `restart`), null: it
 * may still hold the data, and the failover waits for it.
 */
export function keepRestartedMaster(
  shard: ShardState,
  views: ReadonlyMap<string, RedisObservation | null>,
  restart: EmptyRestart,
  report: CandidateReport,
  wallNow: number,
  detectedAt: number,
): Extract<TopologyCommand, { type: 'masterKept' }> | null {
  const master = shard.master;
  const mv = master !== null ? views.get(master) : null;
  if (master === null || !mv || mv.role !== 'master' || mv.replId === null || mv.replId === shard.replId)
    return null;
  const replicas = shard.nodes.filter((n) => n.id !== master).map((n) => n.id);
  const resynced = resyncedReplicas(shard, views, restart);
  if (replicas.length === 0 || resynced.length !== replicas.length) return null;
  // A node found off the history at a promotion (lostHistory) may have full-synced from the
  // master since; a regain is proven only by an INFO surely taken after the finding
  // (withRegainedHistory), and in that gap an empty master was kept while such a node held the
  // data (seed 10229309). Keeping the master loses writes: it waits for a report of every
  // replica on another history, a report taken after the restart unless it shows the restarted
  // master's own new one (an older one may predate a sync from the master: seed 16034773).
  const mayHoldHistory = (id: string): boolean => {
    const v = views.get(id);
    if (!v?.replId || v.replId === shard.replId) return true;
    return v.replId !== mv.replId && !restart.reportedAfter.has(id);
  };
  if (replicas.some(mayHoldHistory)) return null;
  return {
    type: 'masterKept',
    shard: shard.name,
    epoch: shard.epoch + 1,
    master,
    replId: mv.replId,
    resynced,
    reason:
      `no replica keeps the replication history: ${resynced.join(', ')} resynced from ${master} after it ` +
      `restarted (new run id, replication offset back to ${mv.offset ?? '?'}), so none holds more than it does; ` +
      `${master} stays master and its new replication history ${mv.replId} becomes the shard's ` +
      '(writes it had not persisted before the restart are lost)',
    report,
    at: wallNow,
    detectedAt,
  };
}

/** One attempt at promoting a candidate (one epoch), as the leader sees it (monotonic ms). */
interface Attempt {
  readonly epoch: number;
  /** The first operation id of this attempt: only answers to later ones count. */
  readonly since: number;
  readonly startedAt: number;
  /** When the candidate last answered an operation of this attempt. */
  answeredAt: number;
  /** When the leader first found the failover timed out. */
  timedOutAt: number | null;
  /** Leadership was offered to an observer that reaches the candidate (once per attempt). */
  handedOver: boolean;
}

/** The promotion step of failovers (not switchovers), one attempt per epoch. */
export class FailoverPromotion {
  private readonly attempts = new Map<string, Attempt>();

  constructor(private readonly core: EngineCore) {}

  reset(): void {
    this.attempts.clear();
  }

  /**
   * FailoverStarted is committed: fresh INFO, REPLICAOF NO ONE, fresh INFO, Promoted. Only
   * answers to operations of this attempt count (an older INFO may predate the resync). The
   * failover timeout is judged on a fresh INFO taken after it ran out: a promotion that went
   * through while the log could not commit Promoted (a Raft outage) is published, not undone.
   * A candidate that has answered nothing for downAfterMs is given up at once, and the next
   * one tried, rather than held until the timeout.
   */
  step(input: EngineInput, shard: ShardState, f: FailoverInFlight, to: RedisNodeSpec): void {
    const core = this.core;
    let attempt = this.attempts.get(shard.name);
    if (!attempt || attempt.epoch !== f.epoch) {
      attempt = {
        epoch: f.epoch,
        since: core.peekOpId(),
        startedAt: input.now,
        answeredAt: input.now,
        timedOutAt: null,
        handedOver: false,
      };
      this.attempts.set(shard.name, attempt);
    }
    const timedOut = input.wallNow - f.startedAt > shard.settings.failoverTimeoutMs;
    if (timedOut) attempt.timedOutAt ??= input.now;
    const st = core.lastOp(shard.name, to.id);
    const mine = st && st.opId >= attempt.since ? st : undefined;
    if (mine?.result?.ok) attempt.answeredAt = Math.max(attempt.answeredAt, mine.sentAt);
    const view = mine?.op === 'inspect' && mine.result?.ok ? mine.result.view : undefined;
    const abort = (reason: string, extra: { lostHistory?: string[] } = {}): void =>
      core.propose(input, shard.name, {
        type: 'failoverAborted',
        shard: shard.name,
        epoch: f.epoch,
        reason,
        at: input.wallNow,
        ...extra,
      });
    if (view) {
      const verify = !core.bugs.skipReplIdCheck && f.allowDataLoss !== true;
      // An in-place failover on a history continuing the shard's is verified on that one.
      const verdict = judgeCandidate(to.id, view, f.history ?? shard.replId, verify);
      switch (verdict.kind) {
        case 'promote':
          if (timedOut) break; // the deadline passed: judged below, never promoted now
          core.redis(input, shard.name, to, { kind: 'promote' }, 0);
          return;
        case 'promoted':
          core.propose(input, shard.name, {
            type: 'promoted',
            shard: shard.name,
            epoch: f.epoch,
            replId: verdict.replId,
            at: input.wallNow,
          });
          // Whatever the node carried (a fence of its sidecar from an earlier time as master),
          // it takes writes on the shard's own terms, in parallel with the commit.
          core.redis(input, shard.name, to, managedWriteSafety(shard.settings, true), 0);
          return;
        case 'lost':
          abort(verdict.reason, { lostHistory: [to.id] });
          return;
        case 'unknown':
          break;
      }
    }
    if (attempt.timedOutAt !== null) {
      // One INFO sent after the deadline decides: the node may have been promoted meanwhile.
      const judged = mine?.op === 'inspect' && mine.result !== undefined && mine.sentAt >= attempt.timedOutAt;
      if (judged) abort(`promotion of ${to.id} timed out`);
      else core.redis(input, shard.name, to, { kind: 'inspect' }, 0);
      return;
    }
    const silentMs = input.now - attempt.answeredAt;
    if (silentMs > shard.settings.downAfterMs && !stillHeard(input, shard, to.id, core.selfId)) {
      const reason = `${to.id} unreachable from the leader for ${Math.round(silentMs)} ms`;
      // The best candidate is cut from this leader only: a node that reaches it leads instead,
      // rather than a candidate with less data being promoted (it resumes this attempt).
      const via = attempt.handedOver ? [] : reachedBy(input, shard, to.id, core.selfId);
      if (via.length > 0) {
        attempt.handedOver = true;
        core.handOver(shard.name, via, `${reason}; ${via.join(', ')} reach it`);
        return;
      }
      core.avoid(
        shard.name,
        to.id,
        input.now,
        `the leader could not reach it at the promotion of epoch ${f.epoch}`,
      );
      abort(`promotion of ${reason}; the next candidate is tried`);
      return;
    }
    if (mine?.op === 'promote' && mine.result) {
      // Whether it worked or not, a fresh INFO says where the node stands now.
      if (!mine.result.ok && input.now - mine.sentAt < OP_RETRY_MS) return;
      core.redis(input, shard.name, to, { kind: 'inspect' }, 0);
      return;
    }
    // The first look of this attempt, or the last one failed or was inconclusive: (again) INFO.
    core.redis(input, shard.name, to, { kind: 'inspect' }, mine ? OP_RETRY_MS : 0);
  }
}

/** The other observers whose fresh reports say they reach the node, freshest first. */
function reachedBy(input: EngineInput, shard: ShardState, node: string, self: string): string[] {
  return input.observations
    .fresh(shard.name, node, input.now, observationMaxAgeMs(shard.settings))
    .filter((s) => s.observer !== self && s.obs.reachable && !s.obs.sdown && !s.obs.unsure)
    .sort((a, b) => b.receivedAt - a.receivedAt)
    .map((s) => s.observer);
}

/**
 * The leader's own prober still hears from the node (its latest report says not SDOWN): the
 * node is slow, not unreachable. Over a slow link a promotion takes several round trips (INFO,
 * REPLICAOF NO ONE and its best-effort steps, INFO again), and a leader whose loop stalled
 * reads their answers late; the prober judges reachability with both in mind (docs/design.md
 * 4.1), so a candidate it hears is not given up before the failover timeout.
 */
function stillHeard(input: EngineInput, shard: ShardState, node: string, self: string): boolean {
  const own = input.observations
    .fresh(shard.name, node, input.now, observationMaxAgeMs(shard.settings))
    .find((s) => s.observer === self);
  return own !== undefined && !own.obs.sdown;
}
