// Planned switchovers and operators' failovers (docs/design.md 4.7, 5.2), the part of the failover
// engine that works from a request: preflight, write pause, catch-up, the decision, and the
// promotion step of a switchover (promote the target, demote the old master, then Promoted).
// Pure like the engine it belongs to: it acts only through EngineCore's action list.
import { observationMaxAgeMs } from './rules.js';
import { detectOdown } from './detect.js';
import {
  FENCE_MIN_REPLICAS,
  managedWriteSafety,
  OP_RETRY_MS,
  OP_TIMEOUT_MS,
  POLL_MS,
  type DrillReport,
  type EngineCore,
  type EngineInput,
  type FailoverInFlight,
  type SwitchoverResult,
} from './engine-types.js';
import { nodeOf } from './topology.js';
import {
  replicationAddressOf,
  type CandidateReport,
  type HistoryEntry,
  type RedisNodeSpec,
  type RedisObservation,
  type RejectionCode,
  type ShardState,
} from './types.js';

/** Rejections that right after a failover or switchover are often the replicas' reports lagging. */
const SETTLING: ReadonlySet<RejectionCode> = new Set([
  'unreachable',
  'off-history',
  'history-unknown',
  'link-down',
  'offset-unknown',
  'sdown',
]);
/** Rejections an operator's failover may override by allowing data loss. */
const LOSSY: ReadonlySet<RejectionCode> = new Set(['too-far-behind', 'off-history', 'link-down']);
/** Refusals of the fence that retrying cannot cure: the command is disabled, renamed away or denied. */
const CANNOT_FENCE = /disabled|NOPERM|unknown command|EXECABORT/i;
/**
 * A switchover pauses writes in slices this long, renewed by the leader while it needs them:
 * if the leader dies, the pause ends by itself at most a slice later, within about one election
 * timeout (1-2 s at the defaults), not at the end of the failover timeout.
 */
const PAUSE_SLICE_MS = 1000;
/** A slice is renewed when less than this much of it is left. */
const PAUSE_RENEW_BEFORE_MS = (2 * PAUSE_SLICE_MS) / 3;
/** How long a switchover's preflight waits for replicas' reports to settle before refusing. */
const SETTLE_MS = 3000;
/** A switchover target further behind than this is waited for before writes are paused. */
const PRE_PAUSE_LAG_BYTES = 1 << 20;
/**
 * The old master is demoted only on an INFO of the promoted target sent this recently: it
 * narrows, but cannot close, the window in which the target may lose its data before the
 * demotion reaches the old master (a restart within one round trip is not seen).
 */
const FRESH_LOOK_MS = 300;
/** How long writes may stay paused while the target catches up, at most. */
const catchUpLimitMs = (shard: ShardState): number => Math.min(5000, shard.settings.failoverTimeoutMs / 2);

export interface SwitchoverRequest {
  readonly requestId: number;
  readonly shard: string;
  readonly to: string | null;
  /** An operator's failover: no write pause, no catch-up; may lose writes only if allowed. */
  readonly forced: { readonly allowDataLoss: boolean } | null;
  readonly requestedAt: number;
  readonly deadline: number;
  phase: 'forcing' | 'pausing' | 'catching-up' | 'committing';
  target: string | null;
  from: string | null;
  pausedAt: number | null;
  /**
   * Until when the pause surely holds: the send time of the last acknowledged CLIENT PAUSE plus
   * its length (it started no earlier than it was sent).
   */
  pauseHeldUntil: number;
  /** The length of the last CLIENT PAUSE sent, to date its acknowledgement. */
  pauseMs: number;
  /** A slice was acknowledged after the one before had run out: the pause may have lapsed. */
  pauseGap: boolean;
  masterOffset: number | null;
  targetOffset: number | null;
  /** The replication ids of the paused master and the target, from the catch-up INFOs. */
  masterReplId: string | null;
  targetReplId: string | null;
  steps: Record<string, number>;
  epoch: number | null;
  report: CandidateReport | null;
  /**
   * The switchover's fence on the old master (min-replicas-to-write at FENCE_MIN_REPLICAS): when
   * it was acknowledged, the old master's offset and history read after it, and whether the
   * target has reached that offset. The pause ends by itself, the fence does not.
   */
  fence: {
    /** CONFIG is disabled or denied on the old master: the pause alone guards the switchover. */
    unavailable: boolean;
    ackedAt: number | null;
    offset: number | null;
    replId: string | null;
    verified: boolean;
  };
  /**
   * The shard's epoch when the request first ran. Its from, target, pause and offsets describe
   * that topology only: after another failover of the shard they are stale.
   */
  shardEpoch: number | null;
}

/** The switchover requests of one leadership term, one per shard at most. */
export class Switchovers {
  private readonly requests = new Map<string, SwitchoverRequest>();

  constructor(private readonly core: EngineCore) {}

  /** Leadership was lost: every request fails (the next leader knows nothing of them). */
  reset(): void {
    for (const r of this.requests.values()) {
      this.core.switchoverDone(
        r.requestId,
        this.fail(r, 'not_leader', 'leadership changed during the switchover'),
      );
    }
    // A write pause this leader set is left to expire by itself (CLIENT PAUSE has a timeout):
    // without the lease, an UNPAUSE could land in the middle of the next leader's own switchover
    // and let the master take writes that the promotion would then lose.
    this.requests.clear();
  }

  /** Requests for shards that were removed fail. */
  dropRemoved(input: EngineInput): void {
    for (const r of [...this.requests.values()]) {
      if (!input.topology.shards[r.shard])
        this.finishSwitchover(r, this.fail(r, 'not_found', `no shard ${r.shard}`));
    }
  }

  /** Runs the request of a shard with no failover in flight; false when there is none. */
  step(input: EngineInput, shard: ShardState): boolean {
    const r = this.requests.get(shard.name);
    if (!r) return false;
    this.run(input, shard, r);
    return true;
  }

  /** A switchover (or an operator's failover, `forced`) of a shard; one per shard at a time. */
  request(
    requestId: number,
    shard: string,
    to: string | null,
    now: number,
    timeoutMs: number,
    forced: SwitchoverRequest['forced'] = null,
  ): void {
    if (this.requests.has(shard)) {
      this.core.switchoverDone(
        requestId,
        failed(shard, 'busy', 'a switchover of this shard is already running'),
      );
      return;
    }
    this.requests.set(shard, {
      requestId,
      shard,
      to,
      forced,
      requestedAt: now,
      deadline: now + timeoutMs,
      phase: forced ? 'forcing' : 'pausing',
      target: null,
      from: null,
      pausedAt: null,
      pauseHeldUntil: 0,
      pauseMs: 0,
      pauseGap: false,
      masterOffset: null,
      targetOffset: null,
      masterReplId: null,
      targetReplId: null,
      steps: {},
      epoch: null,
      report: null,
      fence: { unavailable: false, ackedAt: null, offset: null, replId: null, verified: false },
      shardEpoch: null,
    });
  }

  /**
   * A switchover's FailoverStarted is committed. The leader that paused the old master promotes
   * the target, verifies it, then demotes the old master (a replica refuses writes for good, as
   * with Redis' own FAILOVER), and only then proposes Promoted: Promoted may commit long after it
   * was proposed (a partition, then a later leader commits it with its no-op), by when the pause
   * has run out and the old master, still the committed master, has taken writes the target
   * lacks (the simulator found 72 acknowledged writes lost that way, seed 690).
   * Once the old master is a replica the switchover only goes forward, whoever leads: aborting
   * would leave the committed master a replica of a master nobody knows (seeds 403, 231). Without the
   * pause (the request timed out, the pause ran out, a new leader) it is aborted, but only on a
   * fresh INFO that shows the old master still a master: a promotion sent before the pause ran
   * out may land after the abort (seed 833), and reconciliation then demotes that target again.
   * Past twice the timeout the observers settle it: an old master they see down or demoted
   * counts as demoted, and the switchover goes forward even to a target that is not master.
   */
  promoteStep(
    input: EngineInput,
    shard: ShardState,
    f: FailoverInFlight,
    from: RedisNodeSpec,
    to: RedisNodeSpec,
  ): void {
    const ts = this.core.lastOp(shard.name, to.id);
    const fs = this.core.lastOp(shard.name, from.id);
    const toView = ts?.op === 'inspect' && ts.result?.ok ? ts.result.view : undefined;
    const fromView = fs?.op === 'inspect' && fs.result?.ok ? fs.result.view : undefined;
    const elapsed = input.wallNow - f.startedAt;
    const timeoutMs = shard.settings.failoverTimeoutMs;
    // Past twice the timeout, what the observers see settles it when no INFO of ours can: a
    // demotion happened within the first timeout, and a dead old master is objectively down.
    const late = elapsed > 2 * timeoutMs;
    const seen = late ? this.core.views(input, shard).get(from.id) : null;
    const demoted =
      (fs?.op === 'replicaof' && fs.result?.ok === true) ||
      fromView?.role === 'slave' ||
      (late && fromView === undefined && seen?.role === 'slave');
    const abort = (reason: string): void => {
      this.core.redis(input, shard.name, from, { kind: 'unpause' }, 0); // whatever paused it, release it
      this.core.propose(input, shard.name, {
        type: 'failoverAborted',
        shard: shard.name,
        epoch: f.epoch,
        reason,
        at: input.wallNow,
      });
    };
    if (demoted && toView?.role === 'master') {
      this.core.propose(input, shard.name, {
        type: 'promoted',
        shard: shard.name,
        epoch: f.epoch,
        replId: toView.replId,
        at: input.wallNow,
      });
      return;
    }
    const r = this.requests.get(shard.name);
    const mine = r?.epoch === f.epoch ? r : undefined;
    if (mine && !demoted) {
      // What the old master answered is read before a renewal of the pause takes its place.
      this.noteFence(input, shard, mine, from);
      if (this.keepPaused(input, shard, mine, from)) return;
    }
    if (mine && elapsed <= timeoutMs && this.holdsWrites(input, mine)) {
      if (!this.fencedAndCaughtUp(input, shard, mine, from, to)) return;
      if (ts?.op === 'promote' && ts.result?.ok) {
        this.core.redis(input, shard.name, to, { kind: 'inspect' }, 0);
      } else if (toView?.role === 'master') {
        const retry = fs?.op === 'replicaof' && fs.result !== undefined;
        const stale =
          ts === undefined ||
          input.now - ts.sentAt > FRESH_LOOK_MS ||
          (retry && fs !== undefined && ts.sentAt < fs.sentAt);
        if (stale) {
          // The demotion goes out on a look at the target taken just before it: the target may
          // have lost its data since an older one (seed 10236059: it restarted empty between the
          // check and a retry of a failed demotion 2.2 s later; seed 10314464: the INFO's reply
          // came 600 ms late over a slow link, and the target restarted empty meanwhile).
          this.core.redis(input, shard.name, to, { kind: 'inspect' }, 0);
          return;
        }
        const lost = this.promotedWithout(mine, to, toView, shard);
        if (lost !== null) {
          abort(lost);
          return;
        }
        this.core.redis(
          input,
          shard.name,
          from,
          {
            kind: 'replicaof',
            host: replicationAddressOf(to).host,
            port: replicationAddressOf(to).port,
            killClients: true,
          },
          retry ? OP_RETRY_MS : 0,
        );
      } else if (ts?.op === 'inspect' && ts.result?.ok) {
        this.core.redis(input, shard.name, to, { kind: 'promote' }, 0); // not master yet: send it again
      } else {
        this.core.redis(input, shard.name, to, { kind: 'promote' });
      }
      return;
    }
    if (fromView?.role === 'master' || (late && fromView === undefined && seen?.role === 'master')) {
      abort(
        elapsed > timeoutMs
          ? `promotion of ${to.id} timed out`
          : `the write pause on ${from.id} is not held any more (the switchover timed out, or leadership changed)`,
      );
      return;
    }
    if (
      late &&
      !demoted &&
      fromView === undefined &&
      detectOdown(shard, input.observations, input.now, input.voters).odown
    ) {
      abort(
        `${from.id} is down and was never seen demoted: it may have taken writes after its pause ran out, which ${to.id} lacks`,
      );
      return;
    }
    if (!demoted) {
      this.core.redis(input, shard.name, from, { kind: 'inspect' }, POLL_MS); // where does the old master stand?
      return;
    }
    // The old master refuses writes (or is gone): forward once the target shows as master. A
    // target still not one past twice the timeout is committed all the same, its history
    // unknown: it is then down like any failed master and detect() fails it over to the best
    // replica (the demoted old master among them), where an abort would leave no master at all.
    if (late && ts?.op === 'inspect' && ts.result) {
      this.core.propose(input, shard.name, {
        type: 'promoted',
        shard: shard.name,
        epoch: f.epoch,
        replId: null,
        at: input.wallNow,
      });
    } else {
      this.core.redis(input, shard.name, to, { kind: 'inspect' }, POLL_MS);
    }
  }

  /**
   * Before the target is promoted, the old master is fenced (every write refused, with no time
   * limit) and the target shown to hold everything it had once fenced. The pause alone is not
   * enough: a master stalled past its pause's end (SIGSTOP, a slow disk) wakes up unpaused and
   * acknowledges writes before the demotion reaches it, writes the promoted target lacks
   * (simulator seed 9433346 lost 33). A fence that lands late only means waiting for the target
   * to catch up with what slipped in. An abort leaves the fence for the leader to lift
   * (manageWriteSafety); a later promotion of the old master lifts it too (admin-ops promote).
   */
  private fencedAndCaughtUp(
    input: EngineInput,
    shard: ShardState,
    r: SwitchoverRequest,
    from: RedisNodeSpec,
    to: RedisNodeSpec,
  ): boolean {
    const fence = r.fence;
    if (fence.verified || this.core.bugs.switchoverSkipsCatchUp) return true;
    const fs = this.core.lastOp(shard.name, from.id);
    if (fence.unavailable) {
      // CONFIG disabled or denied on this node (preflight says so): the pause alone, as before.
      fence.verified = true;
      return true;
    }
    if (fence.ackedAt === null) {
      const op = { ...managedWriteSafety(shard.settings, true), minReplicas: FENCE_MIN_REPLICAS };
      this.core.redis(input, shard.name, from, op, fs?.op === 'write-safety' ? OP_RETRY_MS : 0);
      return false;
    }
    if (fence.offset === null) {
      this.core.redis(input, shard.name, from, { kind: 'inspect' }, fs?.op === 'inspect' ? POLL_MS : 0);
      return false;
    }
    const ts = this.core.lastOp(shard.name, to.id);
    const toView = ts?.op === 'inspect' ? ts.result?.view : undefined;
    if (toView?.replId === fence.replId && toView?.offset != null && toView.offset >= fence.offset) {
      fence.verified = true;
      r.masterOffset = fence.offset;
      r.targetOffset = toView.offset;
      return true;
    }
    this.core.redis(input, shard.name, to, { kind: 'inspect' }, ts?.op === 'inspect' ? POLL_MS : 0);
    return false;
  }

  /** Records the old master's answers to the fence and to the INFO sent after it. */
  private noteFence(input: EngineInput, shard: ShardState, r: SwitchoverRequest, from: RedisNodeSpec): void {
    const fence = r.fence;
    const fs = this.core.lastOp(shard.name, from.id);
    if (fence.ackedAt === null && fs?.op === 'write-safety' && fs.result) {
      if (fs.result.ok) fence.ackedAt = input.now;
      else if (CANNOT_FENCE.test(fs.result.error ?? '')) fence.unavailable = true;
    }
    if (
      fence.ackedAt !== null &&
      fence.offset === null &&
      fs?.op === 'inspect' &&
      fs.sentAt >= fence.ackedAt
    ) {
      const view = fs.result?.view;
      if (view?.offset != null) {
        fence.offset = view.offset;
        fence.replId = view.replId;
      }
    }
  }

  /**
   * Why the promoted target must not replace the old master, or null: it came back on another
   * history (it restarted empty after it was found caught up, simulator seeds 9524300, 9526904),
   * or behind what the old master had once fenced (a restart that kept only part of its data).
   * Checked before the old master is demoted: an abort then loses nothing.
   */
  private promotedWithout(
    r: SwitchoverRequest,
    to: RedisNodeSpec,
    view: RedisObservation,
    shard: ShardState,
  ): string | null {
    if (this.core.bugs.switchoverSkipsCatchUp) return null;
    const history = r.fence.replId ?? r.masterReplId ?? shard.replId;
    const offset = r.fence.offset ?? r.masterOffset;
    if (history !== null && view.replId2 !== history)
      return `${to.id} was promoted from another replication history (master_replid2 ${view.replId2 ?? 'unset'}, not ${history}): it lost its data after it caught up`;
    if (offset !== null && view.offset !== null && view.offset < offset)
      return `${to.id} was promoted at offset ${view.offset}, behind the ${offset} the old master held`;
    return null;
  }

  /**
   * Writes are held on the old master for this request: it is fenced and the target verified
   * (no time limit), or the pause holds and never lapsed (without a fence, writes taken in a
   * gap between two slices are in no check).
   */
  private holdsWrites(input: EngineInput, r: SwitchoverRequest): boolean {
    if (r.fence.ackedAt !== null && r.fence.verified) return true;
    return r.pausedAt !== null && input.now < r.pauseHeldUntil && !(r.pauseGap && r.fence.ackedAt === null);
  }

  /**
   * Keeps the write pause on `node` while the request needs it: notes an acknowledged CLIENT
   * PAUSE, and sends the next slice when the current one runs low, never past failoverTimeoutMs
   * from the first. True when a renewal is on its way (the node's one operation slot is taken).
   */
  private keepPaused(
    input: EngineInput,
    shard: ShardState,
    r: SwitchoverRequest,
    node: RedisNodeSpec,
  ): boolean {
    if (r.pausedAt === null) return false;
    const st = this.core.lastOp(shard.name, node.id);
    if (st?.op === 'pause' && st.result?.ok && st.sentAt + r.pauseMs > r.pauseHeldUntil) {
      // Answered after the slice before it ran out: the pause may have lapsed in between.
      if (input.now > r.pauseHeldUntil) r.pauseGap = true;
      r.pauseHeldUntil = st.sentAt + r.pauseMs;
    }
    const end = r.pausedAt + shard.settings.failoverTimeoutMs;
    const ms = Math.min(PAUSE_SLICE_MS, end - input.now);
    if (r.pauseHeldUntil - input.now > PAUSE_RENEW_BEFORE_MS || r.pauseHeldUntil >= end || ms <= 0)
      return false;
    if (st?.op === 'pause' && st.result === undefined && input.now - st.sentAt < OP_TIMEOUT_MS) return true;
    if (!this.core.redis(input, shard.name, node, { kind: 'pause', ms }, 0)) return false;
    r.pauseMs = ms;
    return true;
  }

  /** A switchover paused the old master's writers: release them (their writes now fail over). */
  releasePausedMaster(input: EngineInput, shard: ShardState, f: FailoverInFlight): boolean {
    const sw = this.requests.get(shard.name);
    const from = nodeOf(shard, f.from);
    if (!sw || sw.epoch !== f.epoch || sw.pausedAt === null || !from) return true;
    const st = this.core.lastOp(shard.name, from.id);
    if (st?.op === 'unpause' && st.result) return true;
    this.core.redis(input, shard.name, from, { kind: 'unpause' }, 0);
    return false;
  }

  private run(input: EngineInput, shard: ShardState, r: SwitchoverRequest): void {
    const master = nodeOf(shard, shard.master) as RedisNodeSpec;
    // A request accepted while another failover of the shard was being committed waits until
    // that one ends, then finds the master it paused demoted and its target perhaps promoted:
    // resumed, it compared the new master with itself as "caught up" and switched r2 over to r2
    // (simulator seeds 770270, 904803, 908782). Its state is stale; the operator asks again.
    r.shardEpoch ??= shard.epoch;
    if (shard.epoch !== r.shardEpoch) {
      this.abortSwitchover(
        input,
        shard,
        r,
        'busy',
        `a failover of ${shard.name} (epoch ${shard.epoch}, master now ${shard.master ?? 'none'}) ran while this switchover waited`,
      );
      return;
    }
    if (input.now > r.deadline) {
      this.abortSwitchover(input, shard, r, 'timeout', `switchover timed out in phase ${r.phase}`);
      return;
    }
    if (r.phase === 'forcing') {
      this.forceFailover(input, shard, r);
      return;
    }
    if (r.phase === 'pausing') {
      const report = this.core.report(input, shard, shard.master);
      r.report = report;
      const target = r.to ?? report.chosen;
      const row = report.rows.find((x) => x.id === target);
      if (!target || !row?.eligible) {
        // Right after a failover or switchover the replicas' reports lag behind (a resync, the
        // probes dropped by CLIENT KILL, an INFO not yet refreshed): give them a moment first.
        const settling = !!row?.rejected && SETTLING.has(row.rejected);
        if (settling && input.now - r.requestedAt < SETTLE_MS) return;
        const why = target
          ? `${target} is not eligible: ${row?.reason ?? 'not a node of this shard'}`
          : 'no eligible replica';
        this.finishSwitchover(r, this.fail(r, 'no_candidate', why));
        return;
      }
      r.target = target;
      r.from = master.id;
      // Wait (bounded) for a lagging target before pausing writes, so the pause stays short.
      if (
        (row.lagBytes ?? 0) > PRE_PAUSE_LAG_BYTES &&
        input.now - r.requestedAt < (r.deadline - r.requestedAt) / 2
      )
        return;
      const st = this.core.lastOp(shard.name, master.id);
      if (st?.op === 'pause' && st.result?.ok) {
        r.pausedAt = st.sentAt;
        r.pauseHeldUntil = st.sentAt + r.pauseMs;
        r.steps.preflight = Math.round(st.sentAt - r.requestedAt);
        r.phase = 'catching-up';
      } else if (st?.op === 'pause' && st.result && !st.result.ok) {
        this.finishSwitchover(
          r,
          this.fail(r, 'redis_error', `CLIENT PAUSE on ${master.id} failed: ${st.result.error}`),
        );
      } else if (st?.op !== 'pause') {
        const ms = Math.min(PAUSE_SLICE_MS, shard.settings.failoverTimeoutMs);
        if (this.core.redis(input, shard.name, master, { kind: 'pause', ms }, 0)) r.pauseMs = ms;
      }
      return;
    }
    if (r.phase === 'catching-up') {
      const target = nodeOf(shard, r.target) as RedisNodeSpec;
      const ms = this.core.lastOp(shard.name, master.id);
      const ts = this.core.lastOp(shard.name, target.id);
      if (ms?.op === 'inspect' && ms.result?.view?.offset != null) r.masterOffset = ms.result.view.offset;
      if (ts?.op === 'inspect' && ts.result?.view?.offset != null) r.targetOffset = ts.result.view.offset;
      if (ms?.op === 'inspect' && ms.result?.view) r.masterReplId = ms.result.view.replId;
      if (ts?.op === 'inspect' && ts.result?.view) r.targetReplId = ts.result.view.replId;
      // The answers are kept above before a renewal of the pause takes the master's slot.
      if (this.keepPaused(input, shard, r, master)) return;
      // Offsets compare only within one history: a master that restarted empty unnoticed (a
      // leadership change lost the evidence) counts from 0 again, and a replica its replication
      // cron has not brought back yet holds the old history at a higher offset.
      const sameHistory = r.targetReplId !== null && r.targetReplId === r.masterReplId;
      const caughtUp =
        sameHistory && r.masterOffset !== null && r.targetOffset !== null && r.targetOffset >= r.masterOffset;
      if (caughtUp || this.core.bugs.switchoverSkipsCatchUp) {
        r.steps.catchUp = Math.round(input.now - (r.pausedAt ?? input.now));
        r.phase = 'committing';
      } else if (input.now - (r.pausedAt ?? input.now) > catchUpLimitMs(shard)) {
        this.abortSwitchover(
          input,
          shard,
          r,
          'catch_up_timeout',
          `${target.id} did not catch up with the paused master within ${catchUpLimitMs(shard)} ms` +
            (sameHistory
              ? ''
              : ` (its replication id ${r.targetReplId} is not the master's ${r.masterReplId})`),
        );
        return;
      } else {
        this.core.redis(input, shard.name, master, { kind: 'inspect' }, ms?.op === 'inspect' ? POLL_MS : 0);
        this.core.redis(input, shard.name, target, { kind: 'inspect' }, ts?.op === 'inspect' ? POLL_MS : 0);
        return;
      }
    }
    if (r.phase === 'committing') {
      if (r.forced) return; // proposed once; the topology takes it from here
      if (this.keepPaused(input, shard, r, master)) return;
      r.epoch = shard.epoch + 1;
      this.core.propose(input, shard.name, {
        type: 'failoverStarted',
        shard: shard.name,
        epoch: r.epoch,
        kind: 'switchover',
        from: shard.master,
        to: r.target as string,
        report: r.report as CandidateReport,
        at: input.wallNow,
        detectedAt: input.wallNow,
      });
    }
  }

  /**
   * An operator's failover to a named node (`raftinel failover`): no write pause. Refused while
   * the master still answers, or when the target would lose data, unless allowDataLoss.
   */
  private forceFailover(input: EngineInput, shard: ShardState, r: SwitchoverRequest): void {
    const report = this.core.report(input, shard, shard.master);
    r.report = report;
    r.from = shard.master;
    const row = report.rows.find((x) => x.id === r.to);
    const allow = r.forced?.allowDataLoss === true;
    if (!row) {
      this.finishSwitchover(
        r,
        this.fail(r, 'no_candidate', `${r.to ?? '(none)'} is not a replica of ${shard.name}`),
      );
      return;
    }
    const lossy = (!!row.rejected && LOSSY.has(row.rejected)) || (row.lagBytes ?? 0) > 0;
    if (!row.eligible && !(allow && lossy)) {
      this.finishSwitchover(r, this.fail(r, 'no_candidate', `${row.id} is not eligible: ${row.reason}`));
      return;
    }
    const masterView = shard.master
      ? input.observations.best(
          shard.name,
          shard.master,
          input.now,
          observationMaxAgeMs(shard.settings),
          this.core.selfId,
        )
      : null;
    if (!allow && masterView && !masterView.sdown) {
      this.finishSwitchover(
        r,
        this.fail(
          r,
          'master_up',
          `the master ${shard.master} is up: use a switchover (raftinel promote), or allow data loss`,
        ),
      );
      return;
    }
    if (!allow && lossy) {
      this.finishSwitchover(
        r,
        this.fail(r, 'data_loss', `${row.id} would lose data (${row.reason}); allow data loss to go ahead`),
      );
      return;
    }
    r.target = row.id;
    r.epoch = shard.epoch + 1;
    r.phase = 'committing';
    this.core.propose(input, shard.name, {
      type: 'failoverStarted',
      shard: shard.name,
      epoch: r.epoch,
      kind: 'failover',
      from: shard.master,
      to: row.id,
      report,
      at: input.wallNow,
      detectedAt: input.wallNow,
      // Only the operator's allowance let this target through: the promotion step does not
      // verify its history (an eligible target is verified like any other).
      ...(!row.eligible ? { allowDataLoss: true } : {}),
    });
  }

  /**
   * Called when the topology shows a failover ended (or aborted): the request's own, when its
   * epoch, kind and nodes are the request's. Another failover can take the epoch the request
   * proposed (one proposed before the request, committed first); the request then fails as
   * stale on its next step instead of reporting that failover as its own.
   */
  switchoverApplied(entry: HistoryEntry, now: number): void {
    const r = this.requests.get(entry.shard);
    const kind = r?.forced ? 'failover' : 'switchover';
    if (
      !r ||
      r.epoch !== entry.epoch ||
      entry.kind !== kind ||
      entry.to !== r.target ||
      entry.from !== r.from
    )
      return;
    const timeline = entry.timeline;
    if (timeline.promoted !== undefined && timeline.committed !== undefined)
      r.steps.promote = timeline.promoted - timeline.committed;
    if (timeline.ended !== undefined && timeline.promoted !== undefined)
      r.steps.repoint = timeline.ended - timeline.promoted;
    r.steps.total = Math.round(now - r.requestedAt);
    const report: DrillReport = {
      ...this.drillReport(r),
      repointed: entry.repointed,
      writePauseMs: r.pausedAt !== null ? Math.round(now - r.pausedAt) : null,
    };
    this.finishSwitchover(
      r,
      entry.result === 'ended'
        ? { ok: true, report }
        : { ok: false, error: { code: 'aborted', message: entry.reason ?? 'aborted' }, report },
    );
  }

  private abortSwitchover(
    input: EngineInput,
    shard: ShardState,
    r: SwitchoverRequest,
    code: string,
    message: string,
  ): void {
    // The node this request paused, which a failover since may have demoted.
    const paused = r.pausedAt !== null ? nodeOf(shard, r.from) : undefined;
    if (paused) this.core.redis(input, shard.name, paused, { kind: 'unpause' }, 0);
    this.finishSwitchover(r, this.fail(r, code, message));
  }

  private finishSwitchover(r: SwitchoverRequest, result: SwitchoverResult): void {
    this.requests.delete(r.shard);
    this.core.switchoverDone(r.requestId, result);
  }

  private fail(r: SwitchoverRequest, code: string, message: string): SwitchoverResult {
    return { ok: false, error: { code, message }, report: this.drillReport(r) };
  }

  private drillReport(r: SwitchoverRequest): DrillReport {
    return {
      shard: r.shard,
      dryRun: false,
      from: r.from,
      to: r.target,
      epoch: r.epoch,
      candidates: r.report,
      writePauseMs: null,
      masterOffset: r.masterOffset,
      targetOffset: r.targetOffset,
      repointed: [],
      stepsMs: r.steps,
    };
  }
}

export function failed(shard: string, code: string, message: string): SwitchoverResult {
  return {
    ok: false,
    error: { code, message },
    report: {
      shard,
      dryRun: false,
      from: null,
      to: null,
      epoch: null,
      candidates: null,
      writePauseMs: null,
      masterOffset: null,
      targetOffset: null,
      repointed: [],
      stepsMs: {},
    },
  };
}
