// The Redis side of the simulation: one fake Redis group per shard, the links between every
// raftinel node and every Redis node (probes and commands share them; faults cut or slow them
// per pair), replication steps, client writes, and the Redis faults of a seed's swarm mix.
// Each raftinel node gets a Redis connector and a RedisExecutor from here: its production
// Prober (src/monitor/prober.ts) probes the fake nodes over fake connections
// (fake-connection.ts), and its failover driver runs unchanged on both.
import type { RedisExecutor, RedisTarget } from '../../src/failover/ports.js';
import type { RedisOp, RedisOpResult } from '../../src/failover/engine.js';
import { FENCE_MIN_REPLICAS } from '../../src/failover/engine-types.js';
import type { RedisNodeSpec, ShardSettings, ShardSpec, TopologyCommand } from '../../src/failover/types.js';
import { viewOf } from '../../src/monitor/admin-ops.js';
import { parseInfo } from '../../src/monitor/parse.js';
import type { RedisConnector } from '../../src/monitor/redis-port.js';
import type { NodeId } from '../../src/raft/types.js';
import { FakeConnection, type FakeLinks } from './fake-connection.js';
import type { Prng } from './prng.js';
import { hostOf, RedisGroup, type FakeRedis } from './redis-sim.js';
import type { Scheduler } from './scheduler.js';

/** The Redis faults of a seed, each with a weight (0: never in this seed). */
type RedisFault =
  | 'crashMaster'
  | 'restartEmpty'
  | 'crashReplica'
  | 'stallShort'
  | 'stallLong'
  | 'cutProbe'
  | 'isolateObserver'
  | 'isolateLeader'
  | 'slowLink';

/** A seed's Redis weather and shard settings (swarm testing, as for the Raft faults). */
export interface RedisMix {
  readonly shards: number;
  readonly downAfterMs: number;
  readonly pingIntervalMs: number;
  readonly infoIntervalMs: number;
  readonly selection: 'least-lag' | 'priority-first';
  readonly holistic: boolean;
  readonly parallelSyncs: number;
  readonly failoverCooldownMs: number;
  readonly failoverTimeoutMs: number;
  readonly linkDelayMs: number;
  readonly replStepMs: number;
  readonly reconnectMs: number;
  /** Share of master crashes that come back empty (no persistence). */
  readonly emptyRestartRate: number;
  readonly downMs: readonly [number, number];
  readonly gapMs: readonly [number, number];
  readonly writeGapMs: readonly [number, number];
  /**
   * Chance that a fault is aimed at a failover the moment a step of it commits (its target
   * stalls, crashes or is cut off from the leader; the new master dies before the others follow).
   */
  readonly strikeRate: number;
  /** Mean sim ms between planned switchovers (0: none in this seed). */
  readonly switchoverEveryMs: number;
  readonly weights: Readonly<Record<RedisFault, number>>;
  /**
   * Chance that the Raft leader is lost (crashed or cut off) within a few probe intervals of a
   * master's empty restart: the leader that may have seen the restart is gone, and the next
   * one must judge it from what the observers report and what the replicas hold.
   */
  readonly leaderLossAfterEmptyRestart: number;
}

export function drawRedisMix(r: Prng): RedisMix {
  const on = (p = 0.5): boolean => r.chance(p);
  const downAfterMs = r.pick([500, 700, 1000]);
  return {
    shards: on(0.6) ? 1 : 2,
    downAfterMs,
    pingIntervalMs: r.pick([100, 150]),
    infoIntervalMs: r.pick([300, 600, 1000]),
    selection: on(0.2) ? 'priority-first' : 'least-lag',
    holistic: on(0.15),
    parallelSyncs: r.pick([1, 1, 2]),
    failoverCooldownMs: r.pick([0, 500, 2000]),
    failoverTimeoutMs: r.pick([3000, 5000, 8000]),
    linkDelayMs: r.int(1, 8),
    replStepMs: r.pick([10, 30, 80]),
    reconnectMs: r.pick([200, 500, 1000]),
    emptyRestartRate: on(0.4) ? 0.2 + r.float() * 0.6 : 0,
    downMs: on(0.5) ? [200, 1500] : [800, 4000],
    gapMs: on(0.4) ? [300, 1200] : [800, 3000],
    writeGapMs: [5, r.pick([20, 40, 80])],
    strikeRate: on(0.5) ? 0.2 + r.float() * 0.6 : 0,
    switchoverEveryMs: on(0.5) ? r.pick([1500, 3000, 6000]) : 0,
    weights: {
      crashMaster: on(0.7) ? r.int(1, 4) : 0,
      restartEmpty: on(0.4) ? r.int(1, 3) : 0,
      crashReplica: on() ? r.int(1, 2) : 0,
      stallShort: on() ? r.int(1, 2) : 0,
      stallLong: on(0.6) ? r.int(1, 3) : 0,
      cutProbe: on() ? r.int(1, 3) : 0,
      isolateObserver: on(0.4) ? r.int(1, 2) : 0,
      isolateLeader: on(0.3) ? r.int(1, 2) : 0,
      slowLink: on(0.4) ? r.int(1, 3) : 0,
    },
    // Drawn last: the draws above (and so the weather of every seed) stay what they were.
    leaderLossAfterEmptyRestart: on(0.6) ? 0.3 + r.float() * 0.7 : 0,
  };
}

export function describeRedisMix(m: RedisMix): string {
  const weights = Object.entries(m.weights)
    .filter(([, w]) => w > 0)
    .map(([k, w]) => `${k}:${w}`)
    .join(',');
  return (
    `redis: shards=${m.shards} downAfter=${m.downAfterMs} ping=${m.pingIntervalMs} info=${m.infoIntervalMs} ${m.selection}` +
    `${m.holistic ? ' holistic' : ''} parallel=${m.parallelSyncs} cooldown=${m.failoverCooldownMs} timeout=${m.failoverTimeoutMs} ` +
    `link=${m.linkDelayMs}ms repl=${m.replStepMs}ms reconnect=${m.reconnectMs}ms empty=${(m.emptyRestartRate * 100).toFixed(0)}% ` +
    `down=${m.downMs[0]}-${m.downMs[1]}ms gap=${m.gapMs[0]}-${m.gapMs[1]}ms strike=${(m.strikeRate * 100).toFixed(0)}% switchover=${m.switchoverEveryMs || 'off'} ` +
    `leaderLossAfterEmpty=${(m.leaderLossAfterEmptyRestart * 100).toFixed(0)}% [${weights}]`
  );
}

/** What the world tells the simulator (and its checkers) about Redis commands. */
export interface RedisWorldHooks {
  /** A node hands a command to the network: the checkers judge the sender now. */
  commandSent(sender: NodeId, shard: string, node: string, op: RedisOp): void;
  /** The command reaches the fake node and runs there now. */
  commandArrived(shard: string, node: string, op: RedisOp): void;
  /** Crash or cut off the Raft leader of the moment, if there is one; true if one was struck. */
  loseLeader(): boolean;
  trace(line: string): void;
}

/** Commands with no answer fail after this long (RedisAdmin's default timeout). */
const OP_TIMEOUT_MS = 2000;
const REDIS_IDS = ['r1', 'r2', 'r3'];

export class RedisWorld {
  readonly groups = new Map<string, RedisGroup>();
  readonly specs: ShardSpec[] = [];
  /** "observer>shard/node" -> sim time until which the link is cut. */
  private readonly cuts = new Map<string, number>();
  /** "observer>shard/node" -> extra one-way delay and until when. */
  private readonly slow = new Map<string, { ms: number; until: number }>();
  private faultsOn = true;
  stats = { faults: 0, writesAcked: 0, commands: 0, leaderLossesAfterEmptyRestart: 0 };

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: Prng,
    private readonly faults: Prng,
    readonly mix: RedisMix,
    private readonly hooks: RedisWorldHooks,
    /** The node that leads the Raft cluster now, if any (for leader-targeted faults). */
    private readonly leaderId: () => NodeId | null,
  ) {
    const names = ['alpha', 'beta'].slice(0, mix.shards);
    for (const name of names) {
      this.groups.set(name, new RedisGroup(name, REDIS_IDS, rng.fork(), mix.reconnectMs));
      const settings: ShardSettings = {
        downAfterMs: mix.downAfterMs,
        pingIntervalMs: mix.pingIntervalMs,
        infoIntervalMs: mix.infoIntervalMs,
        quorum: 'majority',
        selection: mix.selection,
        maxLagBytes: null,
        maxLinkDownMs: null,
        parallelSyncs: mix.parallelSyncs,
        failoverCooldownMs: mix.failoverCooldownMs,
        failoverTimeoutMs: mix.failoverTimeoutMs,
        minReplicasToWrite: null,
        minReplicasMaxLagMs: 10_000,
        holistic: mix.holistic,
      };
      const nodes: RedisNodeSpec[] = REDIS_IDS.map((id) => ({
        id,
        host: hostOf(name, id),
        port: 6379,
        priority: mix.selection === 'priority-first' ? rng.int(1, 3) * 10 : 100,
        noFailover: false,
      }));
      this.specs.push({ name, nodes, settings, initialMaster: null });
    }
  }

  start(safetyUntil: number): void {
    const step = (): void => {
      for (const g of this.groups.values()) g.replicate(this.sched.now, this.rng);
      this.at(this.sched.now + this.mix.replStepMs, step);
    };
    this.at(this.mix.replStepMs, step);
    const fault = (): void => {
      if (!this.faultsOn || this.sched.now >= safetyUntil) return;
      this.injectFault();
      this.at(this.sched.now + this.faults.int(this.mix.gapMs[0], this.mix.gapMs[1]), fault);
    };
    this.at(this.faults.int(1500, 3000), fault);
  }

  /** Everything here touches only fake Redis nodes and probers: quiet events (scheduler.ts). */
  private at(time: number, run: () => void): void {
    this.sched.at(time, run, true);
  }

  node(shard: string, id: string): FakeRedis {
    return (this.groups.get(shard) as RedisGroup).node(id);
  }

  /** A client write to the node some raftinel node named as master; true when acknowledged. */
  write(shard: string, master: string): boolean {
    const ok = this.groups.get(shard)?.write(master, this.sched.now) != null;
    if (ok) this.stats.writesAcked++;
    return ok;
  }

  // ---- links --------------------------------------------------------------------------------

  private setCut(key: string, until: number): void {
    this.cuts.set(key, until);
  }

  private setSlow(key: string, ms: number, until: number): void {
    this.slow.set(key, { ms, until });
  }

  private cut(key: string): boolean {
    const until = this.cuts.get(key);
    return until !== undefined && until > this.sched.now;
  }

  private delay(key: string): number {
    const slow = this.slow.get(key);
    const extra =
      slow !== undefined && slow.until > this.sched.now ? slow.ms * (0.5 + this.faults.float()) : 0;
    return this.mix.linkDelayMs * (0.5 + this.faults.float()) + extra;
  }

  /** One Redis command from a node: judged at send, run on arrival (or when a stall ends). */
  command(sender: NodeId, target: RedisTarget, op: RedisOp, done: (result: RedisOpResult) => void): void {
    const { shard } = target;
    const id = target.node.id;
    this.stats.commands++;
    this.hooks.commandSent(sender, shard, id, op);
    if (op.kind !== 'inspect')
      this.hooks.trace(
        `${sender} -> ${shard}/${id}: ${op.kind}${op.kind === 'replicaof' ? ` ${op.host}` : ''}`,
      );
    const key = `${sender}>${shard}/${id}`;
    let answered = false;
    const reply = (result: RedisOpResult): void => {
      if (answered) return;
      answered = true;
      done(result);
    };
    this.at(this.sched.now + OP_TIMEOUT_MS, () =>
      reply({ ok: false, error: `no answer within ${OP_TIMEOUT_MS} ms` }),
    );
    if (this.cut(key)) return;
    const g = this.groups.get(shard) as RedisGroup;
    const r = g.node(id);
    const arrive = (): void => {
      const now = this.sched.now;
      if (!r.alive) {
        this.at(now + this.delay(key), () => reply({ ok: false, error: 'connection refused' }));
        return;
      }
      // SIGSTOP: the command waits in the socket and runs when the process resumes, even if
      // the sender has given up on it by then.
      if (r.mustWait(now)) {
        r.whenAnswering(this.sched, arrive);
        return;
      }
      this.hooks.commandArrived(shard, id, op);
      const result = this.run(g, r, target, op, now);
      this.at(now + this.delay(key), () => {
        if (!this.cut(key)) reply(result);
      });
    };
    this.at(this.sched.now + this.delay(key), arrive);
  }

  private run(g: RedisGroup, r: FakeRedis, target: RedisTarget, op: RedisOp, now: number): RedisOpResult {
    switch (op.kind) {
      case 'promote':
        r.promote(now);
        if (r.replId2 !== '') g.parentOf.set(r.replId, r.replId2);
        this.hooks.trace(`${g.shard}/${r.id} is master (replid ${r.replId.slice(0, 8)}, offset ${r.offset})`);
        return { ok: true };
      case 'replicaof': {
        const m = g.byHost(op.host);
        if (!m) return { ok: false, error: `unknown host ${op.host}` };
        r.replicaOf(m.id, now);
        return { ok: true };
      }
      case 'pause':
        r.pausedUntil = now + op.ms;
        return { ok: true };
      case 'unpause':
        r.pausedUntil = 0;
        return { ok: true };
      case 'write-safety':
        // Only the fence is modelled (the simulated writers do not count replicas): set, or
        // lifted by any other value (null lifts only a fence).
        if (op.minReplicas === FENCE_MIN_REPLICAS) {
          r.fenced = true;
          if (op.persist) r.fencePersisted = true;
        } else if (op.minReplicas !== null || r.fenced) {
          r.fenced = false;
          if (op.persist) r.fencePersisted = false;
        }
        return { ok: true };
      case 'inspect': {
        const info = parseInfo(g.info(r.id, now));
        if (!info.ok) return { ok: false, error: info.error.reason };
        return { ok: true, view: viewOf(target, info.value) };
      }
    }
  }

  // ---- what each raftinel node gets ---------------------------------------------------------

  /**
   * Connections from `observer` to the fake nodes, for its production Prober. `inbox` runs what
   * reaches the observer: at once, later if it is paused, never if it died.
   */
  connectorFor(observer: NodeId, inbox: (fn: () => void) => void): RedisConnector {
    const links: FakeLinks = {
      sched: this.sched,
      cut: (key) => this.cut(key),
      delay: (key) => this.delay(key),
    };
    return (options, events) => {
      const found = this.byHost(options.host);
      if (!found) throw new Error(`no fake Redis node at ${options.host}`);
      const key = `${observer}>${found.group.shard}/${found.node.id}`;
      return new FakeConnection(links, key, found.group, found.node, options, events, inbox);
    };
  }

  private byHost(host: string): { group: RedisGroup; node: FakeRedis } | null {
    for (const group of this.groups.values()) {
      const node = group.byHost(host);
      if (node) return { group, node };
    }
    return null;
  }

  executorFor(sender: NodeId, inbox: (fn: () => void) => void): RedisExecutor {
    return {
      execute: (target, op, done) => this.command(sender, target, op, (result) => inbox(() => done(result))),
    };
  }

  // ---- faults -------------------------------------------------------------------------------

  private pickFault(): RedisFault | null {
    const entries = Object.entries(this.mix.weights) as [RedisFault, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) return null;
    let x = this.faults.float() * total;
    for (const [kind, w] of entries) {
      x -= w;
      if (x < 0) return kind;
    }
    return null;
  }

  private downMs(): number {
    return this.faults.int(this.mix.downMs[0], this.mix.downMs[1]);
  }

  private injectFault(): void {
    const kind = this.pickFault();
    if (!kind) return;
    const g = this.faults.pick([...this.groups.values()]);
    const nodes = [...g.nodes.values()];
    const masters = nodes.filter((n) => n.role === 'master' && n.alive);
    const replicas = nodes.filter((n) => n.role === 'slave' && n.alive);
    const master = masters.length > 0 ? this.faults.pick(masters) : this.faults.pick(nodes);
    const down = this.downMs();
    this.stats.faults++;
    switch (kind) {
      case 'crashMaster':
      case 'crashReplica': {
        const victim = kind === 'crashMaster' || replicas.length === 0 ? master : this.faults.pick(replicas);
        if (!victim.alive) return;
        const empty = this.faults.chance(this.mix.emptyRestartRate);
        victim.crash(this.sched.now);
        this.hooks.trace(
          `${g.shard}/${victim.id} crashes (${victim.role}, offset ${victim.offset}); back in ${down} ms${empty ? ', empty' : ''}`,
        );
        this.at(this.sched.now + down, () => {
          if (victim.alive) return;
          victim.restart(this.sched.now, empty);
          this.hooks.trace(`${g.shard}/${victim.id} restarts${empty ? ' empty' : ''} as ${victim.role}`);
          if (empty) this.maybeLoseLeader(victim);
        });
        return;
      }
      case 'restartEmpty': {
        // The master dies and comes back empty inside downAfterMs (no persistence, a supervisor
        // that restarts it at once): failed over by the empty-restart rule while its replicas'
        // replicationCron ticks bring them, one by one, to full-sync from it.
        const victim = master;
        if (!victim.alive || victim.role !== 'master') return;
        const back = this.faults.int(10, Math.round(this.mix.downAfterMs / 2));
        victim.crash(this.sched.now);
        this.hooks.trace(
          `${g.shard}/${victim.id} crashes (master, offset ${victim.offset}); back empty in ${back} ms`,
        );
        this.at(this.sched.now + back, () => {
          if (victim.alive) return;
          victim.restart(this.sched.now, true);
          this.hooks.trace(`${g.shard}/${victim.id} restarts empty as ${victim.role}`);
          this.maybeLoseLeader(victim);
        });
        return;
      }
      case 'stallShort':
      case 'stallLong': {
        const d = this.mix.downAfterMs;
        const ms =
          kind === 'stallShort' ? this.faults.int(0.2 * d, 0.9 * d) : this.faults.int(1.5 * d, 5 * d);
        const victim = this.faults.chance(0.75) ? master : this.faults.pick(nodes);
        if (!victim.alive) return;
        victim.stall(this.sched.now, ms);
        this.hooks.trace(`${g.shard}/${victim.id} stalls for ${ms} ms (${victim.role})`);
        return;
      }
      case 'cutProbe': {
        const observer = this.faults.pick(this.observers());
        const victim = this.faults.chance(0.6) ? master : this.faults.pick(nodes);
        this.setCut(`${observer}>${g.shard}/${victim.id}`, this.sched.now + down);
        this.hooks.trace(`cut ${observer} from ${g.shard}/${victim.id} for ${down} ms`);
        return;
      }
      case 'slowLink': {
        const observer = this.faults.pick(this.observers());
        const victim = this.faults.chance(0.6) ? master : this.faults.pick(nodes);
        const ms = this.faults.int(50, 1000);
        this.setSlow(`${observer}>${g.shard}/${victim.id}`, ms, this.sched.now + down);
        this.hooks.trace(`slow link ${observer} - ${g.shard}/${victim.id}: +${ms} ms for ${down} ms`);
        return;
      }
      case 'isolateLeader':
      case 'isolateObserver': {
        const leader = this.leaderId();
        const observer =
          kind === 'isolateLeader' && leader !== null ? leader : this.faults.pick(this.observers());
        for (const n of nodes) this.setCut(`${observer}>${g.shard}/${n.id}`, this.sched.now + down);
        this.hooks.trace(`cut ${observer} from every node of ${g.shard} for ${down} ms`);
        return;
      }
    }
  }

  /**
   * A failover step committed: now and then a fault strikes at once, where it hurts most. At
   * FailoverStarted the target stalls (REPLICAOF NO ONE lands late, maybe after the failover gave
   * up), crashes, or loses its link to the leader; at Promoted the new master dies or stalls
   * before the other replicas follow it.
   */
  committed(c: TopologyCommand): void {
    if (!this.faultsOn || (c.type !== 'failoverStarted' && c.type !== 'promoted')) return;
    if (!this.faults.chance(this.mix.strikeRate)) return;
    const g = this.groups.get(c.shard) as RedisGroup;
    const d = this.mix.downAfterMs;
    const delay = this.faults.chance(0.5) ? 0 : this.faults.int(1, 300);
    const target =
      c.type === 'failoverStarted'
        ? g.node(c.to)
        : [...g.nodes.values()].find((n) => n.role === 'master' && n.alive);
    if (!target) return;
    const kind = this.faults.pick(['stall', 'crash', 'cut', 'slow'] as const);
    const ms = this.faults.int(0.5 * d, 4 * d);
    const empty = this.faults.chance(this.mix.emptyRestartRate);
    const leader = this.leaderId();
    this.at(this.sched.now + delay, () => {
      if (!this.faultsOn || !target.alive) return;
      this.stats.faults++;
      const where = `${g.shard}/${target.id}`;
      if (kind === 'stall') {
        target.stall(this.sched.now, ms);
        this.hooks.trace(`strike (${c.type}): ${where} stalls for ${ms} ms`);
      } else if (kind === 'crash') {
        target.crash(this.sched.now);
        this.hooks.trace(`strike (${c.type}): ${where} crashes; back in ${ms} ms${empty ? ', empty' : ''}`);
        this.at(this.sched.now + ms, () => {
          if (target.alive) return;
          target.restart(this.sched.now, empty);
          this.hooks.trace(`${where} restarts${empty ? ' empty' : ''} as ${target.role}`);
          if (empty) this.maybeLoseLeader(target);
        });
      } else if (leader !== null) {
        const key = `${leader}>${where}`;
        if (kind === 'cut') this.setCut(key, this.sched.now + ms);
        else this.setSlow(key, this.faults.int(100, 1500), this.sched.now + ms);
        this.hooks.trace(`strike (${c.type}): ${kind} ${leader} - ${where} for ${ms} ms`);
      }
    });
  }

  /**
   * A master just came back empty: now and then the Raft leader goes too, before, while or
   * just after the observers' first probes of the new run reach it (docs/design.md 4.5: the
   * evidence of the restart must not live only in that leader's memory).
   */
  private maybeLoseLeader(restarted: FakeRedis): void {
    const rate = this.mix.leaderLossAfterEmptyRestart;
    if (rate === 0 || restarted.role !== 'master' || !this.faults.chance(rate)) return;
    const delay = this.faults.int(0, 3 * this.mix.pingIntervalMs);
    this.at(this.sched.now + delay, () => {
      if (!this.faultsOn || !this.hooks.loseLeader()) return;
      this.stats.leaderLossesAfterEmptyRestart++;
    });
  }

  /** Ids that may observe: filled by the simulator as nodes are added. */
  readonly knownObservers = new Set<NodeId>();

  private observers(): NodeId[] {
    return [...this.knownObservers];
  }

  /** Liveness: every Redis node back up and answering, every link whole. */
  heal(): void {
    this.faultsOn = false;
    this.cuts.clear();
    this.slow.clear();
    for (const g of this.groups.values()) {
      for (const r of g.nodes.values()) {
        r.stalledUntil = 0;
        r.resume(this.sched);
        if (!r.alive) r.restart(this.sched.now, false);
      }
    }
    this.hooks.trace('redis: every node restarted, every link whole');
  }
}
