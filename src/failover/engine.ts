// The failover engine: what the Raft leader does about each shard. Pure and step-driven like
// the Raft core: `update()` reads the applied topology, the observation table and the results
// of earlier Redis operations, and returns actions (proposals to commit, Redis operations to
// run). The shell runs the actions and feeds the results back; the simulator does the same
// with fake Redis nodes. Every step of a failover is committed before the next one starts
// (DESIGN.md 4.4), and only the leader of the term that committed its latest entry acts.
import type { NodeId } from '../raft/types.js';
import type { FailoverBugs } from './bugs.js';
import { detectOdown } from './detect.js';
import type { ObservationTable } from './observations.js';
import { chooseCandidate } from './select.js';
import { nodeOf, type Topology } from './topology.js';
import type {
  CandidateReport,
  RedisNodeSpec,
  RedisObservation,
  ShardState,
  TimelineMs,
  TopologyCommand,
} from './types.js';

export type RedisOp =
  | { readonly kind: 'promote' }
  | { readonly kind: 'inspect' }
  | {
      readonly kind: 'replicaof';
      readonly host: string;
      readonly port: number;
      readonly killClients: boolean;
    }
  | { readonly kind: 'pause'; readonly ms: number }
  | { readonly kind: 'unpause' };

export interface RedisOpResult {
  readonly ok: boolean;
  readonly error?: string;
  /** Present for inspect: the node's role, offset and replication id right now. */
  readonly view?: RedisObservation;
}

export type EngineAction =
  | { readonly type: 'propose'; readonly command: TopologyCommand }
  | {
      readonly type: 'redis';
      readonly opId: number;
      readonly shard: string;
      readonly node: RedisNodeSpec;
      readonly op: RedisOp;
    }
  | {
      readonly type: 'event';
      readonly name: string;
      readonly shard: string;
      readonly detail: Record<string, unknown>;
    }
  | { readonly type: 'switchover-done'; readonly requestId: number; readonly result: SwitchoverResult };

export interface EngineInput {
  /** Leader's monotonic ms, and wall-clock ms (only for what is committed and shown). */
  readonly now: number;
  readonly wallNow: number;
  readonly term: number;
  /** Leader of `term` and its no-op committed: it may act. */
  readonly leading: boolean;
  readonly voters: number;
  readonly topology: Topology;
  readonly observations: ObservationTable;
}

export interface SwitchoverResult {
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly report: DrillReport;
}

export interface DrillReport {
  readonly shard: string;
  readonly dryRun: boolean;
  readonly from: string | null;
  readonly to: string | null;
  readonly epoch: number | null;
  readonly candidates: CandidateReport | null;
  readonly writePauseMs: number | null;
  readonly masterOffset: number | null;
  readonly targetOffset: number | null;
  readonly repointed: readonly string[];
  readonly stepsMs: Readonly<Record<string, number>>;
}

/** Redis operations are retried at most this often per node. */
const OP_RETRY_MS = 300;
/** Polls (INFO during a sequence) repeat at most this often. */
const POLL_MS = 10;
/** How long a switchover's preflight waits for replicas' reports to settle before refusing. */
const SETTLE_MS = 3000;
/** A switchover target further behind than this is waited for before writes are paused. */
const PRE_PAUSE_LAG_BYTES = 1 << 20;
/** How long writes may stay paused while the target catches up, at most. */
const catchUpLimitMs = (shard: ShardState): number => Math.min(5000, shard.settings.failoverTimeoutMs / 2);
/** An operation with no answer after this long is considered lost. */
const OP_TIMEOUT_MS = 3000;
/** A proposal not seen applied within this long is proposed again. */
const PROPOSAL_RETRY_MS = 2000;

interface OpState {
  readonly opId: number;
  readonly op: RedisOp['kind'];
  readonly sentAt: number;
  result?: RedisOpResult;
}

interface SwitchoverRequest {
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
  masterOffset: number | null;
  targetOffset: number | null;
  steps: Record<string, number>;
  epoch: number | null;
  report: CandidateReport | null;
}

export class FailoverEngine {
  private nextOpId = 1;
  /** Per "shard/node": the last Redis operation and its result. */
  private readonly ops = new Map<string, OpState>();
  private readonly opIndex = new Map<number, string>();
  /** Per shard: the last proposal and when, so one is not sent twice in a row. */
  private readonly proposals = new Map<string, { key: string; at: number }>();
  /** Per shard: when the master was first seen objectively down (monotonic). */
  private readonly detectedAt = new Map<string, { mono: number; wall: number }>();
  /** Per "shard/node": run id and offset last seen, to catch a master that restarted empty. */
  private readonly lastSeen = new Map<string, { runId: string; offset: number }>();
  private readonly noCandidateLogged = new Set<string>();
  /** Per shard: the committed master as last seen, and when (monotonic) it changed. */
  private readonly masterSeen = new Map<string, { master: string | null; at: number }>();
  private readonly switchovers = new Map<string, SwitchoverRequest>();
  /** Per shard: the repointing of the failover in flight (node -> replicaof sent/acked). */
  private readonly repointing = new Map<
    string,
    { epoch: number; phase: Map<string, 'sent' | 'acked'>; done: Set<string> }
  >();
  private actions: EngineAction[] = [];

  /** `bugs`: test-only switches that re-create known bugs (bugs.ts); never set in production. */
  constructor(
    readonly selfId: NodeId,
    private readonly bugs: FailoverBugs = {},
  ) {}

  /** A Redis operation finished; the next update() acts on it. */
  redisDone(opId: number, result: RedisOpResult): void {
    const k = this.opIndex.get(opId);
    if (k === undefined) return;
    this.opIndex.delete(opId);
    const st = this.ops.get(k);
    if (st && st.opId === opId) st.result = result;
  }

  /** Leadership was lost: forget everything in flight (the next leader resumes from the log). */
  reset(): void {
    this.ops.clear();
    this.opIndex.clear();
    this.proposals.clear();
    this.detectedAt.clear();
    this.repointing.clear();
    for (const r of this.switchovers.values()) {
      this.actions.push({
        type: 'switchover-done',
        requestId: r.requestId,
        result: this.fail(r, 'not_leader', 'leadership changed during the switchover'),
      });
    }
    // A write pause this leader set is left to expire by itself (CLIENT PAUSE has a timeout):
    // without the lease, an UNPAUSE could land in the middle of the next leader's own switchover
    // and let the master take writes that the promotion would then lose.
    this.switchovers.clear();
  }

  requestSwitchover(
    requestId: number,
    shard: string,
    to: string | null,
    now: number,
    timeoutMs: number,
    forced: SwitchoverRequest['forced'] = null,
  ): void {
    if (this.switchovers.has(shard)) {
      this.actions.push({
        type: 'switchover-done',
        requestId,
        result: failed(shard, 'busy', 'a switchover of this shard is already running'),
      });
      return;
    }
    this.switchovers.set(shard, {
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
      masterOffset: null,
      targetOffset: null,
      steps: {},
      epoch: null,
      report: null,
    });
  }

  /** The candidate report as it stands now (the CLI's `candidates`, a switchover's dry run). */
  candidates(input: EngineInput, shardName: string): CandidateReport | null {
    const shard = input.topology.shards[shardName];
    if (!shard) return null;
    return this.report(input, shard, shard.master);
  }

  update(input: EngineInput): EngineAction[] {
    if (input.leading) {
      for (const shard of Object.values(input.topology.shards)) this.updateShard(input, shard);
      for (const r of [...this.switchovers.values()]) {
        if (!input.topology.shards[r.shard])
          this.finishSwitchover(r, this.fail(r, 'not_found', `no shard ${r.shard}`));
      }
    }
    const out = this.actions;
    this.actions = [];
    return out;
  }

  // ---- per shard ----------------------------------------------------------------------------

  private updateShard(input: EngineInput, shard: ShardState): void {
    const f = shard.failover;
    if (f) {
      if (f.term !== input.term) {
        this.propose(input, shard.name, { type: 'failoverResumed', shard: shard.name, epoch: f.epoch });
        return;
      }
      if (f.step === 'started') this.promote(input, shard);
      else this.repoint(input, shard);
      return;
    }
    if (shard.master === null) {
      this.adoptMaster(input, shard);
      return;
    }
    this.watchSeen(input, shard);
    const sw = this.switchovers.get(shard.name);
    if (sw) {
      this.switchover(input, shard, sw);
      return;
    }
    this.reconcile(input, shard);
    this.detect(input, shard);
  }

  /** First leader after bootstrap: adopt the running topology, or apply initialMaster (6a). */
  private adoptMaster(input: EngineInput, shard: ShardState): void {
    const views = this.views(input, shard);
    const missing = shard.nodes.filter((n) => !views.get(n.id));
    if (missing.length > 0) return; // wait until every node has been seen
    const masters = shard.nodes.filter((n) => views.get(n.id)?.role === 'master');
    const replicas = shard.nodes.filter((n) => views.get(n.id)?.role === 'slave');
    if (masters.length === 1) {
      const m = masters[0];
      const following = replicas.every((r) => pointsAt(views.get(r.id), m));
      if (following && masters.length + replicas.length === shard.nodes.length) {
        this.propose(input, shard.name, {
          type: 'masterAdopted',
          shard: shard.name,
          master: m.id,
          replId: views.get(m.id)?.replId ?? null,
        });
        return;
      }
    }
    if (replicas.length === 0 && masters.length === shard.nodes.length) {
      if (shard.initialMaster) {
        const m = nodeOf(shard, shard.initialMaster) as RedisNodeSpec;
        this.propose(input, shard.name, {
          type: 'masterAdopted',
          shard: shard.name,
          master: m.id,
          replId: views.get(m.id)?.replId ?? null,
        });
        return;
      }
      this.propose(input, shard.name, {
        type: 'shardProblem',
        shard: shard.name,
        problem: 'every node is a master and no initialMaster is set',
      });
      return;
    }
    const names = masters.map((m) => m.id).join(', ');
    this.propose(input, shard.name, {
      type: 'shardProblem',
      shard: shard.name,
      problem: `ambiguous topology: masters ${names || 'none'}; refusing to pick one`,
    });
  }

  /** Tracks run id and offset of the master, to catch an empty restart (4.5). */
  private watchSeen(input: EngineInput, shard: ShardState): void {
    const m = shard.master as string;
    const v = input.observations.best(shard.name, m, input.now, 2 * shard.settings.downAfterMs, this.selfId);
    if (!v || v.runId === null || v.offset === null) return;
    const k = `${shard.name}/${m}`;
    const prev = this.lastSeen.get(k);
    if (prev && prev.runId !== v.runId && v.offset < prev.offset) return; // keep the evidence
    // One run's offset never goes back: a lower one is an older report (another observer's
    // digest), and taking it would hide an empty restart whose offset then passes it.
    const offset = prev && prev.runId === v.runId ? Math.max(prev.offset, v.offset) : v.offset;
    this.lastSeen.set(k, { runId: v.runId, offset });
  }

  private restartedEmpty(input: EngineInput, shard: ShardState): boolean {
    const m = shard.master as string;
    const prev = this.lastSeen.get(`${shard.name}/${m}`);
    const v = input.observations.best(shard.name, m, input.now, 2 * shard.settings.downAfterMs, this.selfId);
    return (
      !!prev &&
      !!v &&
      v.runId !== null &&
      v.runId !== prev.runId &&
      v.offset !== null &&
      v.offset < prev.offset
    );
  }

  /**
   * After a failover (4.5): a node answering as master that is not the committed master is
   * demoted at once; a replica of the wrong master is repointed, toward the committed (highest
   * epoch) master only. A master that restarted empty is never followed.
   */
  private reconcile(input: EngineInput, shard: ShardState): void {
    let master = nodeOf(shard, shard.master) as RedisNodeSpec;
    if (this.bugs.repointToLowerEpoch) {
      const previous =
        input.topology.history[shard.name]?.filter((h) => h.result === 'ended').at(-1)?.from ?? null;
      master = nodeOf(shard, previous) ?? master;
    }
    if (this.restartedEmpty(input, shard)) return; // detect() fails it over; follow nothing of it
    const views = this.views(input, shard);
    // The committed master answers as a replica (a switchover that demoted it, then failed):
    // it is down (detect() fails it over); making its master follow it would close a loop.
    if (views.get(shard.master as string)?.role === 'slave') return;
    for (const node of shard.nodes) {
      if (node.id === master.id) continue;
      const v = views.get(node.id);
      if (!v) continue;
      const wrong = v.role === 'master' || (v.role === 'slave' && !pointsAt(v, master));
      if (!wrong) continue;
      const demote = v.role === 'master';
      const op: RedisOp = { kind: 'replicaof', host: master.host, port: master.port, killClients: demote };
      if (this.redis(input, shard.name, node, op) && demote) {
        this.event('+convert-to-slave', shard.name, { node: node.id, host: node.host, port: node.port });
      }
    }
  }

  private detect(input: EngineInput, shard: ShardState): void {
    const emptyRestart = this.restartedEmpty(input, shard);
    // Reports about the previous master's node that predate the change say nothing of this one.
    let seen = this.masterSeen.get(shard.name);
    if (!seen || seen.master !== shard.master) {
      this.masterSeen.set(shard.name, (seen = { master: shard.master, at: seen ? input.now : -Infinity }));
    }
    const verdict = detectOdown(shard, input.observations, input.now, input.voters, seen.at);
    if (!verdict.odown && !emptyRestart) {
      if (this.detectedAt.delete(shard.name)) this.event('-odown', shard.name, {});
      this.noCandidateLogged.delete(shard.name);
      return;
    }
    if (!this.detectedAt.has(shard.name)) {
      this.detectedAt.set(shard.name, { mono: input.now, wall: input.wallNow });
      this.event('+odown', shard.name, {
        reason: emptyRestart ? 'master restarted empty' : verdict.reason,
        observers: verdict.sdownObservers,
      });
    }
    if (input.topology.paused || shard.paused || input.wallNow < shard.cooldownUntil) return;
    const report = this.report(input, shard, shard.master);
    if (!report.chosen) {
      if (!this.noCandidateLogged.has(shard.name)) {
        this.noCandidateLogged.add(shard.name);
        this.event('-failover-abort-no-good-slave', shard.name, { report });
      }
      return;
    }
    const detected = this.detectedAt.get(shard.name) as { mono: number; wall: number };
    this.propose(input, shard.name, {
      type: 'failoverStarted',
      shard: shard.name,
      epoch: shard.epoch + 1,
      kind: 'failover',
      from: shard.master,
      to: report.chosen,
      report,
      at: input.wallNow,
      detectedAt: detected.wall,
    });
    if (this.bugs.replicaofBeforeCommit) {
      this.redis(input, shard.name, nodeOf(shard, report.chosen) as RedisNodeSpec, { kind: 'promote' }, 0);
    }
  }

  /** FailoverStarted is committed: REPLICAOF NO ONE on the candidate, verify, commit Promoted. */
  private promote(input: EngineInput, shard: ShardState): void {
    const f = shard.failover as NonNullable<ShardState['failover']>;
    const to = nodeOf(shard, f.to) as RedisNodeSpec;
    const st = this.ops.get(`${shard.name}/${to.id}`);
    const from = nodeOf(shard, f.from);
    if (f.kind === 'switchover' && from) {
      this.switchoverStep(input, shard, f, from, to);
      return;
    }
    if (input.wallNow - f.startedAt > shard.settings.failoverTimeoutMs) {
      this.propose(input, shard.name, {
        type: 'failoverAborted',
        shard: shard.name,
        epoch: f.epoch,
        reason: `promotion of ${to.id} timed out`,
        at: input.wallNow,
      });
      return;
    }
    if (st?.op === 'promote' && st.result?.ok) {
      this.redis(input, shard.name, to, { kind: 'inspect' }, 0);
      return;
    }
    if (st?.op === 'inspect' && st.result?.ok && st.result.view?.role === 'master') {
      this.propose(input, shard.name, {
        type: 'promoted',
        shard: shard.name,
        epoch: f.epoch,
        replId: st.result.view.replId,
        at: input.wallNow,
      });
      return;
    }
    if (st?.op === 'inspect' && st.result?.ok) {
      this.redis(input, shard.name, to, { kind: 'promote' }, 0); // not master yet: send it again
      return;
    }
    this.redis(input, shard.name, to, { kind: 'promote' });
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
  private switchoverStep(
    input: EngineInput,
    shard: ShardState,
    f: NonNullable<ShardState['failover']>,
    from: RedisNodeSpec,
    to: RedisNodeSpec,
  ): void {
    const ts = this.ops.get(`${shard.name}/${to.id}`);
    const fs = this.ops.get(`${shard.name}/${from.id}`);
    const toView = ts?.op === 'inspect' && ts.result?.ok ? ts.result.view : undefined;
    const fromView = fs?.op === 'inspect' && fs.result?.ok ? fs.result.view : undefined;
    const elapsed = input.wallNow - f.startedAt;
    const timeoutMs = shard.settings.failoverTimeoutMs;
    // Past twice the timeout, what the observers see settles it when no INFO of ours can: a
    // demotion happened within the first timeout, and a dead old master is objectively down.
    const late = elapsed > 2 * timeoutMs;
    const seen = late ? this.views(input, shard).get(from.id) : null;
    const demoted =
      (fs?.op === 'replicaof' && fs.result?.ok === true) ||
      fromView?.role === 'slave' ||
      (late &&
        fromView === undefined &&
        (seen?.role === 'slave' || detectOdown(shard, input.observations, input.now, input.voters).odown));
    const abort = (reason: string): void => {
      this.redis(input, shard.name, from, { kind: 'unpause' }, 0); // whatever paused it, release it
      this.propose(input, shard.name, {
        type: 'failoverAborted',
        shard: shard.name,
        epoch: f.epoch,
        reason,
        at: input.wallNow,
      });
    };
    if (demoted && toView?.role === 'master') {
      this.propose(input, shard.name, {
        type: 'promoted',
        shard: shard.name,
        epoch: f.epoch,
        replId: toView.replId,
        at: input.wallNow,
      });
      return;
    }
    if (elapsed <= timeoutMs && this.writePauseHeld(input, shard, f.epoch)) {
      if (ts?.op === 'promote' && ts.result?.ok) {
        this.redis(input, shard.name, to, { kind: 'inspect' }, 0);
      } else if (toView?.role === 'master') {
        const retry = fs?.op === 'replicaof' && fs.result !== undefined;
        this.redis(
          input,
          shard.name,
          from,
          { kind: 'replicaof', host: to.host, port: to.port, killClients: true },
          retry ? OP_RETRY_MS : 0,
        );
      } else if (ts?.op === 'inspect' && ts.result?.ok) {
        this.redis(input, shard.name, to, { kind: 'promote' }, 0); // not master yet: send it again
      } else {
        this.redis(input, shard.name, to, { kind: 'promote' });
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
    if (!demoted) {
      this.redis(input, shard.name, from, { kind: 'inspect' }, POLL_MS); // where does the old master stand?
      return;
    }
    // The old master refuses writes (or is gone): forward once the target shows as master. A
    // target still not one past twice the timeout is committed all the same, its history
    // unknown: it is then down like any failed master and detect() fails it over to the best
    // replica (the demoted old master among them), where an abort would leave no master at all.
    if (late && ts?.op === 'inspect' && ts.result) {
      this.propose(input, shard.name, {
        type: 'promoted',
        shard: shard.name,
        epoch: f.epoch,
        replId: null,
        at: input.wallNow,
      });
    } else {
      this.redis(input, shard.name, to, { kind: 'inspect' }, POLL_MS);
    }
  }

  /** This leader paused the old master for this switchover, and the pause has not run out. */
  private writePauseHeld(input: EngineInput, shard: ShardState, epoch: number): boolean {
    const r = this.switchovers.get(shard.name);
    return (
      r !== undefined &&
      r.epoch === epoch &&
      r.pausedAt !== null &&
      input.now < r.pausedAt + shard.settings.failoverTimeoutMs
    );
  }

  /** Promoted is committed (clients know): repoint every other reachable node, then end. */
  private repoint(input: EngineInput, shard: ShardState): void {
    const f = shard.failover as NonNullable<ShardState['failover']>;
    const master = nodeOf(shard, f.to) as RedisNodeSpec;
    let rp = this.repointing.get(shard.name);
    if (!rp || rp.epoch !== f.epoch) {
      this.repointing.set(shard.name, (rp = { epoch: f.epoch, phase: new Map(), done: new Set() }));
      // A switchover demoted the old master before Promoted: it is being repointed already, and
      // the CLIENT KILL of that demotion drops every probe for a moment, so wait for its link
      // rather than skip it as unreachable.
      const fromOp = f.from ? this.ops.get(`${shard.name}/${f.from}`) : undefined;
      if (f.from && fromOp?.op === 'replicaof' && fromOp.result?.ok) rp.phase.set(f.from, 'acked');
    }
    const views = this.views(input, shard);
    let busy = 0;
    const waiting: RedisNodeSpec[] = [];
    for (const node of shard.nodes) {
      if (node.id === master.id || rp.done.has(node.id)) continue;
      const st = this.ops.get(`${shard.name}/${node.id}`);
      const phase = rp.phase.get(node.id);
      const polled = phase === 'acked' && st?.op === 'inspect' && st.result?.ok ? st.result.view : undefined;
      if (pointsAt(polled ?? views.get(node.id), master) && (polled ?? views.get(node.id))?.linkUp === true) {
        rp.done.add(node.id);
        this.event('+slave-reconf-done', shard.name, { node: node.id, host: node.host, port: node.port });
        continue;
      }
      if (phase === 'sent') {
        if (st?.op === 'replicaof' && st.result?.ok) rp.phase.set(node.id, 'acked');
        else if (st?.op === 'replicaof' && st.result) rp.phase.delete(node.id); // failed: send again later
        busy++;
        continue;
      }
      if (phase === 'acked') {
        busy++;
        this.redis(input, shard.name, node, { kind: 'inspect' }, POLL_MS); // wait for its link to come up
        continue;
      }
      if (views.get(node.id)) waiting.push(node); // unreachable ones are reconciled when they return
    }
    for (const node of waiting) {
      if (busy >= shard.settings.parallelSyncs) break;
      const op: RedisOp = {
        kind: 'replicaof',
        host: master.host,
        port: master.port,
        killClients: node.id === f.from,
      };
      if (this.redis(input, shard.name, node, op, 0)) {
        rp.phase.set(node.id, 'sent');
        this.event('+slave-reconf-sent', shard.name, { node: node.id, host: node.host, port: node.port });
      }
      busy++;
    }
    const timedOut = f.promotedAt !== null && input.wallNow - f.promotedAt > shard.settings.failoverTimeoutMs;
    if (busy > 0 && !timedOut) return;
    if (!this.releasePausedMaster(input, shard, f)) return;
    this.propose(input, shard.name, {
      type: 'failoverEnded',
      shard: shard.name,
      epoch: f.epoch,
      repointed: [...rp.done],
      timeline: timelineOf(f, input.wallNow),
      at: input.wallNow,
    });
  }

  /** A switchover paused the old master's writers: release them (their writes now fail over). */
  private releasePausedMaster(
    input: EngineInput,
    shard: ShardState,
    f: NonNullable<ShardState['failover']>,
  ): boolean {
    const sw = this.switchovers.get(shard.name);
    const from = nodeOf(shard, f.from);
    if (!sw || sw.epoch !== f.epoch || sw.pausedAt === null || !from) return true;
    const st = this.ops.get(`${shard.name}/${from.id}`);
    if (st?.op === 'unpause' && st.result) return true;
    this.redis(input, shard.name, from, { kind: 'unpause' }, 0);
    return false;
  }

  // ---- switchover (4.7) ---------------------------------------------------------------------

  private switchover(input: EngineInput, shard: ShardState, r: SwitchoverRequest): void {
    const master = nodeOf(shard, shard.master) as RedisNodeSpec;
    if (input.now > r.deadline) {
      this.abortSwitchover(input, shard, r, 'timeout', `switchover timed out in phase ${r.phase}`);
      return;
    }
    if (r.phase === 'forcing') {
      this.forceFailover(input, shard, r);
      return;
    }
    if (r.phase === 'pausing') {
      const report = this.report(input, shard, shard.master);
      r.report = report;
      const target = r.to ?? report.chosen;
      const row = report.rows.find((x) => x.id === target);
      if (!target || !row?.eligible) {
        // Right after a failover or switchover the replicas' reports lag behind (a resync, the
        // probes dropped by CLIENT KILL, an INFO not yet refreshed): give them a moment first.
        const settling =
          !!row &&
          /unreachable|replication history|link to the master|offset unknown|subjectively down/.test(
            row.reason,
          );
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
      const st = this.ops.get(`${shard.name}/${master.id}`);
      if (st?.op === 'pause' && st.result?.ok) {
        r.pausedAt = st.sentAt;
        r.steps.preflight = Math.round(st.sentAt - r.requestedAt);
        r.phase = 'catching-up';
      } else if (st?.op === 'pause' && st.result && !st.result.ok) {
        this.finishSwitchover(
          r,
          this.fail(r, 'redis_error', `CLIENT PAUSE on ${master.id} failed: ${st.result.error}`),
        );
      } else if (st?.op !== 'pause') {
        this.redis(input, shard.name, master, { kind: 'pause', ms: shard.settings.failoverTimeoutMs }, 0);
      }
      return;
    }
    if (r.phase === 'catching-up') {
      const target = nodeOf(shard, r.target) as RedisNodeSpec;
      const ms = this.ops.get(`${shard.name}/${master.id}`);
      const ts = this.ops.get(`${shard.name}/${target.id}`);
      if (ms?.op === 'inspect' && ms.result?.view?.offset != null) r.masterOffset = ms.result.view.offset;
      if (ts?.op === 'inspect' && ts.result?.view?.offset != null) r.targetOffset = ts.result.view.offset;
      const caughtUp = r.masterOffset !== null && r.targetOffset !== null && r.targetOffset >= r.masterOffset;
      if (caughtUp || this.bugs.switchoverSkipsCatchUp) {
        r.steps.catchUp = Math.round(input.now - (r.pausedAt ?? input.now));
        r.phase = 'committing';
      } else if (input.now - (r.pausedAt ?? input.now) > catchUpLimitMs(shard)) {
        this.abortSwitchover(
          input,
          shard,
          r,
          'catch_up_timeout',
          `${target.id} did not catch up with the paused master within ${catchUpLimitMs(shard)} ms`,
        );
        return;
      } else {
        this.redis(input, shard.name, master, { kind: 'inspect' }, ms?.op === 'inspect' ? POLL_MS : 0);
        this.redis(input, shard.name, target, { kind: 'inspect' }, ts?.op === 'inspect' ? POLL_MS : 0);
        return;
      }
    }
    if (r.phase === 'committing') {
      if (r.forced) return; // proposed once; the topology takes it from here
      r.epoch = shard.epoch + 1;
      this.propose(input, shard.name, {
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
    const report = this.report(input, shard, shard.master);
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
    const lossy =
      /behind|another replication history|link to the master down/.test(row.reason) ||
      (row.lagBytes ?? 0) > 0;
    if (!row.eligible && !(allow && lossy)) {
      this.finishSwitchover(r, this.fail(r, 'no_candidate', `${row.id} is not eligible: ${row.reason}`));
      return;
    }
    const masterView = shard.master
      ? input.observations.best(
          shard.name,
          shard.master,
          input.now,
          2 * shard.settings.downAfterMs,
          this.selfId,
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
    this.propose(input, shard.name, {
      type: 'failoverStarted',
      shard: shard.name,
      epoch: r.epoch,
      kind: 'failover',
      from: shard.master,
      to: row.id,
      report,
      at: input.wallNow,
      detectedAt: input.wallNow,
    });
  }

  /** Called when the topology shows the switchover's epoch ended (or aborted). */
  switchoverApplied(
    shardName: string,
    epoch: number,
    ok: boolean,
    repointed: readonly string[],
    now: number,
    reason?: string,
    timeline?: TimelineMs,
  ): void {
    const r = this.switchovers.get(shardName);
    if (!r || r.epoch !== epoch) return;
    if (timeline?.promoted !== undefined && timeline.committed !== undefined)
      r.steps.promote = timeline.promoted - timeline.committed;
    if (timeline?.ended !== undefined && timeline.promoted !== undefined)
      r.steps.repoint = timeline.ended - timeline.promoted;
    r.steps.total = Math.round(now - r.requestedAt);
    const report: DrillReport = {
      ...this.drillReport(r),
      repointed,
      writePauseMs: r.pausedAt !== null ? Math.round(now - r.pausedAt) : null,
    };
    this.finishSwitchover(
      r,
      ok
        ? { ok: true, report }
        : { ok: false, error: { code: 'aborted', message: reason ?? 'aborted' }, report },
    );
  }

  private abortSwitchover(
    input: EngineInput,
    shard: ShardState,
    r: SwitchoverRequest,
    code: string,
    message: string,
  ): void {
    if (r.pausedAt !== null) {
      const master = nodeOf(shard, shard.master) as RedisNodeSpec;
      this.redis(input, shard.name, master, { kind: 'unpause' }, 0);
    }
    this.finishSwitchover(r, this.fail(r, code, message));
  }

  private finishSwitchover(r: SwitchoverRequest, result: SwitchoverResult): void {
    this.switchovers.delete(r.shard);
    this.actions.push({ type: 'switchover-done', requestId: r.requestId, result });
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

  // ---- helpers ------------------------------------------------------------------------------

  private report(input: EngineInput, shard: ShardState, from: string | null): CandidateReport {
    const views = this.views(input, shard);
    const maxAge = 2 * shard.settings.downAfterMs;
    const masterSightings = from ? input.observations.fresh(shard.name, from, input.now, 10 * maxAge) : [];
    const offsets = masterSightings.map((s) => s.obs.offset).filter((o): o is number => o !== null && o >= 0);
    // Also the highest offset seen of the master's current run (watchSeen): the latest reports
    // may carry none (a probe that reconnected to a hung master, or through a proxy, has no ROLE
    // yet), and lag measured against the best replica instead would void maxLagBytes.
    const seen = from ? this.lastSeen.get(`${shard.name}/${from}`) : undefined;
    if (seen) offsets.push(seen.offset);
    return chooseCandidate({
      shard,
      from,
      views,
      masterOffset: offsets.length > 0 ? Math.max(...offsets) : null,
      maxLinkDownMs: shard.settings.maxLinkDownMs ?? 10 * shard.settings.downAfterMs,
      skipReplIdCheck: this.bugs.skipReplIdCheck,
    });
  }

  private views(input: EngineInput, shard: ShardState): Map<string, RedisObservation | null> {
    const maxAge = 2 * shard.settings.downAfterMs;
    return new Map(
      shard.nodes.map((n) => [
        n.id,
        input.observations.best(shard.name, n.id, input.now, maxAge, this.selfId),
      ]),
    );
  }

  /**
   * Sends a Redis operation to a node: one at a time per node, and the same kind again only
   * after minGapMs (retries) — 0 for the next step of a sequence. Returns whether it was sent.
   */
  private redis(
    input: EngineInput,
    shard: string,
    node: RedisNodeSpec,
    op: RedisOp,
    minGapMs = OP_RETRY_MS,
  ): boolean {
    const k = `${shard}/${node.id}`;
    const st = this.ops.get(k);
    if (st && st.result === undefined && input.now - st.sentAt < OP_TIMEOUT_MS) return false; // in flight
    if (st && st.op === op.kind && input.now - st.sentAt < minGapMs) return false;
    const opId = this.nextOpId++;
    this.ops.set(k, { opId, op: op.kind, sentAt: input.now });
    this.opIndex.set(opId, k);
    this.actions.push({ type: 'redis', opId, shard, node, op });
    return true;
  }

  private propose(input: EngineInput, shard: string, command: TopologyCommand): void {
    const key = JSON.stringify({ ...command, at: 0, detectedAt: 0, timeline: 0 });
    const last = this.proposals.get(shard);
    if (last && last.key === key && input.now - last.at < PROPOSAL_RETRY_MS) return;
    this.proposals.set(shard, { key, at: input.now });
    this.actions.push({ type: 'propose', command });
  }

  private event(name: string, shard: string, detail: Record<string, unknown>): void {
    this.actions.push({ type: 'event', name, shard, detail });
  }
}

function pointsAt(v: RedisObservation | null | undefined, master: RedisNodeSpec): boolean {
  return !!v && v.role === 'slave' && v.masterHost === master.host && v.masterPort === master.port;
}

function failed(shard: string, code: string, message: string): SwitchoverResult {
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

function timelineOf(f: NonNullable<ShardState['failover']>, wallNow: number): TimelineMs {
  const t0 = f.detectedAt;
  return {
    detected: 0,
    committed: f.startedAt - t0,
    promoted: f.promotedAt !== null ? f.promotedAt - t0 : undefined,
    published: f.promotedAt !== null ? f.promotedAt - t0 : undefined,
    repointed: wallNow - t0,
    ended: wallNow - t0,
  };
}
