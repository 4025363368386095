// The shell around the failover engine on every node: it feeds the engine the applied
// topology, the observation table and the results of Redis operations, and carries out what the
// engine asks (proposals through Raft, Redis commands). Observations flow from every node's
// prober to the leader over the peer transport, on change and as a periodic digest.
import type { RaftinelConfig } from '../config/index.js';
import { readSecretFile } from '../config/index.js';
import type { NodeId } from '../raft/types.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Cancel, Clock } from '../runtime/ports.js';
import type { Logger } from '../util/log.js';
import type { FailoverBugs } from './bugs.js';
import {
  FailoverEngine,
  type EngineAction,
  type EngineInput,
  type RedisOp,
  type RedisOpResult,
  type SwitchoverResult,
} from './engine.js';
import { ObservationTable } from './observations.js';
import { SWITCH_MASTER_DELAY_MS, SwitchAnnouncer, type SwitchMaster } from './switch-announcer.js';
import { OpFailureLog } from './op-failure-log.js';
import { failed as failedSwitchover } from './switchover.js';
import type { Topology, TopologyEvent } from './topology.js';
import type {
  CandidateReport,
  RedisNodeSpec,
  RedisObservation,
  RunSeen,
  ShardSettings,
  ShardSpec,
  TopologyCommand,
} from './types.js';

/** One Redis node as the prober and the admin connection see it (auth and TLS from local config). */
export interface RedisTarget {
  readonly shard: string;
  readonly node: RedisNodeSpec;
  readonly settings: ShardSettings;
  readonly auth: { readonly username: string | null; readonly password: string } | null;
  readonly tls: { readonly ca?: string; readonly cert?: string; readonly key?: string } | null;
  readonly isMaster: boolean;
  /** shards[].renameCommands of this node's config. */
  readonly renameCommands?: Readonly<Partial<Record<string, string>>>;
}

export interface ProbeSource {
  setTargets(targets: RedisTarget[]): void;
  observations(): RedisObservation[];
  onChange(cb: (changed: RedisObservation[]) => void): void;
}

/** Runs Redis operations; callback style so that the simulator can answer from its own events. */
export interface RedisExecutor {
  execute(target: RedisTarget, op: RedisOp, done: (result: RedisOpResult) => void): void;
}

/** The peer transport's envelope side, as the driver needs it. */
export interface EnvelopeChannel {
  sendEnvelope(to: NodeId, kind: string, body: unknown): boolean;
  onEnvelope(kind: string, handler: (from: NodeId, body: unknown) => void): void;
}

/** How this node reaches a shard's Redis nodes: from its own config, never from the log. */
export interface RedisCredentials {
  readonly auth: RedisTarget['auth'];
  readonly tls: RedisTarget['tls'];
  readonly renameCommands?: RedisTarget['renameCommands'];
}

export interface DriverDeps {
  readonly selfId: NodeId;
  /** The shards of this node's config: proposed by the first leader of an empty log. */
  readonly configuredShards: readonly ShardSpec[];
  readonly credentials: (shard: string) => RedisCredentials;
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  readonly onTopology: (listener: (events: readonly TopologyEvent[], index: number) => void) => void;
  readonly prober: ProbeSource;
  readonly admin: RedisExecutor;
  readonly channel: EnvelopeChannel;
  readonly logger: Logger;
  /** Sentinel-style events (name, shard, message) for the RESP pub/sub and the logs. */
  readonly publish?: (name: string, shard: string, message: string) => void;
  /** Monotonic time and scheduling (the simulator's virtual clock, or the system clock). */
  readonly clock: Clock;
  /** Wall-clock ms, only for what is committed and shown (history timestamps, cooldown). */
  readonly wallNow?: () => number;
  /** Test-only switches that re-create known bugs (bugs.ts); the simulator's teeth. */
  readonly bugs?: FailoverBugs;
}

const UPDATE_MS = 25;
const DIGEST_MS = 500;

export class FailoverDriver {
  private readonly engine: FailoverEngine;
  private readonly switches: SwitchAnnouncer;
  private readonly table = new ObservationTable();
  private readonly deps: DriverDeps;
  private readonly timers: Cancel[] = [];
  private readonly switchoverWaiters = new Map<number, (r: SwitchoverResult) => void>();
  private readonly failureLog = new OpFailureLog();
  private nextRequestId = 1;
  private bootstrapProposed = false;
  private warnedConfigDiff = false;
  private updateQueued = false;
  private stopped = false;
  /** The term this node leads in (no-op committed), or null: the engine's memory belongs to it. */
  private leadingTerm: number | null = null;
  /** "term/leader" of the last leader sent a full digest on its arrival. */
  private digestedLeader: string | null = null;
  /** "term/self" of the last term this node started leading: its observation table restarts then. */
  private ledTerm: string | null = null;

  constructor(deps: DriverDeps) {
    this.deps = deps;
    this.engine = new FailoverEngine(deps.selfId, deps.bugs);
    this.switches = new SwitchAnnouncer({
      clock: deps.clock,
      wallNow: () => (deps.wallNow ?? Date.now)(),
      delayMs: SWITCH_MASTER_DELAY_MS,
      current: (shard, epoch, master) => {
        const s = deps.topology().shards[shard];
        return s?.epoch === epoch && s.master === master;
      },
      announce: (e) => this.announceSwitch(e),
    });
  }

  /** `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>`, logged and published. */
  private announceSwitch(e: SwitchMaster): void {
    if (this.stopped) return;
    const msg = `${e.shard} ${e.from?.host ?? '?'} ${e.from?.port ?? 0} ${e.to.host} ${e.to.port}`;
    this.deps.logger.info(
      { event: '+switch-master', shard: e.shard, epoch: e.epoch, to: e.to.id },
      `+switch-master ${msg}`,
    );
    this.deps.publish?.('+switch-master', e.shard, msg);
  }

  start(): void {
    const { prober, channel, onTopology } = this.deps;
    prober.onChange((changed) => this.shareObservations(changed));
    channel.onEnvelope('obs', (from, body) => this.receiveObservations(from, body));
    this.deps.runtime.onSoftState((s) => this.leaderKnown(s.leader, s.term));
    onTopology((events) => this.topologyApplied(events));
    this.refreshTargets();
    const clock = this.deps.clock;
    this.timers.push(clock.every(UPDATE_MS, () => this.update()));
    this.timers.push(clock.every(DIGEST_MS, () => this.shareObservations(this.deps.prober.observations())));
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    this.switches.stop();
    for (const done of this.switchoverWaiters.values()) {
      done(failedSwitchover('', 'stopping', 'the node is stopping'));
    }
    this.switchoverWaiters.clear();
  }

  /** A planned switchover (DESIGN 4.7); the leader only. Resolves when it ended or failed. */
  switchover(shard: string, to: string | null, timeoutMs: number): Promise<SwitchoverResult> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.switchoverWaiters.set(requestId, resolve);
      this.engine.requestSwitchover(requestId, shard, to, this.deps.clock.now(), timeoutMs);
      this.queueUpdate();
    });
  }

  /** An operator's failover to a named node (DESIGN 5.2 POST /v1/shards/{name}/failover). */
  failover(shard: string, to: string, allowDataLoss: boolean, timeoutMs: number): Promise<SwitchoverResult> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.switchoverWaiters.set(requestId, resolve);
      this.engine.requestSwitchover(requestId, shard, to, this.deps.clock.now(), timeoutMs, {
        allowDataLoss,
      });
      this.queueUpdate();
    });
  }

  candidates(shard: string): CandidateReport | null {
    return this.engine.candidates(this.input(), shard);
  }

  observationsOf(shard: string, node: string): RedisObservation | null {
    const settings = this.deps.topology().shards[shard]?.settings;
    const maxAge = 2 * (settings?.downAfterMs ?? 5000);
    return (
      this.table.best(shard, node, this.deps.clock.now(), maxAge, this.deps.selfId) ??
      this.ownView(shard, node)
    );
  }

  /**
   * What each raftinel node last reported of a Redis node, when younger than 2 × downAfterMs
   * (the detector's freshness rule). Complete on the leader only: followers send their reports
   * to the leader, so elsewhere the table holds at most what this node heard while it led.
   */
  sightings(shard: string, node: string): { observer: NodeId; sdown: boolean; unsure: boolean }[] {
    const settings = this.deps.topology().shards[shard]?.settings;
    const maxAge = 2 * (settings?.downAfterMs ?? 5000);
    return this.table
      .fresh(shard, node, this.deps.clock.now(), maxAge)
      .map((s) => ({ observer: s.observer, sdown: s.obs.sdown, unsure: s.obs.unsure }));
  }

  /** This node's own latest view of a Redis node (health routes answer from it). */
  ownView(shard: string, node: string): RedisObservation | null {
    return this.deps.prober.observations().find((o) => o.shard === shard && o.node === node) ?? null;
  }

  // ---- observations -------------------------------------------------------------------------

  private shareObservations(observations: RedisObservation[]): void {
    if (this.stopped || observations.length === 0) return;
    const s = this.deps.runtime.core;
    const self = this.deps.selfId;
    if (s.role === 'leader') {
      this.table.record(self, observations, this.deps.clock.now());
      this.queueUpdate();
    } else if (s.leader !== null) {
      this.deps.channel.sendEnvelope(s.leader, 'obs', { observations, term: s.term });
    }
  }

  /**
   * A new leader has nothing from this node until its next change or digest, and the changes
   * sent meanwhile went to the old leader (or nowhere): after the loss of the leader, the
   * quorum of reports a failover needs would wait up to a digest interval. So a follower sends
   * everything it sees as soon as it learns of a new leader (or of a new term of the same one,
   * which may have restarted with an empty table).
   */
  private leaderKnown(leader: NodeId | null, term: number): void {
    if (leader === null) return;
    const key = `${term}/${leader}`;
    if (leader === this.deps.selfId) {
      this.startLeading(key);
      return;
    }
    if (key === this.digestedLeader) return;
    this.digestedLeader = key;
    // Not from inside the Raft runtime's step: on the clock, at once.
    this.deps.clock.defer(() => this.shareObservations(this.deps.prober.observations()));
  }

  /**
   * A report is taken as current for 2 x downAfterMs because its observer tells the leader of
   * every change; that holds only for the term it was sent in. Reports this node got while it
   * led an earlier term are stale as soon as it lost that term: their observers told the
   * changes since to another leader, or to none. So a new term of leadership starts from this
   * node's own view alone, and the followers' digests (sent on learning of the new leader)
   * refill the table within a round trip. A node that kept the reports of its earlier term once
   * promoted a replica on a history 4.5 s out of date (sim seed 7009644).
   */
  private startLeading(key: string): void {
    if (key === this.ledTerm) return;
    this.ledTerm = key;
    this.table.keepOnly(this.deps.selfId);
  }

  private receiveObservations(from: NodeId, body: unknown): void {
    // Only members of the committed configuration vouch for a Redis node (the transport drops
    // strangers already; a node removed since keeps no say either).
    const conf = this.deps.runtime.status().conf;
    if (!conf.voters.includes(from) && !conf.learners.includes(from)) return;
    const { observations: list, term } = (body ?? {}) as { observations?: unknown; term?: unknown };
    if (!Array.isArray(list) || list.length > 10_000) return;
    // Sent to this node as the leader of another term (delayed in the network, or sent before
    // this node lost and won again): its observer has told the changes since elsewhere. A node
    // of an older version names no term.
    if (typeof term === 'number' && term !== this.deps.runtime.core.term) return;
    // A node of an older version sends no replId2 and no restartedFrom: none known.
    const valid = list
      .filter(isObservation)
      .map((o) => ({ ...o, replId2: o.replId2 ?? null, restartedFrom: runSeenOf(o.restartedFrom) }));
    this.table.record(from, valid, this.deps.clock.now());
    this.queueUpdate();
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
    return core.role === 'leader' && core.termAt(core.commitIndex()) === core.term ? core.term : null;
  }

  private input(): EngineInput {
    const core = this.deps.runtime.core;
    // Leadership is a lease, not a fence (research: etcd locks, Jepsen): a deposed leader that
    // does not know it yet must not touch Redis, so the engine acts only under a valid lease
    // (timed in ms on the monotonic clock: a process that stalled finds it run out when it wakes).
    const leading = this.leaderTerm() !== null && this.deps.runtime.leaseValid();
    return {
      now: this.deps.clock.now(),
      wallNow: (this.deps.wallNow ?? Date.now)(),
      term: core.term,
      leading,
      voters: core.conf.voters.length,
      topology: this.deps.topology(),
      observations: this.table,
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
    }
    this.leadingTerm = term;
    const input = this.input();
    if (input.leading) {
      this.table.record(this.deps.selfId, this.deps.prober.observations(), input.now);
      this.maybeBootstrap(input.topology);
    }
    for (const action of this.engine.update(input)) this.execute(action);
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
            this.publishSwitchEarly(action.shard, action.node);
          this.logOutcome(action, result);
          this.engine.redisDone(action.opId, result);
          this.queueUpdate();
        });
        return;
      }
      case 'event':
        this.deps.logger.info(
          { event: action.name, shard: action.shard, ...action.detail },
          `${action.name} ${action.shard}`,
        );
        this.deps.publish?.(
          action.name,
          action.shard,
          sentinelMessage(action.name, action.shard, action.detail, this.deps.topology()),
        );
        return;
      case 'switchover-done': {
        const done = this.switchoverWaiters.get(action.requestId);
        this.switchoverWaiters.delete(action.requestId);
        done?.(action.result);
        return;
      }
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

  /** Bug publishBeforePromoted: tells clients of the new master before Promoted is committed. */
  private publishSwitchEarly(shardName: string, to: RedisNodeSpec): void {
    const shard = this.deps.topology().shards[shardName];
    const from = shard?.nodes.find((n) => n.id === shard.master);
    this.deps.publish?.(
      '+switch-master',
      shardName,
      `${shardName} ${from?.host ?? '?'} ${from?.port ?? 0} ${to.host} ${to.port}`,
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

  /** The first leader of an empty log proposes the shards of its own config (DESIGN 1). */
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
    const publish = this.deps.publish;
    for (const e of events) {
      if (e.type === 'switch-master') {
        const msg = `slave ${e.to.host}:${e.to.port} ${e.to.host} ${e.to.port} @ ${e.shard} ${e.from?.host ?? '?'} ${e.from?.port ?? 0}`;
        this.deps.logger.info(
          { event: '+promoted-slave', shard: e.shard, epoch: e.epoch, to: e.to.id },
          `+promoted-slave ${msg}`,
        );
        publish?.('+promoted-slave', e.shard, msg);
        // Discovery names the new master from now on; +switch-master follows (switch-announcer.ts).
        this.switches.promoted(e);
      } else if (e.type === 'failover-resumed') {
        this.deps.logger.info(
          { event: 'failover-resumed', shard: e.shard, epoch: e.epoch, term: e.term },
          `failover of ${e.shard} (epoch ${e.epoch}) resumed by the leader of term ${e.term}`,
        );
      } else if (e.type === 'failover-started') {
        this.deps.logger.info(
          { event: '+try-failover', shard: e.shard, epoch: e.epoch, to: e.to.id, kind: e.kind },
          `+try-failover ${e.shard}`,
        );
        publish?.('+new-epoch', e.shard, String(e.epoch));
        publish?.('+try-failover', e.shard, `master ${e.shard}`);
        publish?.(
          '+selected-slave',
          e.shard,
          `slave ${e.to.host}:${e.to.port} ${e.to.host} ${e.to.port} @ ${e.shard}`,
        );
      } else if (e.type === 'failover-ended') {
        const name = e.entry.result === 'ended' ? '+failover-end' : '-failover-abort';
        this.deps.logger.info(
          { event: name, shard: e.shard, epoch: e.epoch, history: e.entry },
          `${name} ${e.shard}`,
        );
        publish?.(name, e.shard, `master ${e.shard}`);
        this.engine.switchoverApplied(e.entry, this.deps.clock.now());
      }
    }
    if (events.length > 0) this.queueUpdate();
  }

  private refreshTargets(): void {
    const topo = this.deps.topology();
    const targets: RedisTarget[] = [];
    for (const shard of Object.values(topo.shards)) {
      for (const node of shard.nodes) targets.push(this.targetFor(shard.name, node));
    }
    this.deps.prober.setTargets(targets);
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

/** The shard specs and credentials of a node's config, for the driver. */
export function shardsFromConfig(
  config: RaftinelConfig,
  logger: Logger,
): { specs: ShardSpec[]; credentials: (shard: string) => RedisCredentials } {
  const specs = config.shards.map((s): ShardSpec => {
    const { name, nodes, initialMaster, auth: _auth, tls: _tls, renameCommands: _renamed, ...settings } = s;
    return {
      name,
      nodes: nodes.map((n) => ({
        id: n.id,
        host: n.host,
        port: n.port,
        priority: n.priority,
        noFailover: n.noFailover,
      })),
      settings,
      initialMaster,
    };
  });
  const cache = new Map<string, RedisCredentials>();
  const credentials = (shard: string): RedisCredentials => {
    const hit = cache.get(shard);
    if (hit) return hit;
    const local = config.shards.find((s) => s.name === shard);
    let auth: RedisTarget['auth'] = null;
    if (local?.auth) {
      try {
        auth = { username: local.auth.username, password: readSecretFile(local.auth.passwordFile) };
      } catch (err) {
        logger.error(
          { event: 'redis-auth-unreadable', shard, err: (err as Error).message },
          'cannot read the Redis password file',
        );
      }
    }
    const tls = local?.tls
      ? { ca: local.tls.ca ?? undefined, cert: local.tls.cert ?? undefined, key: local.tls.key ?? undefined }
      : null;
    const creds = { auth, tls, renameCommands: local?.renameCommands ?? {} };
    cache.set(shard, creds);
    return creds;
  };
  return { specs, credentials };
}

/** Sentinel's message format for engine events: `<type> <name> <ip> <port> @ <master> <ip> <port>`. */
function sentinelMessage(
  name: string,
  shard: string,
  detail: Record<string, unknown>,
  topo: Topology,
): string {
  const s = topo.shards[shard];
  const m = s?.nodes.find((n) => n.id === s.master);
  const at = m ? `${shard} ${m.host} ${m.port}` : shard;
  if (typeof detail.host === 'string')
    return `slave ${detail.host}:${String(detail.port)} ${detail.host} ${String(detail.port)} @ ${at}`;
  return `master ${at}${name === '+odown' ? ` #quorum ${Array.isArray(detail.observers) ? detail.observers.length : 0}` : ''}`;
}

function isObservation(x: unknown): x is RedisObservation {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    typeof o.shard === 'string' &&
    typeof o.node === 'string' &&
    typeof o.sdown === 'boolean' &&
    typeof o.reachable === 'boolean' &&
    typeof o.unsure === 'boolean'
  );
}

/** A peer's restartedFrom, checked field by field (absent or malformed: none known). */
function runSeenOf(x: unknown): RunSeen | null {
  if (typeof x !== 'object' || x === null) return null;
  const r = x as Record<string, unknown>;
  return typeof r.runId === 'string' && typeof r.offset === 'number' && Number.isFinite(r.offset)
    ? { runId: r.runId, offset: r.offset }
    : null;
}
