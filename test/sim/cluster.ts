// One simulated raftinel cluster, run from one seed: the real runtime loops and Raft cores over
// a simulated network, storage and clock, each node with the real failover driver over fake
// Redis groups (redis-world.ts), under Raft and Redis faults, with the checkers after every
// event and at every Redis command. Safety mode injects faults; liveness mode heals everything
// and demands convergence of the Raft log and of the Redis topology.
import { createHash } from 'node:crypto';
import type { FailoverBugs } from '../../src/failover/bugs.js';
import { FailoverDriver } from '../../src/failover/driver.js';
import { Prober } from '../../src/monitor/prober.js';
import { ClusterState, type ClusterCommand } from '../../src/node/cluster-state.js';
import type { RaftBugs } from '../../src/raft/bugs.js';
import type { StorageBugs } from '../../src/storage/bugs.js';
import type { RaftCore } from '../../src/raft/raft.js';
import type { Message, NodeId } from '../../src/raft/types.js';
import { RaftRuntime } from '../../src/runtime/raft-runtime.js';
import type { RaftTransport } from '../../src/runtime/ports.js';
import { silentLogger } from '../../src/util/log.js';
import { CounterModel, InvariantViolation, RaftCheckers, type CoreView } from './checkers.js';
import { FailoverCheckers, type NodeView } from './failover-checkers.js';
import { Prng } from './prng.js';
import { describeRedisMix, drawRedisMix, RedisWorld } from './redis-world.js';
import { Scheduler } from './scheduler.js';
import {
  describeStorageMix,
  drawStorageMix,
  guardedClock,
  guardStorageFaults,
  SimStorage,
  type StorageMix,
} from './sim-storage.js';
import { LeaseChecker } from './lease-checker.js';
import { driftedRate, TimerFaults } from './timer-faults.js';

export interface SimOptions {
  readonly seed: number;
  readonly bugs?: RaftBugs;
  /** Test-only storage bug switches (src/storage/bugs.ts), handed to every node's storage. */
  readonly storageBugs?: StorageBugs;
  /** Test-only failover bug switches (src/failover/bugs.ts), handed to every node's driver. */
  readonly failoverBugs?: FailoverBugs;
  /** Virtual milliseconds of faults, then of healing. */
  readonly safetyMs?: number;
  readonly livenessMs?: number;
  /** Receives a line per notable event (elections, faults, commits): for replaying one seed. */
  readonly trace?: (line: string) => void;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  /** Which checker failed the run (InvariantViolation.invariant), or 'crash' for an exception. */
  readonly caughtBy?: string;
  /** The seed's fault mix, for replays and for reading a failure. */
  readonly mix: string;
  /**
   * A digest of the whole run (events scheduled and run, checks made, each node's final Raft
   * and state machine state, the stats, the failure without its stack): two builds that run a
   * seed identically print the same one (`--fingerprint`), for changes that must not alter runs.
   */
  readonly fingerprint: string;
  readonly stats: {
    events: number;
    writes: number;
    reads: number;
    elections: number;
    crashes: number;
    snapshots: number;
    redisWrites: number;
    redisFaults: number;
    redisCommands: number;
    failovers: number;
    promotions: number;
    switchoversJudged: number;
    /** Failover attempts aborted because the candidate had resynced, found before or after REPLICAOF NO ONE. */
    lostHistoryBefore: number;
    lostHistoryAfter: number;
    /** Masters kept after an empty restart (masterKept), and Promoted entries judged against the fake's history. */
    mastersKept: number;
    promotionsJudged: number;
    /** Raft leaders lost right after a master's empty restart, and stale histories adopted (restart.ts). */
    leaderLossesAfterEmptyRestart: number;
    historiesAdopted: number;
    /** Storage faults (sim-storage.ts): saves cut by a crash point, nodes killed by a full disk. */
    crashesInSave: number;
    diskFullDeaths: number;
  };
}

/** The faults injected now and then, each with a weight; weight 0 disables it for the seed. */
type PeriodicFault = 'crash' | 'crashLeader' | 'isolateLeader' | 'partition' | 'clog' | 'pause' | 'heal';

/**
 * Swarm testing (Groce et al., 2012; TigerBeetle's VOPR): each seed runs its own mix of fault
 * kinds at its own intensities, drawn from the seed. One fixed mix would make every run
 * average out to the same weather; some bugs need one fault to be heavy and another absent
 * (a stale leader needs quiet links to build a long suffix, then a partition at one instant).
 */
interface FaultMix {
  readonly voters: number;
  readonly delayMs: number;
  readonly dropRate: number;
  readonly dupRate: number;
  readonly reorderRate: number;
  /** Share of Vote requests held back 20-200 ms: concurrent candidates' requests arrive far apart. */
  readonly slowVoteRate: number;
  /** A node dies right after answering a vote / an append, before anything else runs. */
  readonly crashAfterVoteRate: number;
  readonly crashAfterAppendRate: number;
  /** A node that just won an election is isolated or killed within newLeaderFaultMaxMs. */
  readonly newLeaderFaultRate: number;
  readonly newLeaderFaultMaxMs: number;
  /**
   * A leader is isolated the moment its commit index first moves in its term: it has applied,
   * but neither the new commit index nor the rest of its log has reached the others yet.
   */
  readonly firstCommitFaultRate: number;
  /** Election timeouts nearly equal during faults, so candidates collide in one term. */
  readonly tightTimeouts: boolean;
  readonly downMs: readonly [number, number];
  readonly gapMs: readonly [number, number];
  readonly snapshotEntries: number;
  readonly maxBatchEntries: number;
  readonly maxInflight: number;
  readonly weights: Readonly<Record<PeriodicFault, number>>;
  /**
   * The Raft tick and heartbeat: 100 ms x 2 is the default (one wake-up every 100 ms, a heartbeat
   * every 200 ms); 50 ms x 1 and 50 ms x 2 the settings of earlier campaigns.
   */
  readonly tickMs: number;
  readonly heartbeatTicks: number;
}

function drawMix(r: Prng): FaultMix {
  const on = (p = 0.5): boolean => r.chance(p);
  const fast = on(0.6);
  return {
    // Three voters more often: Figure 8 and vote races need fewer coincidences with a quorum of 2.
    voters: on(0.7) ? 3 : 5,
    delayMs: r.int(1, 15),
    dropRate: on() ? r.float() * 0.15 : 0,
    dupRate: on(0.3) ? r.float() * 0.05 : 0,
    reorderRate: on() ? r.float() * 0.1 : 0,
    slowVoteRate: on(0.4) ? 0.2 + r.float() * 0.6 : 0,
    crashAfterVoteRate: on(0.5) ? 0.05 + r.float() * 0.3 : 0,
    crashAfterAppendRate: on(0.5) ? r.float() * 0.01 : 0,
    newLeaderFaultRate: on(0.7) ? 0.2 + r.float() * 0.7 : 0,
    newLeaderFaultMaxMs: r.pick([5, 30, 100, 300]),
    firstCommitFaultRate: on(0.7) ? 0.3 + r.float() * 0.7 : 0,
    tightTimeouts: on(0.4),
    downMs: fast ? [0, r.pick([10, 50, 200])] : [100, 3000],
    gapMs: on(0.3) ? [100, 800] : [300, 2500],
    snapshotEntries: r.int(4, 40),
    // Small batches make a leader's acknowledgments land between its entries (Figure 8 needs it).
    maxBatchEntries: r.pick([1, 2, 4, 8, 64]),
    maxInflight: r.pick([1, 4, 64]),
    weights: {
      crash: on() ? r.int(1, 3) : 0,
      crashLeader: on() ? r.int(1, 3) : 0,
      isolateLeader: on() ? r.int(1, 4) : 0,
      partition: on(0.4) ? r.int(1, 4) : 0,
      clog: on(0.4) ? r.int(1, 2) : 0,
      // A node (often the leader) stops like SIGSTOP: its timers, sockets and probes freeze.
      pause: on(0.4) ? r.int(1, 3) : 0,
      heal: r.int(1, 3),
    },
    ...r.pick([
      { tickMs: 50, heartbeatTicks: 1 },
      { tickMs: 50, heartbeatTicks: 2 },
      { tickMs: 100, heartbeatTicks: 2 },
    ]),
  };
}

function describeMix(m: FaultMix): string {
  const weights = Object.entries(m.weights)
    .filter(([, w]) => w > 0)
    .map(([k, w]) => `${k}:${w}`)
    .join(',');
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  return (
    `voters=${m.voters} delay=${m.delayMs}ms drop=${pct(m.dropRate)} dup=${pct(m.dupRate)} reorder=${pct(m.reorderRate)} ` +
    `slowVote=${pct(m.slowVoteRate)} crashAfterVote=${pct(m.crashAfterVoteRate)} crashAfterApp=${pct(m.crashAfterAppendRate)} ` +
    `newLeader=${pct(m.newLeaderFaultRate)}/${m.newLeaderFaultMaxMs}ms firstCommit=${pct(m.firstCommitFaultRate)} tight=${m.tightTimeouts} down=${m.downMs[0]}-${m.downMs[1]}ms ` +
    `gap=${m.gapMs[0]}-${m.gapMs[1]}ms snap=${m.snapshotEntries} batch=${m.maxBatchEntries} inflight=${m.maxInflight} tick=${m.tickMs}ms hb=${m.heartbeatTicks} [${weights}]`
  );
}

/** The workload's write: one more on the production state machine's debug counter. */
const DEBUG_WRITE = JSON.stringify({ type: 'debugAppend', value: 'w' } satisfies ClusterCommand);

/** One silent logger for every simulated part: a pino instance per node start costs time. */
const QUIET = silentLogger();

/** Sim ms by which every node's wall clock (history timestamps, cooldowns) runs ahead. */
const WALL_OFFSET_MS = 1_700_000_000_000;

interface SimNode {
  readonly id: NodeId;
  readonly storage: SimStorage;
  runtime: RaftRuntime | null;
  /** The production state machine (src/node/cluster-state.ts), as every node applies the log. */
  sm: ClusterState;
  incarnation: number;
  handler: ((m: Message) => void) | null;
  envelopes: Map<string, (from: NodeId, body: unknown) => void> | null;
  driver: FailoverDriver | null;
  prober: Prober | null;
  clockRate: number;
  /** SIGSTOP: nothing of this node runs before this sim time. */
  pausedUntil: number;
}

export class SimCluster {
  private readonly sched = new Scheduler();
  private readonly prng: Prng;
  private readonly faults: Prng;
  private readonly checkers = new RaftCheckers();
  private readonly model = new CounterModel();
  private readonly leaseChecker = new LeaseChecker();
  private readonly timerFaults: TimerFaults;
  private readonly nodes = new Map<NodeId, SimNode>();
  /** The same nodes in the same (insertion) order, to loop over without an iterator. */
  private readonly nodeList: SimNode[] = [];
  private readonly blocked = new Set<string>(); // "from>to"
  private readonly clogged = new Map<string, number>(); // "from>to" -> until
  private faultsOn = true;
  private events = 0;
  private crashes = 0;
  private spareCounter = 0;
  private membershipBusy = false;
  private readonly retiredIds = new Set<NodeId>();

  private readonly mix: FaultMix;
  private readonly world: RedisWorld;
  private readonly fchk: FailoverCheckers;
  /** The Redis workload's own stream, so that it does not shift the Raft workload's choices. */
  private readonly redisPrng: Prng;
  /** Storage faults draw from their own stream too (sim-storage.ts). */
  private readonly storagePrng: Prng;
  private readonly storageMix: StorageMix;
  private diskFullDeaths = 0;
  /** The voters of the first configuration: their `peers`, on every start as in the node process. */
  private initialVoters: readonly NodeId[] = [];

  constructor(private readonly opts: SimOptions) {
    this.prng = new Prng(opts.seed);
    this.faults = this.prng.fork();
    this.mix = drawMix(this.faults.fork());
    this.timerFaults = new TimerFaults(opts.seed);
    this.redisPrng = new Prng(opts.seed ^ 0x5eed);
    this.storagePrng = new Prng(opts.seed ^ 0x57043);
    this.storageMix = drawStorageMix(this.storagePrng.fork());
    this.world = new RedisWorld(
      this.sched,
      this.redisPrng.fork(),
      this.redisPrng.fork(),
      drawRedisMix(this.redisPrng.fork()),
      {
        commandSent: (sender, shard, node, op) => this.fchk.commandSent(this.view(sender), shard, node, op),
        commandArrived: (shard, node, op) => this.fchk.commandArrived(shard, node, op),
        loseLeader: () => this.loseLeader(),
        trace: (line) => this.trace(line),
      },
      () => this.leader()?.id ?? null,
    );
    this.fchk = new FailoverCheckers(
      this.world.groups,
      WALL_OFFSET_MS,
      () => this.sched.now,
      (line) => this.trace(line),
    );
    const ids = Array.from({ length: this.mix.voters }, (_, i) => `n${i + 1}`);
    this.initialVoters = ids;
    for (const id of ids) this.addNode(id);
    for (const id of ids) this.startNode(id, ids);
  }

  run(): SimResult {
    const safetyMs = this.opts.safetyMs ?? 12_000;
    const livenessMs = this.opts.livenessMs ?? 8_000;
    try {
      this.scheduleWorkload(safetyMs + livenessMs / 2);
      this.scheduleRedisWorkload(safetyMs, safetyMs + livenessMs / 2);
      this.world.start(safetyMs);
      this.scheduleFaults();
      this.scheduleDiskFull();
      this.timerFaults.scheduleStalls(
        this.sched,
        safetyMs,
        () => this.live().map((n) => n.id),
        (id, ms) => {
          const node = this.nodes.get(id) as SimNode;
          node.pausedUntil = Math.max(node.pausedUntil, this.sched.now + ms);
        },
      );
      this.sched.runUntil(safetyMs, () => this.afterEvent());
      this.heal();
      this.sched.runUntil(safetyMs + livenessMs, () => this.afterEvent());
      this.checkConverged();
      return this.result(true);
    } catch (err) {
      if (err instanceof InvariantViolation) {
        return this.result(false, `${err.message} (at ${this.sched.now} ms)`, err.invariant);
      }
      return this.result(
        false,
        `crash: ${(err as Error).stack ?? String(err)} (at ${this.sched.now} ms)`,
        'crash',
      );
    }
  }

  private result(ok: boolean, failure?: string, caughtBy?: string): SimResult {
    const stats = this.stats();
    return {
      seed: this.opts.seed,
      ok,
      failure,
      caughtBy,
      fingerprint: this.fingerprint(stats, failure, caughtBy),
      mix: `${describeMix(this.mix)}\n  ${describeRedisMix(this.world.mix)}\n  ${this.timerFaults.describe()}\n  ${describeStorageMix(this.storageMix)}`,
      stats,
    };
  }

  private fingerprint(stats: SimResult['stats'], failure?: string, caughtBy?: string): string {
    const h = createHash('sha256');
    const line = (...xs: unknown[]): void => {
      h.update(xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ') + '\n');
    };
    // A crash's stack names source lines, which move with any edit: only its first line counts.
    line('failure', caughtBy ?? '-', (failure ?? '-').split('\n')[0]);
    line('sched', this.sched.scheduled, this.sched.now, this.events, this.leaseChecker.checks);
    line('stats', stats);
    for (const n of this.nodes.values()) {
      const st = n.runtime?.status() ?? null;
      const snap = n.storage.snapshot;
      line('node', n.id, n.incarnation, n.pausedUntil, st, n.storage.hardState);
      line('disk', snap?.meta ?? null, n.storage.termAt(snap?.meta.index ?? 0));
      line('sm', n.sm.snapshot());
    }
    for (const p of [this.prng, this.faults, this.redisPrng, this.storagePrng]) line('prng', p.float());
    return h.digest('hex').slice(0, 16);
  }

  private stats(): SimResult['stats'] {
    return {
      events: this.events,
      writes: this.model.writesAcked,
      reads: this.model.reads,
      elections: this.elections,
      crashes: this.crashes,
      snapshots: [...this.nodes.values()].filter((n) => n.storage.snapshot !== null).length,
      redisWrites: this.world.stats.writesAcked,
      redisFaults: this.world.stats.faults,
      redisCommands: this.world.stats.commands,
      failovers: Object.values(this.fchk.committedTopology().history).reduce(
        (n, h) => n + h.filter((x) => x.result === 'ended').length,
        0,
      ),
      promotions: this.fchk.stats.promotions,
      switchoversJudged: this.fchk.stats.switchoversJudged,
      lostHistoryBefore: this.historyCount(/left the replication history before REPLICAOF NO ONE/),
      lostHistoryAfter: this.historyCount(/was promoted from another replication history/),
      mastersKept: this.historyCount(/^no replica keeps the replication history/),
      promotionsJudged: this.fchk.stats.promotionsJudged,
      leaderLossesAfterEmptyRestart: this.world.stats.leaderLossesAfterEmptyRestart,
      historiesAdopted: this.historyCount(/^every replica follows \S+ on its replication history/),
      crashesInSave: [...this.nodes.values()].reduce((n, x) => n + x.storage.crashesInSave, 0),
      diskFullDeaths: this.diskFullDeaths,
    };
  }

  private elections = 0;

  /** Committed history entries whose reason matches. */
  private historyCount(reason: RegExp): number {
    return Object.values(this.fchk.committedTopology().history).reduce(
      (n, h) => n + h.filter((x) => x.reason !== null && reason.test(x.reason)).length,
      0,
    );
  }

  // ---- nodes --------------------------------------------------------------------------------

  private addNode(id: NodeId): SimNode {
    const node: SimNode = {
      id,
      storage: new SimStorage(
        this.storagePrng.fork(),
        this.storageMix,
        () => this.faultsOn,
        this.opts.storageBugs,
      ),
      runtime: null,
      sm: new ClusterState(),
      incarnation: 0,
      handler: null,
      envelopes: null,
      driver: null,
      prober: null,
      clockRate: driftedRate(this.faults.float()),
      pausedUntil: 0,
    };
    this.nodes.set(id, node);
    this.nodeList.push(node);
    this.world.knownObservers.add(id);
    return node;
  }

  private startNode(id: NodeId, bootstrapVoters: readonly NodeId[] | null): void {
    const node = this.nodes.get(id) as SimNode;
    const incarnation = node.incarnation + 1;
    guardStorageFaults(
      () => this.startIncarnation(id, bootstrapVoters),
      (err) => this.storageDeath(id, incarnation, err),
    );
  }

  private startIncarnation(id: NodeId, voters: readonly NodeId[] | null): void {
    const node = this.nodes.get(id) as SimNode;
    // A node the cluster started with bootstraps again if a crash left its data dir empty (it
    // had acknowledged nothing yet), as the node process does with the same config.
    const bootstrapVoters = voters ?? (this.initialVoters.includes(id) ? this.initialVoters : null);
    node.incarnation++;
    const incarnation = node.incarnation;
    node.sm = new ClusterState();
    node.pausedUntil = 0;
    const alive = (): boolean => node.incarnation === incarnation && node.runtime !== null;
    const paused = (): number => node.pausedUntil;
    const late = this.timerFaults.lateness(id);
    // A storage fault kills the node wherever a save runs (as an uncaught error kills the process).
    const died = (err: Error): void => this.storageDeath(id, incarnation, err);
    const clock = guardedClock(this.sched.clockFor(alive, node.clockRate, false, paused, late), died);
    // What reaches a paused node waits in its socket until it resumes.
    const inbox = (fn: () => void): void => {
      const attempt = (): void => {
        if (!alive()) return;
        if (this.sched.now < node.pausedUntil) this.sched.at(node.pausedUntil, attempt, true);
        else fn();
      };
      attempt();
    };
    const transport: RaftTransport = {
      send: (m) => this.send(m),
      onMessage: (h) => {
        node.handler = h;
      },
      setMembers: () => {},
      close: async () => {},
    };
    const runtime = new RaftRuntime({
      id,
      timing: {
        tickMs: this.mix.tickMs,
        electionTicks: 10,
        heartbeatTicks: this.mix.heartbeatTicks,
        snapshotEntries: this.mix.snapshotEntries,
      },
      storage: node.storage,
      transport,
      clock,
      stateMachine: node.sm,
      random: this.electionRandom(this.prng.fork()),
      logger: QUIET,
      bootstrap: bootstrapVoters ? { voters: bootstrapVoters } : undefined,
      maxInflight: this.mix.maxInflight,
      maxBatchEntries: this.mix.maxBatchEntries,
      bugs: this.opts.bugs,
      observer: {
        persisted: (nid, rd) => {
          this.checkers.persisted(nid, rd, (i) => node.storage.termAt(i));
          if (rd.snapshot) this.checkers.restored(nid, rd.snapshot.meta.index);
        },
        applied: (nid, e) => {
          this.checkers.applied(nid, e);
          for (const c of this.fchk.applied(e)) this.world.committed(c);
        },
        sent: (nid, msgs) => {
          this.checkers.sent(nid, msgs);
          this.maybeCrashAfterSend(nid, msgs);
        },
      },
    });
    // The snapshot the runtime just loaded (storage.snapshot would load and copy the whole log again).
    this.checkers.restarted(id, runtime.core.snapshotIndex());
    if (incarnation > 1) this.trace(`${id} restarts`);
    node.runtime = runtime;
    runtime.onSoftState((s) => {
      if (s.role !== 'leader') return;
      this.fchk.leaderElected(s.term);
      this.elections++;
      this.trace(`${id} leads term ${s.term} (last ${s.lastIndex}@${s.lastTerm}, commit ${s.commit})`);
      this.maybeStrikeNewLeader(id, runtime, s.term);
    });
    const sm = node.sm;
    const envelopes = new Map<string, (from: NodeId, body: unknown) => void>();
    node.envelopes = envelopes;
    // The production prober over fake connections. Its clock is quiet: probing touches no Raft
    // state (the driver reacts to observations on its own clock).
    const prober = new Prober({
      clock: this.sched.clockFor(alive, node.clockRate, true, paused, late),
      connector: this.world.connectorFor(id, inbox),
      logger: QUIET,
    });
    node.prober = prober;
    const driver = new FailoverDriver({
      selfId: id,
      configuredShards: this.world.specs,
      credentials: () => ({ auth: null, tls: null }),
      runtime,
      topology: () => sm.topology(),
      onTopology: (l) => sm.onTopology(l),
      prober,
      admin: this.world.executorFor(id, inbox),
      channel: {
        sendEnvelope: (to, kind, body) => {
          this.sendEnvelope(id, to, kind, body);
          return true;
        },
        onEnvelope: (kind, handler) => {
          envelopes.set(kind, handler);
        },
      },
      logger: QUIET,
      publish: (name, shard, message) => {
        if (
          name === '+switch-master' ||
          name === '+odown' ||
          name === '+try-failover' ||
          name === '+failover-end' ||
          name === '-failover-abort'
        ) {
          this.trace(`${id} publishes ${name} ${message}`);
        }
        this.fchk.published(this.view(id), name, shard, message);
      },
      clock,
      wallNow: () => this.sched.now + WALL_OFFSET_MS,
      bugs: this.opts.failoverBugs,
    });
    node.driver = driver;
    runtime.start();
    driver.start();
  }

  /**
   * What each running node runs as its prober and its state machine, and the commands the fake
   * Redis nodes answered: for the test that the simulator runs the production code.
   */
  wiring(): { nodes: { id: NodeId; prober: unknown; stateMachine: unknown }[]; served: Map<string, number> } {
    const served = new Map<string, number>();
    for (const g of this.world.groups.values())
      for (const [name, n] of g.served) served.set(name, (served.get(name) ?? 0) + n);
    return {
      nodes: this.live().map((n) => ({ id: n.id, prober: n.prober, stateMachine: n.sm })),
      served,
    };
  }

  /** A node as the failover checkers see it: Raft status and applied topology. */
  private view(id: NodeId): NodeView {
    const node = this.nodes.get(id) as SimNode;
    return { id, status: (node.runtime as RaftRuntime).status(), topology: node.sm.topology() };
  }

  /**
   * The core's only randomness is its election timeout. Safety must not depend on it, so in
   * some seeds the faulty phase squeezes it to (nearly) one value: followers that lost the same
   * leader time out together and split the vote, which is when a voter sees two candidates
   * of one term. Healing restores the full spread so that liveness is judged fairly.
   */
  private electionRandom(r: Prng): () => number {
    return () => {
      const x = r.float();
      return this.mix.tightTimeouts && this.faultsOn ? x * 0.15 : x;
    };
  }

  private crash(id: NodeId): void {
    const node = this.nodes.get(id);
    if (!node?.runtime) return;
    node.runtime = null; // everything not in node.storage is lost
    node.handler = null;
    node.envelopes = null;
    node.driver = null;
    node.prober = null;
    this.crashes++;
    node.storage.crash();
    if (this.opts.trace) {
      const hs = node.storage.hardState;
      this.trace(`${id} crashes (term ${hs.term}, vote ${hs.vote})`);
    }
  }

  /**
   * A save failed (a crash point, or ENOSPC): the process dies there, having acknowledged
   * nothing of that save, and is restarted later from what its disk kept.
   */
  private storageDeath(id: NodeId, incarnation: number, err: Error): void {
    const node = this.nodes.get(id) as SimNode;
    if (node.incarnation !== incarnation) return;
    if ((err as { code?: string }).code === 'storage_failed') this.diskFullDeaths++;
    this.trace(`${id} dies in its storage: ${err.message}`);
    if (node.runtime !== null) this.crash(id);
    else {
      this.crashes++;
      node.storage.crash();
    }
    node.incarnation++; // callbacks of the dead incarnation must not run
    this.sched.at(this.sched.now + this.downMs(), () => {
      if (this.nodes.get(id)?.runtime === null && !this.retired(id)) this.startNode(id, null);
    });
  }

  private live(): SimNode[] {
    const live: SimNode[] = [];
    for (const n of this.nodeList) if (n.runtime !== null) live.push(n);
    return live;
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodeList) {
      if (n.runtime === null) continue;
      const s = n.runtime.core;
      if (s.role === 'leader' && (!best || s.term > (best.runtime as RaftRuntime).core.term)) best = n;
    }
    return best;
  }

  // ---- network ------------------------------------------------------------------------------

  private send(m: Message): void {
    const link = `${m.from}>${m.to}`;
    const mix = this.mix;
    if (this.faultsOn) {
      if (this.blocked.has(link) || this.faults.chance(mix.dropRate)) return;
    }
    const copies = this.faultsOn && this.faults.chance(mix.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = mix.delayMs * (0.5 + this.faults.float());
      if (this.faultsOn && this.faults.chance(mix.reorderRate)) delay += this.faults.int(10, 300);
      if (this.faultsOn && m.type === 'Vote' && this.faults.chance(mix.slowVoteRate))
        delay += this.faults.int(20, 200);
      const clogUntil = this.clogged.get(link);
      if (this.faultsOn && clogUntil !== undefined && clogUntil > this.sched.now)
        delay += clogUntil - this.sched.now;
      this.sched.at(this.sched.now + delay, () => this.deliver(m));
    }
  }

  /** Driver envelopes (observations) share the Raft links: the same partitions, drops and delays. */
  private sendEnvelope(from: NodeId, to: NodeId, kind: string, body: unknown): void {
    const link = `${from}>${to}`;
    if (this.faultsOn && (this.blocked.has(link) || this.faults.chance(this.mix.dropRate))) return;
    let delay = this.mix.delayMs * (0.5 + this.faults.float());
    if (this.faultsOn && this.faults.chance(this.mix.reorderRate)) delay += this.faults.int(10, 300);
    const clogUntil = this.clogged.get(link);
    if (this.faultsOn && clogUntil !== undefined && clogUntil > this.sched.now)
      delay += clogUntil - this.sched.now;
    // Quiet: the driver only records what arrives; its update runs later on its own clock.
    this.sched.at(
      this.sched.now + delay,
      () => {
        if (this.faultsOn && this.blocked.has(link)) return;
        const node = this.nodes.get(to);
        if (node && this.sched.now < node.pausedUntil) {
          this.sched.at(node.pausedUntil, () => node.envelopes?.get(kind)?.(from, body), true);
          return;
        }
        node?.envelopes?.get(kind)?.(from, body);
      },
      true,
    );
  }

  private deliver(m: Message): void {
    // A partition also cuts what is on the wire when it starts: a leader isolated just after
    // its election must be able to lose the appends it has already sent.
    if (this.faultsOn && this.blocked.has(`${m.from}>${m.to}`)) return;
    const node = this.nodes.get(m.to);
    if (!node?.runtime || !node.handler) return;
    if (this.sched.now < node.pausedUntil) {
      this.sched.at(node.pausedUntil, () => this.deliver(m));
      return;
    }
    if (m.type === 'PreVote' || m.type === 'Vote')
      this.checkers.voteRequestDelivered(m, node.runtime.status());
    const handler = node.handler;
    const incarnation = node.incarnation;
    guardStorageFaults(
      () => handler(m),
      (err) => this.storageDeath(m.to, incarnation, err),
    );
  }

  // ---- workload -----------------------------------------------------------------------------

  private scheduleWorkload(stopAt: number): void {
    const loop = (): void => {
      if (this.sched.now >= stopAt) return;
      this.clientOp();
      this.sched.at(this.sched.now + this.prng.int(5, 60), loop);
    };
    this.sched.at(this.prng.int(0, 50), loop);
  }

  private clientOp(): void {
    const live = this.live();
    if (live.length === 0) return;
    const roll = this.prng.float();
    if (roll < 0.6) {
      // Any node that believes it leads, stale ones included: their uncommitted suffixes are
      // what the commit rules must handle.
      const leaders = live.filter((n) => (n.runtime as RaftRuntime).core.role === 'leader');
      const target = leaders.length > 0 ? this.prng.pick(leaders) : this.prng.pick(live);
      this.model.writeIssued();
      // The counter is the production state machine's debug counter (what --debug-routes commits).
      (target.runtime as RaftRuntime).propose(DEBUG_WRITE, (err, result) => {
        if (err) return;
        const { count } = result as { count: number };
        this.model.writeAcked(count);
        if (this.opts.trace) this.trace(`${target.id} write acked: ${count}`);
      });
    } else if (roll < 0.95) {
      const target = this.prng.pick(live);
      const runtime = target.runtime as RaftRuntime;
      const check = this.model.readIssued();
      if (this.opts.trace) this.trace(`${target.id} read issued`);
      runtime.readIndex((err, index) => {
        if (err || target.runtime !== runtime) return;
        const { count } = target.sm.debug();
        if (this.opts.trace) this.trace(`${target.id} read at index ${String(index)}: ${count}`);
        check(count);
      });
    } else if (roll < 0.975) {
      this.transferLeadership();
    } else {
      this.changeMembership();
    }
  }

  /**
   * Redis clients write to whatever master a random live node's applied topology names (a
   * stale node names a stale master: that write may land on a demoted node or be lost), and now
   * and then the leader runs a planned switchover.
   */
  private scheduleRedisWorkload(switchoversUntil: number, stopAt: number): void {
    const r = this.redisPrng.fork();
    const mix = this.world.mix;
    const write = (): void => {
      if (this.sched.now >= stopAt) return;
      const live = this.live();
      if (live.length > 0) {
        const topo = r.pick(live).sm.topology();
        const shard = r.pick(this.world.specs).name;
        const master = topo.shards[shard]?.master;
        if (master) this.world.write(shard, master);
      }
      this.sched.at(this.sched.now + r.int(mix.writeGapMs[0], mix.writeGapMs[1]), write, true);
    };
    this.sched.at(r.int(0, 50), write, true);
    if (mix.switchoverEveryMs === 0) return;
    const switchover = (): void => {
      if (this.sched.now >= switchoversUntil) return;
      this.switchover(r);
      this.sched.at(
        this.sched.now + r.int(mix.switchoverEveryMs / 2, (3 * mix.switchoverEveryMs) / 2),
        switchover,
      );
    };
    this.sched.at(r.int(1000, mix.switchoverEveryMs), switchover);
  }

  private switchover(r: Prng): void {
    const leader = this.leader();
    if (!leader?.driver) return;
    const shards = Object.values(leader.sm.topology().shards).filter(
      (s) => s.master !== null && s.failover === null,
    );
    if (shards.length === 0) return;
    const s = r.pick(shards);
    const others = s.nodes.filter((n) => n.id !== s.master);
    const to = r.chance(0.5) ? null : r.pick(others).id;
    this.trace(`${leader.id} runs a switchover of ${s.name} from ${s.master} to ${to ?? 'the best replica'}`);
    void leader.driver.switchover(s.name, to, r.pick([2000, 5000]));
  }

  private transferLeadership(): void {
    const leader = this.leader();
    if (!leader) return;
    const voters = (leader.runtime as RaftRuntime).core.conf.voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const incarnation = leader.incarnation;
    try {
      guardStorageFaults(
        () => (leader.runtime as RaftRuntime).transferLeadership(this.prng.pick(voters)),
        (err) => this.storageDeath(leader.id, incarnation, err),
      );
    } catch {
      /* a transfer already runs: fine */
    }
  }

  /** Cycles a spare in: add as learner, promote, then remove some voter and retire it. */
  private changeMembership(): void {
    const leader = this.leader();
    if (!leader || this.membershipBusy) return;
    const runtime = leader.runtime as RaftRuntime;
    const conf = runtime.core.conf;
    this.membershipBusy = true;
    const done = (): void => {
      this.membershipBusy = false;
    };
    if (conf.learners.length > 0) {
      runtime.proposeConfChange({ type: 'promote', id: conf.learners[0] }, done);
    } else if (conf.voters.length <= 3) {
      const id = `s${++this.spareCounter}`;
      this.addNode(id);
      this.startNode(id, null);
      runtime.proposeConfChange({ type: 'addLearner', id }, done);
    } else {
      const victim = this.prng.pick(conf.voters);
      runtime.proposeConfChange({ type: 'remove', id: victim }, (err) => {
        done();
        // Retire it only once its removal is committed; a node never rejoins with old data.
        if (!err && victim !== leader.id) {
          this.retiredIds.add(victim);
          this.crash(victim);
        }
      });
    }
  }

  // ---- faults -------------------------------------------------------------------------------

  private scheduleFaults(): void {
    const loop = (): void => {
      if (!this.faultsOn) return;
      this.injectFault();
      this.sched.at(this.sched.now + this.faults.int(this.mix.gapMs[0], this.mix.gapMs[1]), loop);
    };
    this.sched.at(this.faults.int(500, 1500), loop);
  }

  /**
   * A fault aimed at the riskiest instant: a node dies just after answering a vote or an append,
   * before anything else runs. Harmless when the runtime persisted before sending, as it must.
   * A vote answer is followed by a quick restart, so that the voter is back in the same term
   * while other candidates' requests are still on their way.
   */
  private maybeCrashAfterSend(id: NodeId, msgs: readonly Message[]): void {
    if (!this.faultsOn) return;
    const vote = msgs.some((m) => m.type === 'VoteResp');
    const append = msgs.some((m) => m.type === 'AppResp');
    if (vote && this.faults.chance(this.mix.crashAfterVoteRate)) {
      this.sched.at(this.sched.now, () => this.crashAndRestart(id, this.faults.int(0, 30)));
    } else if ((vote || append) && this.faults.chance(this.mix.crashAfterAppendRate)) {
      this.sched.at(this.sched.now, () => this.crashAndRestart(id, this.faults.int(5, 200)));
    }
  }

  /**
   * A node just won an election; soon (before, at, or after its first appends land) it is cut
   * off or killed. This is how a leader's no-op fails to reach a majority and the next term's
   * leader must settle a log with several terms' uncommitted suffixes (Raft paper, Figure 8).
   */
  private maybeStrikeNewLeader(id: NodeId, runtime: RaftRuntime, term: number): void {
    if (!this.faultsOn || !this.faults.chance(this.mix.newLeaderFaultRate)) return;
    const isolate = this.faults.chance(0.8);
    // Often at once, so that not even the no-op leaves: the voters keep their older last term.
    const delay = this.faults.chance(0.5) ? 0 : this.faults.int(0, this.mix.newLeaderFaultMaxMs);
    this.sched.at(this.sched.now + delay, () => {
      const node = this.nodes.get(id);
      if (!this.faultsOn || node?.runtime !== runtime || runtime.core.term !== term) return;
      if (isolate) this.isolate(id);
      else this.crashAndRestart(id, this.downMs());
    });
  }

  /** Now and then a live node's disk fills for a while (storage stream, sim-storage.ts). */
  private scheduleDiskFull(): void {
    if (this.storageMix.diskFullRate === 0) return;
    const r = this.storagePrng.fork();
    const loop = (): void => {
      if (!this.faultsOn) return;
      const live = this.live();
      if (live.length > 0 && r.chance(this.storageMix.diskFullRate)) {
        const victim = r.pick(live);
        const ms = r.int(50, 2000);
        victim.storage.setDiskFull(true);
        this.trace(`${victim.id}'s disk is full for ${ms} ms`);
        this.sched.at(this.sched.now + ms, () => victim.storage.setDiskFull(false));
      }
      this.sched.at(this.sched.now + r.int(200, 1500), loop);
    };
    this.sched.at(r.int(500, 1500), loop);
  }

  private downMs(): number {
    return this.faults.int(this.mix.downMs[0], this.mix.downMs[1]);
  }

  /** The Redis world's leader fault (redis-world.ts): the leader crashes, or is cut off. */
  private loseLeader(): boolean {
    const leader = this.leader();
    if (!leader || !this.faultsOn) return false;
    if (this.faults.chance(0.5)) {
      this.trace(`${leader.id} (leader) lost after an empty restart: crash`);
      this.crashAndRestart(leader.id, this.downMs());
    } else {
      this.trace(`${leader.id} (leader) lost after an empty restart: isolated`);
      this.isolate(leader.id);
    }
    return true;
  }

  private crashAndRestart(id: NodeId, downMs: number): void {
    if (!this.nodes.get(id)?.runtime) return;
    this.crash(id);
    this.sched.at(this.sched.now + downMs, () => {
      if (this.nodes.get(id)?.runtime === null && !this.retired(id)) this.startNode(id, null);
    });
  }

  private injectFault(): void {
    const ids = [...this.nodes.keys()];
    switch (this.pickFault()) {
      case 'crash': {
        const live = this.live();
        if (live.length > 0) this.crashAndRestart(this.faults.pick(live).id, this.downMs());
        return;
      }
      case 'crashLeader': {
        const leader = this.leader();
        if (leader) this.crashAndRestart(leader.id, this.downMs());
        return;
      }
      case 'isolateLeader': {
        // The leader keeps taking writes on its side until check-quorum demotes it: a long
        // uncommitted suffix of its term, for a later leader to overwrite or to re-replicate.
        const leader = this.leader();
        if (leader) this.isolate(leader.id);
        return;
      }
      case 'partition':
        this.partition(ids);
        this.trace(`partition: ${[...this.blocked].join(' ')}`);
        return;
      case 'pause': {
        const live = this.live();
        const leader = this.leader();
        const victim =
          leader && this.faults.chance(0.6) ? leader : live.length > 0 ? this.faults.pick(live) : undefined;
        if (!victim) return;
        const ms = this.faults.int(200, 3000);
        // A pause never shortens one under way: its timers stay due at the later end while
        // messages would flow again, which no process does (seed 9350236: a lease alarm).
        victim.pausedUntil = Math.max(victim.pausedUntil, this.sched.now + ms);
        this.trace(`${victim.id} pauses for ${ms} ms`);
        return;
      }
      case 'clog': {
        const a = this.faults.pick(ids);
        const b = this.faults.pick(ids);
        this.clogged.set(`${a}>${b}`, this.sched.now + this.faults.int(200, 3000));
        return;
      }
      case 'heal':
        this.trace('heal partitions');
        this.blocked.clear(); // heal partitions for a while
        return;
    }
  }

  private pickFault(): PeriodicFault {
    const entries = Object.entries(this.mix.weights) as [PeriodicFault, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.faults.float() * total;
    for (const [kind, w] of entries) {
      x -= w;
      if (x < 0) return kind;
    }
    return 'heal';
  }

  /** Cuts one node off from all others, both ways; any earlier partition heals. */
  private isolate(id: NodeId): void {
    this.trace(`isolate ${id}`);
    this.blocked.clear();
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.blocked.add(`${id}>${other}`);
      this.blocked.add(`${other}>${id}`);
    }
  }

  private partition(ids: readonly NodeId[]): void {
    this.blocked.clear();
    const shuffled = [...ids].sort(() => this.faults.float() - 0.5);
    const kind = this.faults.int(0, 3);
    const cut = this.faults.int(1, Math.max(1, shuffled.length - 1));
    const left = new Set(shuffled.slice(0, cut));
    for (const a of ids) {
      for (const b of ids) {
        if (a === b || left.has(a) === left.has(b)) continue;
        if (kind === 0)
          this.blocked.add(`${a}>${b}`); // symmetric
        else if (kind === 1 && left.has(a))
          this.blocked.add(`${a}>${b}`); // asymmetric: one way
        else if (kind === 2 && b !== shuffled[shuffled.length - 1] && a !== shuffled[shuffled.length - 1]) {
          this.blocked.add(`${a}>${b}`); // bridge: the last node still talks to both sides
        } else if (kind === 3) this.blocked.add(`${a}>${b}`);
      }
    }
  }

  /**
   * Only nodes the workload retired stay down. Judging from some leader's configuration
   * instead would leave a new learner down for good when a fault struck it before its
   * addLearner entry committed (a stale leader's view), and it is a member once it commits.
   */
  private retired(id: NodeId): boolean {
    return this.retiredIds.has(id);
  }

  private heal(): void {
    this.faultsOn = false;
    this.world.heal();
    this.blocked.clear();
    this.clogged.clear();
    for (const n of this.nodes.values()) n.pausedUntil = 0;
    for (const n of this.nodes.values()) n.storage.setDiskFull(false);
    for (const n of this.nodes.values()) {
      if (n.runtime === null && !this.retired(n.id)) this.startNode(n.id, null);
    }
  }

  // ---- checks -------------------------------------------------------------------------------

  private trace(line: string): void {
    this.opts.trace?.(`${String(Math.round(this.sched.now)).padStart(6)} ${line}`);
  }

  private readonly tracedCommit = new Map<NodeId, number>();
  /** Per leader: its term, its commit index when first seen leading, and whether it moved since. */
  private readonly leaderWatch = new Map<NodeId, { term: number; commit: number; moved: boolean }>();

  /** Watches leaders' commit indexes from outside, for the first-commit fault. */
  private watchLeaders(cores: readonly CoreView[]): void {
    for (const c of cores) {
      if (c.role !== 'leader') continue;
      const w = this.leaderWatch.get(c.id);
      const commit = c.commitIndex();
      if (!w || w.term !== c.term) {
        this.leaderWatch.set(c.id, { term: c.term, commit, moved: false });
      } else if (!w.moved && commit > w.commit) {
        w.moved = true;
        if (this.faultsOn && this.faults.chance(this.mix.firstCommitFaultRate)) {
          this.trace(`${c.id} first commit ${commit} in term ${c.term}: isolate`);
          this.isolate(c.id);
        }
      }
    }
  }

  /** The running nodes' runtimes and cores, in node order: rebuilt only when that set changed. */
  private runningNow: { cores: CoreView[]; runtimes: RaftRuntime[] } = { cores: [], runtimes: [] };

  /** What afterEvent checks, after nearly every event: allocates nothing while no node started or stopped. */
  private running(): { cores: CoreView[]; runtimes: RaftRuntime[] } {
    const { runtimes } = this.runningNow;
    let i = 0;
    let same = true;
    for (const n of this.nodeList) {
      if (n.runtime === null) continue;
      if (runtimes[i] !== n.runtime) {
        same = false;
        break;
      }
      i++;
    }
    if (same && i === runtimes.length) return this.runningNow;
    const now = this.live().map((n) => n.runtime as RaftRuntime);
    this.runningNow = { cores: now.map((r) => r.core), runtimes: now };
    return this.runningNow;
  }

  private afterEvent(): void {
    this.events++;
    const { cores, runtimes } = this.running();
    this.watchLeaders(cores);
    if (this.opts.trace) {
      for (const c of cores) {
        const s = c as RaftCore;
        const commit = s.commitIndex();
        if (this.tracedCommit.get(s.id) === commit) continue;
        this.tracedCommit.set(s.id, commit);
        const st = s.status();
        this.trace(
          `${s.id} ${s.role} t${s.term} commit ${commit}@${s.termAt(commit)} last ${st.lastIndex}@${st.lastTerm}`,
        );
      }
    }
    // watchLeaders and the trace start or stop no node: `runtimes` is still the running set.
    this.leaseChecker.check(this.sched.now, runtimes);
    this.checkers.checkCores(cores);
  }

  /** Liveness: after healing, one leader, and every member has applied the same log. */
  private checkConverged(): void {
    const leader = this.leader();
    if (!leader) {
      const states = [...this.nodes.values()].map((n) => {
        const c = n.runtime?.core as RaftCore | undefined;
        if (!c) return `${n.id} down`;
        const st = c.status();
        return `${n.id} ${c.role} t${c.term} last ${st.lastIndex}@${st.lastTerm} commit ${c.commitIndex()} voters ${st.conf.voters.join(',')} learners ${st.conf.learners.join(',')}`;
      });
      throw new InvariantViolation('Liveness', `no leader after healing: ${states.join('; ')}`);
    }
    const ls = (leader.runtime as RaftRuntime).status();
    for (const id of [...ls.conf.voters, ...ls.conf.learners]) {
      const s = this.nodes.get(id)?.runtime?.status();
      if (!s) throw new InvariantViolation('Liveness', `member ${id} is not running after healing`);
      if (s.applied !== ls.commit || s.term !== ls.term) {
        throw new InvariantViolation(
          'Liveness',
          `${id} applied ${s.applied} in term ${s.term}; the leader committed ${ls.commit} in term ${ls.term}`,
        );
      }
      if (this.nodes.get(id)?.sm.debug().count !== leader.sm.debug().count) {
        throw new InvariantViolation('Liveness', `${id} state differs from the leader's`);
      }
    }
    this.fchk.converged([...ls.conf.voters, ...ls.conf.learners].map((id) => this.view(id)));
  }
}

export function runSeed(opts: SimOptions): SimResult {
  return new SimCluster(opts).run();
}
