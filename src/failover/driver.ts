// The shell around the failover engine on every node: it feeds the engine the applied
// topology, the observation table and the results of Redis operations, and carries out what the
// engine asks (proposals through Raft, Redis commands). Split by job (issue 12 item 5): the
// observations move in observation-sharing.ts, the Sentinel events go out through
// discovery/sentinel-publisher.ts, and what the shell needs from the node is declared in
// ports.ts; this file is the engine loop.
import { SentinelPublisher } from '../discovery/sentinel-publisher.js';
import type { NodeId } from '../raft/types.js';
import type { Cancel } from '../runtime/ports.js';
import {
  FailoverEngine,
  type EngineAction,
  type EngineInput,
  type RedisOpResult,
  type SwitchoverResult,
} from './engine.js';
import { ObservationSharing } from './observation-sharing.js';
import { OpFailureLog } from './op-failure-log.js';
import type { DriverDeps, RedisTarget } from './ports.js';
import { failed as failedSwitchover } from './switchover.js';
import type { Topology, TopologyEvent } from './topology.js';
import type {
  CandidateReport,
  RedisNodeSpec,
  RedisObservation,
  ShardState,
  TopologyCommand,
} from './types.js';

/** How often the engine loop runs without a cause (observations and results also queue a run). */
const UPDATE_MS = 100;
/**
 * Every FULL_SWEEP_LOOPS-th run of the loop looks at every shard; the others only at the shards
 * with news (a report that changed in meaning, an applied entry, a request) or work (a failover
 * in the log, no master yet, or an engine action within HOT_MS). At 1000 shards a sweep of all of
 * them every 100 ms, and again on every report that arrived, was most of the leader's CPU and
 * slowed the one shard that failed over (issue 12). What waits on time alone (a cooldown, a
 * grace period, a retry) is seen at the next sweep: at most FULL_SWEEP_LOOPS x UPDATE_MS late.
 */
const FULL_SWEEP_LOOPS = 5;
const HOT_MS = 5000;

export class FailoverDriver {
  private readonly engine: FailoverEngine;
  private readonly sharing: ObservationSharing;
  private readonly publisher: SentinelPublisher;
  private readonly deps: DriverDeps;
  private readonly timers: Cancel[] = [];
  private readonly switchoverWaiters = new Map<number, (r: SwitchoverResult) => void>();
  private readonly failureLog = new OpFailureLog();
  private readonly targetsByShard = new Map<string, { state: ShardState; targets: RedisTarget[] }>();
  /** Counts the changes of targets(): a reader compares it instead of the targets themselves. */
  targetsVersion = 0;
  private nextRequestId = 1;
  private bootstrapProposed = false;
  private warnedConfigDiff = false;
  private updateQueued = false;
  private stopped = false;
  /** Shards with news since the last run of the loop. */
  private readonly dirty = new Set<string>();
  /** Shard -> until when (monotonic ms) every run looks at it: the engine acted on it lately. */
  private readonly hotUntil = new Map<string, number>();
  private loops = 0;
  private sweepDue = true;
  /** The term this node leads in (no-op committed), or null: the engine's memory belongs to it. */
  private leadingTerm: number | null = null;

  constructor(deps: DriverDeps) {
    this.deps = deps;
    this.engine = new FailoverEngine(deps.selfId, deps.bugs);
    this.sharing = new ObservationSharing({
      ...deps,
      recorded: (shards) => {
        if (shards.size === 0) return;
        for (const s of shards) this.dirty.add(s);
        this.queueUpdate();
      },
    });
    this.publisher = new SentinelPublisher({
      logger: deps.logger,
      publish: deps.publish,
      topology: deps.topology,
      clock: deps.clock,
      wallNow: () => (deps.wallNow ?? Date.now)(),
    });
  }

  start(): void {
    this.sharing.listen();
    this.deps.onTopology((events) => this.topologyApplied(events));
    this.refreshTargets();
    this.timers.push(
      this.deps.clock.every(UPDATE_MS, () => {
        if (++this.loops % FULL_SWEEP_LOOPS === 0) this.sweepDue = true;
        this.update();
      }),
    );
    this.timers.push(this.sharing.startDigests());
  }

  stop(): void {
    this.stopped = true;
    this.sharing.stop();
    for (const cancel of this.timers) cancel();
    this.publisher.stop();
    for (const done of this.switchoverWaiters.values()) {
      done(failedSwitchover('', 'stopping', 'the node is stopping'));
    }
    this.switchoverWaiters.clear();
  }

  /** A planned switchover (docs/design.md 4.7); the leader only. Resolves when it ended or failed. */
  switchover(shard: string, to: string | null, timeoutMs: number): Promise<SwitchoverResult> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.switchoverWaiters.set(requestId, resolve);
      this.engine.requestSwitchover(requestId, shard, to, this.deps.clock.now(), timeoutMs);
      this.dirty.add(shard);
      this.queueUpdate();
    });
  }

  /** An operator's failover to a named node (docs/design.md 5.2 POST /v1/shards/{name}/failover). */
  failover(shard: string, to: string, allowDataLoss: boolean, timeoutMs: number): Promise<SwitchoverResult> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.switchoverWaiters.set(requestId, resolve);
      this.engine.requestSwitchover(requestId, shard, to, this.deps.clock.now(), timeoutMs, {
        allowDataLoss,
      });
      this.dirty.add(shard);
      this.queueUpdate();
    });
  }

  candidates(shard: string): CandidateReport | null {
    return this.engine.candidates(this.input(), shard);
  }

  /** The best fresh report of a Redis node (observation-sharing.ts). */
  observationsOf(shard: string, node: string): RedisObservation | null {
    return this.sharing.observationsOf(shard, node);
  }

  /** Every raftinel node's fresh report of a Redis node; complete on the leader only. */
  sightings(shard: string, node: string): { observer: NodeId; sdown: boolean; unsure: boolean }[] {
    return this.sharing.sightings(shard, node);
  }

  /** This node's own latest view of a Redis node (health routes answer from it). */
  ownView(shard: string, node: string): RedisObservation | null {
    return this.sharing.ownView(shard, node);
  }

  // ---- the loop -----------------------------------------------------------------------------

  private queueUpdate(): void {
    if (this.updateQueued || this.stopped) return;
    this.updateQueued = true;
    this.deps.clock.defer(() => {
      this.updateQueued = false;
      this.update();
    });
  }

  /** The term in which this node leads and has committed its no-op, or null. */
  private leaderTerm(): number | null {
    // From the core's fields: this runs every UPDATE_MS, and status() builds a whole object.
    const core = this.deps.runtime.core;
    return core.role === 'leader' && core.committedInTerm() ? core.term : null;
  }

  private input(): EngineInput {
    const core = this.deps.runtime.core;
    // Leadership is a lease, not a fence (research: etcd locks, Jepsen): a deposed leader that
    // does not know it yet must not touch Redis, so the engine acts only under a valid lease
    // (timed in ms on the monotonic clock: a process that stalled finds it run out when it wakes).
    // It acts on the applied topology: only once that holds this term's first entry, so that
    // nothing a previous leader committed (a failover it started) is unknown to it (seed 9422193:
    // a new leader whose commit ran ahead of its applied state repointed a node toward the master
    // of the epoch before the one in flight).
    const leading = this.leaderTerm() !== null && core.appliedInTerm() && this.deps.runtime.leaseValid();
    return {
      now: this.deps.clock.now(),
      wallNow: (this.deps.wallNow ?? Date.now)(),
      term: core.term,
      leading,
      voters: core.conf.voters.length,
      topology: this.deps.topology(),
      observations: this.sharing.table,
    };
  }

  private update(): void {
    if (this.stopped) return;
    const term = this.leaderTerm();
    // The engine's memory (operations in flight, a switchover's pause) belongs to one term of
    // leadership: it is dropped when that ends, never when the lease merely lapses for a moment
    // (then the engine is simply not asked to act until the lease is back).
    if (this.leadingTerm !== null && term !== this.leadingTerm) this.engine.reset();
    if (term !== null && term !== this.leadingTerm) {
      this.deps.logger.info({ event: '+elected-leader', term }, 'failover duties: this node leads');
      this.sweepDue = true;
    }
    this.leadingTerm = term;
    const input = this.input();
    let shards: Set<string> | null = null;
    if (input.leading) {
      // The sweep and the news are owed until the engine acts: a lapsed lease must not swallow them.
      shards = this.sweepDue ? null : this.shardsToLook(input);
      this.sweepDue = false;
      this.dirty.clear();
      const changed = this.sharing.recordOwn(input.now, shards);
      if (shards !== null) for (const s of changed) shards.add(s);
      this.maybeBootstrap(input.topology);
    }
    const actions = this.engine.update(input, shards);
    for (const action of actions) this.heat(action, input.now);
    // A hand-over gives the lease up (TimeoutNow): everything else this run decided goes out
    // first, under the lease it was decided with (simulator seed 9518252).
    for (const action of actions) if (action.type !== 'hand-over') this.execute(action);
    for (const action of actions) if (action.type === 'hand-over') this.execute(action);
  }

  /** The shards this run looks at when it is no sweep: news, a failover or no master, recent work. */
  private shardsToLook(input: EngineInput): Set<string> {
    const out = new Set(this.dirty);
    for (const [shard, until] of this.hotUntil) {
      if (until > input.now) out.add(shard);
      else this.hotUntil.delete(shard);
    }
    for (const shard of Object.values(input.topology.shards))
      if (shard.failover !== null || shard.master === null) out.add(shard.name);
    return out;
  }

  private heat(action: EngineAction, now: number): void {
    let shard: string | null = null;
    if (action.type === 'propose') {
      const c = action.command;
      if ('shard' in c && c.shard !== null) shard = typeof c.shard === 'string' ? c.shard : c.shard.name;
    } else if (action.type !== 'switchover-done') {
      shard = action.shard;
    }
    if (shard !== null) this.hotUntil.set(shard, now + HOT_MS);
  }

  private execute(action: EngineAction): void {
    switch (action.type) {
      case 'propose':
        this.propose(action.command);
        return;
      case 'redis': {
        const target = this.targetFor(action.shard, action.node);
        this.deps.logger.info(
          { event: 'redis-op', shard: action.shard, node: action.node.id, op: action.op.kind },
          `${action.op.kind} on ${action.node.id}`,
        );
        this.deps.admin.execute(target, action.op, (result) => {
          if (this.deps.bugs?.publishBeforePromoted && action.op.kind === 'promote' && result.ok)
            this.publisher.switchEarly(action.shard, action.node);
          this.logOutcome(action, result);
          this.engine.redisDone(action.opId, result);
          this.queueUpdate();
        });
        return;
      }
      case 'event':
        this.publisher.engineEvent(action);
        return;
      case 'hand-over':
        this.handOver(action);
        return;
      case 'switchover-done': {
        const done = this.switchoverWaiters.get(action.requestId);
        this.switchoverWaiters.delete(action.requestId);
        done?.(action.result);
        return;
      }
    }
  }

  /** Moves leadership to the first voter among the observers that reach a node this leader cannot. */
  private handOver(action: Extract<EngineAction, { type: 'hand-over' }>): void {
    const status = this.deps.runtime.status();
    const to = action.to.find((id) => id !== this.deps.selfId && status.conf.voters.includes(id));
    if (to === undefined) return;
    this.deps.logger.warn(
      { event: 'leadership-transfer', shard: action.shard, to, reason: action.reason },
      `moving leadership to ${to}: ${action.reason}`,
    );
    try {
      this.deps.runtime.transferLeadership(to);
    } catch {
      // Leadership ended meanwhile: the next leader decides for itself.
    }
  }

  /** A failed operation, at a rate limit (op-failure-log.ts), and the first success after failures. */
  private logOutcome(action: Extract<EngineAction, { type: 'redis' }>, result: RedisOpResult): void {
    const { shard, node, op } = action;
    const where = { shard, node: node.id, host: node.host, port: node.port, op: op.kind };
    const key = `${shard}/${node.id}/${op.kind}`;
    if (result.ok) {
      const failures = this.failureLog.succeeded(key);
      if (failures > 0)
        this.deps.logger.info(
          { event: 'redis-op-recovered', ...where, failures },
          `redis operation succeeded after ${failures} failures`,
        );
      return;
    }
    const error = result.error ?? 'unknown error';
    const verdict = this.failureLog.failed(key, error, this.deps.clock.now());
    if (!verdict.log) return;
    this.deps.logger.warn(
      { event: 'redis-op-failed', ...where, error, heldBack: verdict.heldBack },
      verdict.heldBack > 0
        ? `redis operation failed (${verdict.heldBack} more failures like it since the last line)`
        : 'redis operation failed',
    );
  }

  private propose(command: TopologyCommand, failed?: () => void): void {
    const data = JSON.stringify({ type: 'topology', command });
    this.deps.runtime.propose(data, (err) => {
      if (err) {
        this.deps.logger.debug(
          { event: 'proposal-failed', command: command.type, code: err.code },
          err.message,
        );
        failed?.();
      }
      this.queueUpdate();
    });
  }

  /** The first leader of an empty log proposes the shards of its own config (docs/design.md 1). */
  private maybeBootstrap(topo: Topology): void {
    const configured = this.deps.configuredShards;
    if (Object.keys(topo.shards).length === 0) {
      if (this.bootstrapProposed || configured.length === 0) return;
      this.bootstrapProposed = true;
      // A proposal lost with a leadership change is proposed again: a node that is leader again
      // (or still) would otherwise leave the cluster without shards for good.
      this.propose({ type: 'bootstrapShards', shards: configured }, () => {
        this.bootstrapProposed = false;
      });
      return;
    }
    if (this.warnedConfigDiff) return;
    this.warnedConfigDiff = true;
    const inLog = new Set(Object.keys(topo.shards));
    const inConfig = new Set(configured.map((s) => s.name));
    const onlyConfig = [...inConfig].filter((n) => !inLog.has(n));
    const onlyLog = [...inLog].filter((n) => !inConfig.has(n));
    if (onlyConfig.length || onlyLog.length) {
      this.deps.logger.warn(
        { event: 'config-differs-from-log', onlyInConfig: onlyConfig, onlyInLog: onlyLog },
        'the config lists other shards than the Raft log; following the log',
      );
    }
  }

  // ---- topology applied (every node) --------------------------------------------------------

  private topologyApplied(events: readonly TopologyEvent[]): void {
    this.refreshTargets();
    for (const e of events) {
      this.dirty.add(e.shard);
      this.publisher.applied(e);
      if (e.type === 'failover-ended') this.engine.switchoverApplied(e.entry, this.deps.clock.now());
    }
    if (events.length > 0) this.queueUpdate();
  }

  /**
   * The prober's targets follow the applied topology. A shard's targets are rebuilt only when its
   * state object changed (an applied command replaces the shards it changes and no other), and
   * the prober skips the targets it already has: at 1000 shards, rebuilding and re-checking all
   * of them after every applied entry was most of a commit's cost (issue 12).
   */
  private refreshTargets(): void {
    const shards = this.deps.topology().shards;
    let changed = false;
    for (const name of this.targetsByShard.keys()) {
      if (Object.hasOwn(shards, name)) continue;
      this.targetsByShard.delete(name);
      changed = true;
    }
    for (const shard of Object.values(shards)) {
      if (this.targetsByShard.get(shard.name)?.state === shard) continue;
      const targets = shard.nodes.map((node) => this.targetFor(shard.name, node));
      this.targetsByShard.set(shard.name, { state: shard, targets });
      this.dirty.add(shard.name);
      changed = true;
    }
    if (!changed) return;
    this.targetsVersion++;
    this.deps.prober.setTargets(this.targets());
  }

  /** Every Redis node's target, as the prober has them (the same objects while unchanged). */
  targets(): RedisTarget[] {
    return [...this.targetsByShard.values()].flatMap((s) => s.targets);
  }

  /** How to reach a Redis node of a shard (null when the shard or node is unknown). */
  targetOf(shardName: string, nodeId: string): RedisTarget | null {
    const node = this.deps.topology().shards[shardName]?.nodes.find((n) => n.id === nodeId);
    return node ? this.targetFor(shardName, node) : null;
  }

  private targetFor(shardName: string, node: RedisNodeSpec): RedisTarget {
    const shard = this.deps.topology().shards[shardName];
    const { auth, tls, renameCommands } = this.deps.credentials(shardName);
    return {
      shard: shardName,
      node,
      settings: shard.settings,
      auth,
      tls,
      isMaster: shard.master === node.id,
      renameCommands: renameCommands ?? {},
    };
  }
}
