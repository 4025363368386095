// The failover engine: what the Raft leader does about each shard. Pure and step-driven like
// the Raft core: `update()` reads the applied topology, the observation table and the results
// of earlier Redis operations, and returns actions (proposals to commit, Redis operations to
// run). The shell runs the actions and feeds the results back; the simulator does the same
// with fake Redis nodes. Every step of a failover is committed before the next one starts
// (docs/design.md 4.4), and only the leader of the term that committed its latest entry acts.
// Its parts: switchover.ts (planned switchovers, operators' failovers) and promotion.ts (the
// verified promotion step of a failover); they act through EngineCore (engine-types.ts).
import type { NodeId } from '../raft/types.js';
import type { FailoverBugs } from './bugs.js';
import { detectOdown, quorumOf } from './detect.js';
import {
  AVOID_DOWN_FACTOR,
  managedWriteSafety,
  OP_RETRY_MS,
  OP_TIMEOUT_MS,
  POLL_MS,
  follows,
  pointsAt,
  type EngineAction,
  type EngineCore,
  type EngineInput,
  type FailoverInFlight,
  type OpState,
  type RedisOp,
  type RedisOpResult,
} from './engine-types.js';
import {
  FailoverPromotion,
  keepRestartedMaster,
  type EmptyRestart,
  reinstateInPlace,
  resyncedReplicas,
  withRegainedHistory,
} from './promotion.js';
import { lateDemotionForward } from './late-demotion.js';
import { RepointRetries, type NodeLook } from './repoint-retry.js';
import { infoTakenNoEarlierThan, linkDownLimitMs, observationMaxAgeMs } from './rules.js';
import { adoptFollowedHistory, emptyRestartEvidence } from './restart.js';
import { chooseCandidate } from './select.js';
import { Switchovers, type SwitchoverRequest } from './switchover.js';
import { nodeOf } from './topology.js';
import {
  replicationAddressOf,
  type CandidateReport,
  type HistoryEntry,
  type RedisNodeSpec,
  type RedisObservation,
  type ShardState,
  type TimelineMs,
  type TopologyCommand,
} from './types.js';

export type {
  DrillReport,
  EngineAction,
  EngineInput,
  RedisOp,
  RedisOpResult,
  SwitchoverResult,
} from './engine-types.js';

/** A proposal not seen applied within this long is proposed again. */
const PROPOSAL_RETRY_MS = 2000;

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
  /** Per shard: the repointing of the failover in flight (node -> replicaof sent/acked). */
  private readonly repointing = new Map<
    string,
    {
      epoch: number;
      phase: Map<string, 'sent' | 'acked'>;
      done: Set<string>;
      /** Wall-clock ms when the first replica followed the new master (the history's timeline). */
      firstDoneAt: number | null;
    }
  >();
  /** REPLICAOF retries per node (repoint-retry.ts), and the last one sent to each node. */
  private readonly retries = new RepointRetries();
  private readonly replicaofSent = new Map<
    string,
    { opId: number; shard: string; node: RedisNodeSpec; event: string | null }
  >();
  /** Answers to those REPLICAOFs, told at the next update (it has the clock). */
  private replicaofAnswers: { key: string; opId: number; ok: boolean }[] = [];
  /** Operations answered since the last update(), which stamps their answeredAt. */
  private unstamped: OpState[] = [];
  private actions: EngineAction[] = [];
  /** Per shard: the replication history this leader last saw committed, and since when. */
  private readonly historySeen = new Map<string, { replId: string | null; at: number }>();
  /**
   * Per shard: the committed master's run taken for an empty restart, and when (monotonic) this
   * leader first had evidence of it: the restart happened before then. Reports of the replicas
   * taken before it prove nothing of a resync (emptyRestart()).
   */
  private readonly restartSeen = new Map<string, { master: string; runId: string; at: number }>();
  /** Per shard without a master yet: when the leader first found nodes nobody has seen. */
  private readonly adoptWaitSince = new Map<string, number>();
  /** Per shard: the write-safety settings sent to the master (key), and the last one it took. */
  private readonly writeSafety = new Map<string, { key: string; opId: number; done: string | null }>();
  /** Per shard: candidates the leader could not reach when it tried to promote them, and when. */
  private readonly avoided = new Map<string, Map<string, { at: number; reason: string }>>();
  /**
   * What one update() derives from the observation table, per shard. The table, the clock and
   * the topology stand still during an update, and the steps of one shard ask for the same
   * views, empty-restart evidence and candidate report several times over (in the simulator,
   * a sixth of all the time went there). watchSeen() drops a shard's evidence and reports.
   */
  private memo: {
    readonly views: Map<string, Map<string, RedisObservation | null>>;
    readonly restarted: Map<string, string | null>;
    readonly reports: Map<string, CandidateReport>;
  } | null = null;
  private readonly core: EngineCore;
  private readonly switchovers: Switchovers;
  private readonly promotion: FailoverPromotion;

  /** `bugs`: test-only switches that re-create known bugs (bugs.ts); never set in production. */
  constructor(
    readonly selfId: NodeId,
    private readonly bugs: FailoverBugs = {},
  ) {
    // What the parts may do: the engine's operations and proposals, nothing else.
    const core: EngineCore = {
      selfId,
      bugs,
      lastOp: (shard, node) => this.ops.get(`${shard}/${node}`),
      peekOpId: () => this.nextOpId,
      redis: (input, shard, node, op, minGapMs) => this.redis(input, shard, node, op, minGapMs),
      propose: (input, shard, command) => this.propose(input, shard, command),
      switchoverDone: (requestId, result) => {
        this.actions.push({ type: 'switchover-done', requestId, result });
      },
      report: (input, shard, from) => this.report(input, shard, from),
      views: (input, shard) => this.views(input, shard),
      avoid: (shard, node, now, reason) => {
        const per = this.avoided.get(shard) ?? new Map<string, { at: number; reason: string }>();
        per.set(node, { at: now, reason });
        this.avoided.set(shard, per);
        this.forgetReports(shard);
      },
      handOver: (shard, to, reason) => {
        this.actions.push({ type: 'hand-over', shard, to, reason });
      },
    };
    this.core = core;
    this.switchovers = new Switchovers(core);
    this.promotion = new FailoverPromotion(core);
  }

  /** A Redis operation finished; the next update() acts on it. */
  redisDone(opId: number, result: RedisOpResult): void {
    const k = this.opIndex.get(opId);
    if (k === undefined) return;
    this.opIndex.delete(opId);
    const st = this.ops.get(k);
    if (st && st.opId === opId) {
      st.result = result;
      this.unstamped.push(st);
    }
    if (this.replicaofSent.get(k)?.opId === opId) this.replicaofAnswers.push({ key: k, opId, ok: result.ok });
  }

  /** Leadership was lost: forget everything in flight (the next leader resumes from the log). */
  reset(): void {
    this.ops.clear();
    this.opIndex.clear();
    this.unstamped = [];
    this.proposals.clear();
    this.detectedAt.clear();
    this.repointing.clear();
    this.retries.clear();
    this.replicaofSent.clear();
    this.replicaofAnswers = [];
    this.promotion.reset();
    this.switchovers.reset();
    this.avoided.clear();
    this.writeSafety.clear();
    this.adoptWaitSince.clear();
    this.historySeen.clear();
    this.restartSeen.clear();
  }

  requestSwitchover(
    requestId: number,
    shard: string,
    to: string | null,
    now: number,
    timeoutMs: number,
    forced: SwitchoverRequest['forced'] = null,
  ): void {
    this.switchovers.request(requestId, shard, to, now, timeoutMs, forced);
  }

  /** The candidate report as it stands now (the CLI's `candidates`, a switchover's dry run). */
  candidates(input: EngineInput, shardName: string): CandidateReport | null {
    const shard = input.topology.shards[shardName];
    if (!shard) return null;
    return this.report(input, shard, shard.master);
  }

  /** One run of the loop, over every shard or only those in `shards` (the driver's choice). */
  update(input: EngineInput, shards: ReadonlySet<string> | null = null): EngineAction[] {
    for (const st of this.unstamped.splice(0)) st.answeredAt ??= input.now;
    if (input.leading) {
      this.memo = { views: new Map(), restarted: new Map(), reports: new Map() };
      try {
        this.replicaofAnswered(input);
        const all = input.topology.shards;
        if (shards === null) for (const shard of Object.values(all)) this.updateShard(input, shard);
        else for (const name of shards) if (Object.hasOwn(all, name)) this.updateShard(input, all[name]);
        this.switchovers.dropRemoved(input);
      } finally {
        this.memo = null;
      }
    }
    const out = this.actions;
    this.actions = [];
    return out;
  }

  /** Called when the topology shows a failover ended (or aborted): a switchover's own ends it. */
  switchoverApplied(entry: HistoryEntry, now: number): void {
    this.switchovers.switchoverApplied(entry, now);
  }

  // ---- per shard ----------------------------------------------------------------------------

  private updateShard(input: EngineInput, shard: ShardState): void {
    const f = shard.failover;
    if (f) {
      if (f.term !== input.term) {
        this.propose(input, shard.name, { type: 'failoverResumed', shard: shard.name, epoch: f.epoch });
        return;
      }
      if (f.step === 'started') this.promote(input, shard, f);
      else this.repoint(input, shard);
      return;
    }
    if (shard.master === null) {
      this.adoptMaster(input, shard);
      return;
    }
    this.watchSeen(input, shard);
    if (this.switchovers.step(input, shard)) return;
    if (this.adoptStaleHistory(input, shard)) return;
    if (this.completeLateDemotion(input, shard)) return;
    this.reconcile(input, shard);
    this.manageWriteSafety(input, shard);
    this.detect(input, shard);
  }

  /**
   * minReplicasToWrite (docs/design.md 4.8): the committed master gets min-replicas-to-write and
   * min-replicas-max-lag, once per master, run, epoch and setting, and again under each new
   * leader (which knows nothing of what the last one sent). Unset: not managed here, except that
   * a master some switchover moved away from gets a switchover's fence lifted (an aborted one
   * left it fenced; a demoted one promoted since may still be).
   */
  private manageWriteSafety(input: EngineInput, shard: ShardState): void {
    const min = shard.settings.minReplicasToWrite ?? null;
    const master = nodeOf(shard, shard.master);
    const view = master ? this.views(input, shard).get(master.id) : null;
    if (!master || !view?.reachable || view.role !== 'master') return;
    if (min === null && !this.switchedAwayFrom(input, shard.name, master.id)) return;
    const op = managedWriteSafety(shard.settings, true);
    const key = `${master.id}|${view.runId ?? '?'}|${shard.epoch}|${min}|${op.maxLagS}`;
    const state = this.writeSafety.get(shard.name);
    if (state?.done === key) return;
    if (state?.key === key) {
      const st = this.ops.get(`${shard.name}/${master.id}`);
      if (st?.opId === state.opId && st.result?.ok) {
        this.writeSafety.set(shard.name, { ...state, done: key });
        return;
      }
      if (st?.opId === state.opId && st.result === undefined) return; // in flight
    }
    if (this.redis(input, shard.name, master, op)) {
      this.writeSafety.set(shard.name, { key, opId: this.nextOpId - 1, done: state?.done ?? null });
    }
  }

  /**
   * Bootstrap with nodes nobody has seen (a replica down, a host not up yet): after a grace of
   * 2 x downAfterMs, the one master seen is adopted when a quorum of observers reports it master
   * and every replica seen follows it, at least one with its link up. Waiting for every node
   * would leave the shard without a published master for as long as one replica is down.
   */
  private adoptWithout(
    input: EngineInput,
    shard: ShardState,
    views: Map<string, RedisObservation | null>,
    missing: readonly RedisNodeSpec[],
  ): void {
    const since = this.adoptWaitSince.get(shard.name) ?? input.now;
    this.adoptWaitSince.set(shard.name, since);
    if (input.now - since < 2 * shard.settings.downAfterMs) return;
    const seen = shard.nodes.filter((n) => !missing.includes(n));
    const masters = seen.filter((n) => views.get(n.id)?.role === 'master');
    if (masters.length !== 1) return;
    const m = masters[0];
    const replicas = seen.filter((n) => n !== m);
    const masterReplId = views.get(m.id)?.replId;
    const follow = replicas.every((r) => follows(views.get(r.id), m, shard.nodes, masterReplId));
    const linked = replicas.some((r) => views.get(r.id)?.linkUp === true);
    const agree = input.observations
      .fresh(shard.name, m.id, input.now, observationMaxAgeMs(shard.settings))
      .filter((s) => s.obs.reachable && !s.obs.sdown && s.obs.role === 'master').length;
    if (!follow || !linked || agree < quorumOf(shard, input.voters)) return;
    this.propose(input, shard.name, {
      type: 'masterAdopted',
      shard: shard.name,
      master: m.id,
      replId: views.get(m.id)?.replId ?? null,
    });
  }

  /** Whether a switchover of the shard's recorded history moved the master away from `node`. */
  private switchedAwayFrom(input: EngineInput, shard: string, node: string): boolean {
    return (input.topology.history[shard] ?? []).some((e) => e.kind === 'switchover' && e.from === node);
  }

  /**
   * A committed history that no node holds any more, while the master is healthy and every
   * replica follows it (restart.ts): commit the master's current one. Not a failover (it moves
   * no Redis node), so neither pause nor cooldown holds it back; with evidence of an empty
   * restart, detect() decides instead.
   */
  private adoptStaleHistory(input: EngineInput, shard: ShardState): boolean {
    if (this.restartedEmpty(input, shard) !== null) return false;
    const views = this.views(input, shard);
    const kept = adoptFollowedHistory(
      shard,
      views,
      () => this.report(input, shard, shard.master),
      input.wallNow,
    );
    if (!kept) return false;
    // Only reports received since the shard's history last changed may say that no node holds
    // it: older ones can show the history it had before (simulator seed 9821862 went back to
    // it, from views that predated the master's empty restart the last change had adopted).
    const since = this.historySince(input, shard);
    const maxAge = observationMaxAgeMs(shard.settings);
    const current = shard.nodes.every((n) =>
      input.observations
        .fresh(shard.name, n.id, input.now, maxAge)
        .some((s) => s.receivedAt > since && s.obs.reachable && s.obs.replId === kept.replId),
    );
    if (!current) return false;
    this.propose(input, shard.name, kept);
    return true;
  }

  /** When this leader first saw the shard on its current replication history (monotonic). */
  private historySince(input: EngineInput, shard: ShardState): number {
    const seen = this.historySeen.get(shard.name);
    if (seen?.replId === shard.replId) return seen.at;
    this.historySeen.set(shard.name, { replId: shard.replId, at: input.now });
    return input.now;
  }

  /** First leader after bootstrap: adopt the running topology, or apply initialMaster (6a). */
  private adoptMaster(input: EngineInput, shard: ShardState): void {
    const views = this.views(input, shard);
    const missing = shard.nodes.filter((n) => !views.get(n.id));
    if (missing.length > 0) {
      this.adoptWithout(input, shard, views, missing);
      return;
    }
    this.adoptWaitSince.delete(shard.name);
    const masters = shard.nodes.filter((n) => views.get(n.id)?.role === 'master');
    const replicas = shard.nodes.filter((n) => views.get(n.id)?.role === 'slave');
    if (masters.length === 1) {
      const m = masters[0];
      const following = replicas.every((r) =>
        follows(views.get(r.id), m, shard.nodes, views.get(m.id)?.replId),
      );
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
    const v = input.observations.best(
      shard.name,
      m,
      input.now,
      observationMaxAgeMs(shard.settings),
      this.selfId,
    );
    if (!v || v.runId === null || v.offset === null) return;
    const k = `${shard.name}/${m}`;
    const prev = this.lastSeen.get(k);
    // The evidence of an empty restart is kept until the shard has adopted the new run's
    // history (masterKept): a failover away from it is decided on it.
    const adopted = v.replId !== null && v.replId === shard.replId;
    if (prev && prev.runId !== v.runId && v.offset < prev.offset && !adopted) return;
    // One run's offset never goes back: a lower one is an older report (another observer's
    // digest), and taking it would hide an empty restart whose offset then passes it.
    const offset = prev && prev.runId === v.runId ? Math.max(prev.offset, v.offset) : v.offset;
    this.lastSeen.set(k, { runId: v.runId, offset });
    this.memo?.restarted.delete(shard.name);
    this.memo?.reports.delete(`${shard.name}/${m}`);
  }

  /** Why the committed master is taken for one that restarted empty (restart.ts), or null. */
  private restartedEmpty(input: EngineInput, shard: ShardState): string | null {
    const known = this.memo?.restarted.get(shard.name);
    if (known !== undefined) return known;
    const m = shard.master as string;
    const maxAge = observationMaxAgeMs(shard.settings);
    const master = input.observations.best(shard.name, m, input.now, maxAge, this.selfId);
    const evidence = emptyRestartEvidence({
      shard,
      master,
      sightings: input.observations.fresh(shard.name, m, input.now, maxAge),
      views: this.views(input, shard),
      remembered: this.lastSeen.get(`${shard.name}/${m}`),
    });
    const seen = this.restartSeen.get(shard.name);
    const runId = master?.runId ?? null;
    if (evidence !== null && runId !== null && (seen?.master !== m || seen.runId !== runId)) {
      this.restartSeen.set(shard.name, { master: m, runId, at: input.now });
    }
    this.memo?.restarted.set(shard.name, evidence);
    return evidence;
  }

  /**
   * The empty restart as keepRestartedMaster() and resyncedReplicas() judge it: the nodes whose
   * current report was surely taken after this leader first had evidence of it. A report taken
   * before may predate a sync from the master while it held the shard's history (seed 16034773:
   * the leader's own INFO of r3, taken before a switchover repointed r3 to r1, showed it on the
   * history before the shard's; r3 had continued the shard's history from r1 since).
   */
  private emptyRestart(input: EngineInput, shard: ShardState): EmptyRestart {
    const seen = this.restartSeen.get(shard.name);
    const reportedAfter = new Set<string>();
    if (!seen || seen.master !== shard.master) return { reportedAfter };
    const maxAge = observationMaxAgeMs(shard.settings);
    for (const n of shard.nodes) {
      const s = input.observations.bestSighting(shard.name, n.id, input.now, maxAge, this.selfId);
      if (s && infoTakenNoEarlierThan(s, shard.settings) > seen.at) reportedAfter.add(n.id);
    }
    return { reportedAfter };
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
    if (this.restartedEmpty(input, shard) !== null) return; // detect() fails it over; follow nothing of it
    const views = this.views(input, shard);
    // The committed master answers as a replica (a switchover that demoted it, then failed):
    // it is down (detect() fails it over, or promotes it again in place: reinstateInPlace);
    // making its master follow it would close a loop.
    if (views.get(shard.master as string)?.role === 'slave') return;
    for (const node of shard.nodes) {
      if (node.id === master.id) continue;
      const v = views.get(node.id);
      if (!v) continue;
      const wrong =
        v.role === 'master' ||
        (v.role === 'slave' && !follows(v, master, shard.nodes, views.get(master.id)?.replId));
      if (!wrong) {
        this.retries.settled(`${shard.name}/${node.id}`);
        continue;
      }
      const demote = v.role === 'master';
      this.replicaof(input, shard, node, master, demote, demote ? '+convert-to-slave' : null, v);
    }
  }

  /** An aborted switchover's late demotion goes forward (late-demotion.ts). */
  private completeLateDemotion(input: EngineInput, shard: ShardState): boolean {
    const forward = lateDemotionForward(
      this.core,
      input,
      shard,
      () => this.restartedEmpty(input, shard) !== null,
    );
    if (!forward) return false;
    this.startFailover(input, shard, forward.report, input.wallNow, [], forward.adoptHistory);
    return true;
  }

  private detect(input: EngineInput, shard: ShardState): void {
    const restartEvidence = this.restartedEmpty(input, shard);
    const emptyRestart = restartEvidence !== null;
    // Reports about the previous master's node that predate the change say nothing of this one.
    let seen = this.masterSeen.get(shard.name);
    if (!seen || seen.master !== shard.master) {
      this.masterSeen.set(shard.name, (seen = { master: shard.master, at: seen ? input.now : -Infinity }));
    }
    const verdict = detectOdown(shard, input.observations, input.now, input.voters, seen.at);
    if (!verdict.odown && !emptyRestart) {
      if (this.detectedAt.delete(shard.name)) {
        this.forgetReports(shard.name);
        this.event('-odown', shard.name, {});
      }
      this.noCandidateLogged.delete(shard.name);
      return;
    }
    if (!this.detectedAt.has(shard.name)) {
      this.detectedAt.set(shard.name, { mono: input.now, wall: input.wallNow });
      this.forgetReports(shard.name);
      this.event('+odown', shard.name, {
        reason: restartEvidence !== null ? 'master restarted empty' : verdict.reason,
        observers: verdict.sdownObservers,
        ...(restartEvidence !== null ? { evidence: restartEvidence } : {}),
      });
    }
    if (input.topology.paused || shard.paused || input.wallNow < shard.cooldownUntil) return;
    // A master in maintenance may be down on purpose; one that came back empty is still failed
    // over, since its replicas would resync to nothing.
    if (!emptyRestart && shard.master !== null && shard.maintenance?.includes(shard.master)) return;
    const report = this.report(input, shard, shard.master);
    const detected = this.detectedAt.get(shard.name) as { mono: number; wall: number };
    const judged = this.withRegainedHistory(input, shard);
    if (!report.chosen) {
      const kept = emptyRestart
        ? keepRestartedMaster(
            judged,
            this.views(input, shard),
            this.emptyRestart(input, shard),
            report,
            input.wallNow,
            detected.wall,
          )
        : null;
      if (kept) {
        this.propose(input, shard.name, kept);
        return;
      }
      const again = emptyRestart
        ? null
        : reinstateInPlace(shard, this.views(input, shard), report, input.wallNow, detected.wall);
      if (again) {
        this.propose(input, shard.name, {
          ...again,
          resynced: resyncedReplicas(judged, this.views(input, shard), null),
        });
        return;
      }
      if (!this.noCandidateLogged.has(shard.name)) {
        this.noCandidateLogged.add(shard.name);
        this.event('-failover-abort-no-good-slave', shard.name, { report });
      }
      return;
    }
    this.startFailover(
      input,
      shard,
      report,
      detected.wall,
      resyncedReplicas(
        judged,
        this.views(input, shard),
        emptyRestart ? this.emptyRestart(input, shard) : null,
      ),
    );
    if (this.bugs.replicaofBeforeCommit) {
      this.redis(input, shard.name, nodeOf(shard, report.chosen) as RedisNodeSpec, { kind: 'promote' }, 0);
    }
  }

  /** Proposes an automatic failover of the shard's master to the report's chosen node. */
  private startFailover(
    input: EngineInput,
    shard: ShardState,
    report: CandidateReport,
    detectedAt: number,
    resynced: string[],
    adoptHistory = false,
  ): void {
    this.propose(input, shard.name, {
      type: 'failoverStarted',
      shard: shard.name,
      epoch: shard.epoch + 1,
      kind: 'failover',
      from: shard.master,
      to: report.chosen as string,
      report,
      at: input.wallNow,
      detectedAt,
      resynced,
      ...(adoptHistory ? { adoptHistory: true } : {}),
    });
  }

  /** FailoverStarted is committed: promote (switchover.ts, promotion.ts), then commit Promoted. */
  private promote(input: EngineInput, shard: ShardState, f: FailoverInFlight): void {
    const to = nodeOf(shard, f.to) as RedisNodeSpec;
    const from = nodeOf(shard, f.from);
    if (f.kind === 'switchover' && from) this.switchovers.promoteStep(input, shard, f, from, to);
    else this.promotion.step(input, shard, f, to);
  }

  /** Promoted is committed (clients know): repoint every other reachable node, then end. */
  private repoint(input: EngineInput, shard: ShardState): void {
    const f = shard.failover as FailoverInFlight;
    const master = nodeOf(shard, f.to) as RedisNodeSpec;
    let rp = this.repointing.get(shard.name);
    if (!rp || rp.epoch !== f.epoch) {
      this.repointing.set(
        shard.name,
        (rp = { epoch: f.epoch, phase: new Map(), done: new Set(), firstDoneAt: null }),
      );
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
        rp.firstDoneAt ??= input.wallNow;
        this.retries.settled(`${shard.name}/${node.id}`);
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
    // A node that failed its REPLICAOF waits out its retry delay without holding a
    // parallelSyncs slot, and keeps the failover from ending until it follows (or the timeout).
    let backingOff = 0;
    for (const node of waiting) {
      if (busy >= shard.settings.parallelSyncs) break;
      const v = views.get(node.id) as RedisObservation;
      // The next step of the failover, not a retry: no gap after this node's last operation.
      const sent = this.replicaof(input, shard, node, master, node.id === f.from, '+slave-reconf-sent', v, 0);
      if (sent === 'backing-off') {
        backingOff++;
        continue;
      }
      if (sent === 'sent') rp.phase.set(node.id, 'sent');
      busy++;
    }
    const timedOut = f.promotedAt !== null && input.wallNow - f.promotedAt > shard.settings.failoverTimeoutMs;
    if ((busy > 0 || backingOff > 0) && !timedOut) return;
    if (!this.switchovers.releasePausedMaster(input, shard, f)) return;
    this.propose(input, shard.name, {
      type: 'failoverEnded',
      shard: shard.name,
      epoch: f.epoch,
      repointed: [...rp.done],
      timeline: timelineOf(f, input.wallNow, rp.firstDoneAt),
      at: input.wallNow,
    });
  }

  // ---- REPLICAOF ----------------------------------------------------------------------------

  /**
   * Points `node` at `master` unless its retry delay runs (repoint-retry.ts). `event` (a
   * Sentinel event, or null) is told once the node accepts the command.
   */
  private replicaof(
    input: EngineInput,
    shard: ShardState,
    node: RedisNodeSpec,
    master: RedisNodeSpec,
    killClients: boolean,
    event: string | null,
    view: RedisObservation,
    minGapMs = OP_RETRY_MS,
  ): 'sent' | 'busy' | 'backing-off' {
    const key = `${shard.name}/${node.id}`;
    const at = replicationAddressOf(master);
    const target = `${at.host}:${at.port}`;
    const look = this.lookOf(input, shard, node, view);
    if (!this.retries.due(key, target, look, input.now)) return 'backing-off';
    const op: RedisOp = { kind: 'replicaof', host: at.host, port: at.port, killClients };
    if (!this.redis(input, shard.name, node, op, minGapMs)) return 'busy';
    this.retries.sent(key, target, look);
    this.replicaofSent.set(key, { opId: this.nextOpId - 1, shard: shard.name, node, event });
    return 'sent';
  }

  /** The nodes' answers to REPLICAOF: the retry delays, and the events of accepted commands. */
  private replicaofAnswered(input: EngineInput): void {
    const answers = this.replicaofAnswers;
    this.replicaofAnswers = [];
    for (const { key, opId, ok } of answers) {
      const sent = this.replicaofSent.get(key);
      if (sent?.opId !== opId) continue;
      this.replicaofSent.delete(key);
      const outcome = this.retries.outcome(key, ok, input.now);
      if (outcome?.ok && outcome.announce && sent.event !== null) {
        const { node } = sent;
        this.event(sent.event, sent.shard, { node: node.id, host: node.host, port: node.port });
      }
    }
  }

  /** What decides whether a failed REPLICAOF is retried at once: see NodeLook. */
  private lookOf(
    input: EngineInput,
    shard: ShardState,
    node: RedisNodeSpec,
    view: RedisObservation,
  ): NodeLook {
    // This leader's own probe, not the best report: its commands go over its own links, so a
    // node it reaches again is tried at once even when other observers saw no change.
    const own = input.observations
      .fresh(shard.name, node.id, input.now, observationMaxAgeMs(shard.settings))
      .find((s) => s.observer === this.selfId);
    return {
      reachable: own?.obs.reachable === true,
      role: view.role,
      masterHost: view.masterHost,
      masterPort: view.masterPort,
      runId: view.runId,
    };
  }

  // ---- helpers ------------------------------------------------------------------------------

  private report(input: EngineInput, shard: ShardState, from: string | null): CandidateReport {
    const memoKey = `${shard.name}/${from}`;
    const known = this.memo?.reports.get(memoKey);
    if (known) return known;
    const views = this.views(input, shard);
    const maxAge = observationMaxAgeMs(shard.settings);
    const masterSightings = from ? input.observations.fresh(shard.name, from, input.now, 10 * maxAge) : [];
    const offsets = masterSightings.map((s) => s.obs.offset).filter((o): o is number => o !== null && o >= 0);
    // Also the highest offset seen of the master's current run (watchSeen): the latest reports
    // may carry none (a probe that reconnected to a hung master, or through a proxy, has no ROLE
    // yet), and lag measured against the best replica instead would void maxLagBytes.
    const seen = from ? this.lastSeen.get(`${shard.name}/${from}`) : undefined;
    if (seen) offsets.push(seen.offset);
    // The master went silent downAfterMs before this leader found it objectively down.
    const detected = from === shard.master ? this.detectedAt.get(shard.name) : undefined;
    const masterDownMs = detected ? input.now - detected.mono + shard.settings.downAfterMs : 0;
    const report = chooseCandidate({
      shard: this.withRegainedHistory(input, shard),
      from,
      views,
      masterOffset: offsets.length > 0 ? Math.max(...offsets) : null,
      maxLinkDownMs: linkDownLimitMs(shard.settings),
      masterDownMs,
      avoid: this.avoiding(input, shard),
      skipReplIdCheck: this.bugs.skipReplIdCheck,
    });
    this.memo?.reports.set(memoKey, report);
    return report;
  }

  /** The shard without the lostHistory entries that fresh reports show back on the history. */
  private withRegainedHistory(input: EngineInput, shard: ShardState): ShardState {
    const maxAge = observationMaxAgeMs(shard.settings);
    return withRegainedHistory(
      shard,
      (id) => input.observations.fresh(shard.name, id, input.now, maxAge),
      input.now,
      input.wallNow,
    );
  }

  /** Drops this update's candidate reports of a shard: what they were chosen from (avoided candidates, the master's down time) changed. */
  private forgetReports(shard: string): void {
    const reports = this.memo?.reports;
    if (!reports) return;
    for (const k of reports.keys()) if (k.startsWith(`${shard}/`)) reports.delete(k);
  }

  /** The candidates passed over now (AVOID_DOWN_FACTOR x downAfterMs after the leader failed them). */
  private avoiding(input: EngineInput, shard: ShardState): Map<string, string> {
    const out = new Map<string, string>();
    const per = this.avoided.get(shard.name);
    if (!per) return out;
    const forMs = AVOID_DOWN_FACTOR * shard.settings.downAfterMs;
    for (const [node, a] of per) {
      if (input.now - a.at < forMs) out.set(node, a.reason);
      else per.delete(node);
    }
    return out;
  }

  private views(input: EngineInput, shard: ShardState): Map<string, RedisObservation | null> {
    const known = this.memo?.views.get(shard.name);
    if (known) return known;
    const maxAge = observationMaxAgeMs(shard.settings);
    const views = new Map(
      shard.nodes.map((n) => [
        n.id,
        input.observations.best(shard.name, n.id, input.now, maxAge, this.selfId),
      ]),
    );
    this.memo?.views.set(shard.name, views);
    return views;
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

function timelineOf(f: FailoverInFlight, wallNow: number, firstRepointedAt: number | null): TimelineMs {
  const t0 = f.detectedAt;
  return {
    ...(firstRepointedAt !== null ? { firstRepointed: firstRepointedAt - t0 } : {}),
    detected: 0,
    committed: f.startedAt - t0,
    promoted: f.promotedAt !== null ? f.promotedAt - t0 : undefined,
    published: f.promotedAt !== null ? f.promotedAt - t0 : undefined,
    repointed: wallNow - t0,
    ended: wallNow - t0,
  };
}
