// One simulated raftinel cluster, run from one seed: the real runtime loops and Raft cores over
// a simulated network, storage and clock, under faults, with the checkers after every event.
// Safety mode injects faults; liveness mode heals everything and demands convergence.
import type { RaftBugs } from '../../src/raft/bugs.js';
import type { Entry, Message, NodeId } from '../../src/raft/types.js';
import { RaftRuntime, type StateMachine } from '../../src/runtime/raft-runtime.js';
import type { RaftTransport } from '../../src/runtime/ports.js';
import { silentLogger } from '../../src/util/log.js';
import { CounterModel, InvariantViolation, RaftCheckers } from './checkers.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimStorage } from './sim-storage.js';

export interface SimOptions {
  readonly seed: number;
  readonly bugs?: RaftBugs;
  /** Virtual milliseconds of faults, then of healing. */
  readonly safetyMs?: number;
  readonly livenessMs?: number;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly stats: { events: number; writes: number; reads: number; elections: number; crashes: number; snapshots: number };
}

const TICK_MS = 50;

/** The replicated counter every simulated node runs. */
class CounterStateMachine implements StateMachine {
  value = 0;
  apply(entry: Entry): unknown {
    if (entry.kind === 'normal') this.value++;
    return this.value;
  }
  snapshot(): string {
    return JSON.stringify({ value: this.value });
  }
  restore(data: string): void {
    this.value = (JSON.parse(data) as { value: number }).value;
  }
}

interface SimNode {
  readonly id: NodeId;
  readonly storage: SimStorage;
  runtime: RaftRuntime | null;
  sm: CounterStateMachine;
  incarnation: number;
  handler: ((m: Message) => void) | null;
  clockRate: number;
}

export class SimCluster {
  private readonly sched = new Scheduler();
  private readonly prng: Prng;
  private readonly faults: Prng;
  private readonly checkers = new RaftCheckers();
  private readonly model = new CounterModel();
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly blocked = new Set<string>(); // "from>to"
  private readonly clogged = new Map<string, number>(); // "from>to" -> until
  private faultsOn = true;
  private events = 0;
  private crashes = 0;
  private spareCounter = 0;
  private membershipBusy = false;

  // fault knobs drawn from the seed
  private readonly dropRate: number;
  private readonly dupRate: number;
  private readonly delayMs: number;
  private readonly snapshotEntries: number;
  private readonly crashAfterSendRate: number;
  private readonly reorderRate: number;
  private readonly maxBatchEntries: number;
  private readonly maxInflight: number;

  constructor(private readonly opts: SimOptions) {
    this.prng = new Prng(opts.seed);
    this.faults = this.prng.fork();
    this.dropRate = this.faults.float() * 0.15;
    this.dupRate = this.faults.float() * 0.05;
    this.delayMs = this.faults.int(1, 15);
    this.snapshotEntries = this.faults.int(4, 40);
    this.crashAfterSendRate = this.faults.float() * 0.01;
    this.reorderRate = this.faults.float() * 0.1;
    // Small batches make a leader's acknowledgments land between its entries (Figure 8 needs it).
    this.maxBatchEntries = this.faults.pick([1, 2, 4, 8, 64]);
    this.maxInflight = this.faults.pick([1, 4, 64]);
    const voters = this.prng.chance(0.5) ? 3 : 5;
    const ids = Array.from({ length: voters }, (_, i) => `n${i + 1}`);
    for (const id of ids) this.addNode(id);
    for (const id of ids) this.startNode(id, ids);
  }

  run(): SimResult {
    const safetyMs = this.opts.safetyMs ?? 12_000;
    const livenessMs = this.opts.livenessMs ?? 8_000;
    try {
      this.scheduleWorkload(safetyMs + livenessMs / 2);
      this.scheduleFaults();
      this.sched.runUntil(safetyMs, () => this.afterEvent());
      this.heal();
      this.sched.runUntil(safetyMs + livenessMs, () => this.afterEvent());
      this.checkConverged();
      return this.result(true);
    } catch (err) {
      if (err instanceof InvariantViolation) return this.result(false, `${err.message} (at ${this.sched.now} ms)`);
      return this.result(false, `crash: ${(err as Error).stack ?? String(err)} (at ${this.sched.now} ms)`);
    }
  }

  private result(ok: boolean, failure?: string): SimResult {
    return {
      seed: this.opts.seed,
      ok,
      failure,
      stats: {
        events: this.events,
        writes: this.model.writesAcked,
        reads: this.model.reads,
        elections: this.elections,
        crashes: this.crashes,
        snapshots: [...this.nodes.values()].filter((n) => n.storage.snapshot !== null).length,
      },
    };
  }

  private elections = 0;

  // ---- nodes --------------------------------------------------------------------------------

  private addNode(id: NodeId): SimNode {
    const node: SimNode = {
      id,
      storage: new SimStorage(),
      runtime: null,
      sm: new CounterStateMachine(),
      incarnation: 0,
      handler: null,
      clockRate: 0.97 + this.faults.float() * 0.06,
    };
    this.nodes.set(id, node);
    return node;
  }

  private startNode(id: NodeId, bootstrapVoters: readonly NodeId[] | null): void {
    const node = this.nodes.get(id) as SimNode;
    node.incarnation++;
    const incarnation = node.incarnation;
    node.sm = new CounterStateMachine();
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
      timing: { tickMs: TICK_MS, electionTicks: 10, heartbeatTicks: 1, snapshotEntries: this.snapshotEntries },
      storage: node.storage,
      transport,
      clock: this.sched.clockFor(() => node.incarnation === incarnation && node.runtime !== null, node.clockRate),
      stateMachine: node.sm,
      random: ((r) => () => r.float())(this.prng.fork()),
      logger: silentLogger(),
      bootstrap: bootstrapVoters ? { voters: bootstrapVoters } : undefined,
      maxInflight: this.maxInflight,
      maxBatchEntries: this.maxBatchEntries,
      bugs: this.opts.bugs,
      observer: {
        persisted: (nid, rd) => {
          this.checkers.persisted(nid, rd, (i) => node.storage.termAt(i));
          if (rd.snapshot) this.checkers.restored(nid, rd.snapshot.meta.index);
        },
        applied: (nid, e) => this.checkers.applied(nid, e),
        sent: (nid, msgs) => {
          this.checkers.sent(nid, msgs);
          this.maybeCrashAfterSend(nid, msgs);
        },
      },
    });
    this.checkers.restarted(id, node.storage.snapshot?.meta.index ?? 0);
    node.runtime = runtime;
    runtime.onSoftState((s) => {
      if (s.role === 'leader') this.elections++;
    });
    runtime.start();
  }

  private crash(id: NodeId): void {
    const node = this.nodes.get(id);
    if (!node?.runtime) return;
    node.runtime = null; // everything not in node.storage is lost
    node.handler = null;
    this.crashes++;
  }

  private live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.runtime !== null);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.live()) {
      const s = (n.runtime as RaftRuntime).status();
      if (s.role === 'leader' && (!best || s.term > (best.runtime as RaftRuntime).status().term)) best = n;
    }
    return best;
  }

  // ---- network ------------------------------------------------------------------------------

  private send(m: Message): void {
    const link = `${m.from}>${m.to}`;
    if (this.faultsOn) {
      if (this.blocked.has(link) || this.faults.chance(this.dropRate)) return;
    }
    const copies = this.faultsOn && this.faults.chance(this.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.delayMs * (0.5 + this.faults.float());
      if (this.faultsOn && this.faults.chance(this.reorderRate)) delay += this.faults.int(10, 300);
      const clogUntil = this.clogged.get(link);
      if (this.faultsOn && clogUntil !== undefined && clogUntil > this.sched.now) delay += clogUntil - this.sched.now;
      this.sched.at(this.sched.now + delay, () => this.deliver(m));
    }
  }

  private deliver(m: Message): void {
    const node = this.nodes.get(m.to);
    if (!node?.runtime || !node.handler) return;
    this.checkers.voteRequestDelivered(m, node.runtime.status());
    node.handler(m);
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
      const leaders = live.filter((n) => (n.runtime as RaftRuntime).status().role === 'leader');
      const target = leaders.length > 0 ? this.prng.pick(leaders) : this.prng.pick(live);
      this.model.writeIssued();
      (target.runtime as RaftRuntime).propose(JSON.stringify({ op: 'incr' }), (err, value) => {
        if (!err) this.model.writeAcked(value as number);
      });
    } else if (roll < 0.95) {
      const target = this.prng.pick(live);
      const runtime = target.runtime as RaftRuntime;
      const check = this.model.readIssued();
      runtime.readIndex((err) => {
        if (!err && target.runtime === runtime) check(target.sm.value);
      });
    } else if (roll < 0.975) {
      this.transferLeadership();
    } else {
      this.changeMembership();
    }
  }

  private transferLeadership(): void {
    const leader = this.leader();
    if (!leader) return;
    const voters = (leader.runtime as RaftRuntime).status().conf.voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    try {
      (leader.runtime as RaftRuntime).transferLeadership(this.prng.pick(voters));
    } catch {
      /* a transfer already runs: fine */
    }
  }

  /** Cycles a spare in: add as learner, promote, then remove some voter and retire it. */
  private changeMembership(): void {
    const leader = this.leader();
    if (!leader || this.membershipBusy) return;
    const runtime = leader.runtime as RaftRuntime;
    const conf = runtime.status().conf;
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
        if (!err && victim !== leader.id) this.crash(victim);
      });
    }
  }

  // ---- faults -------------------------------------------------------------------------------

  private scheduleFaults(): void {
    const loop = (): void => {
      if (!this.faultsOn) return;
      this.injectFault();
      this.sched.at(this.sched.now + this.faults.int(300, 2500), loop);
    };
    this.sched.at(this.faults.int(500, 1500), loop);
  }

  /**
   * A fault aimed at the riskiest instant: a node dies just after answering a vote or an append,
   * before anything else runs. Harmless when the runtime persisted before sending, as it must.
   */
  private maybeCrashAfterSend(id: NodeId, msgs: readonly Message[]): void {
    if (!this.faultsOn || !this.faults.chance(this.crashAfterSendRate)) return;
    if (!msgs.some((m) => m.type === 'VoteResp' || m.type === 'AppResp')) return;
    this.sched.at(this.sched.now, () => this.crashAndRestart(id, this.faults.int(5, 200)));
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
    const roll = this.faults.float();
    if (roll < 0.15) {
      const victim = this.faults.pick(this.live());
      if (victim) this.crashAndRestart(victim.id, this.faults.int(100, 3000));
    } else if (roll < 0.3) {
      const leader = this.leader();
      if (leader) this.crashAndRestart(leader.id, this.faults.int(20, 1500));
    } else if (roll < 0.6) {
      this.partition(ids);
    } else if (roll < 0.75) {
      const a = this.faults.pick(ids);
      const b = this.faults.pick(ids);
      this.clogged.set(`${a}>${b}`, this.sched.now + this.faults.int(200, 3000));
    } else {
      this.blocked.clear(); // heal partitions for a while
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
        if (kind === 0) this.blocked.add(`${a}>${b}`); // symmetric
        else if (kind === 1 && left.has(a)) this.blocked.add(`${a}>${b}`); // asymmetric: one way
        else if (kind === 2 && b !== shuffled[shuffled.length - 1] && a !== shuffled[shuffled.length - 1]) {
          this.blocked.add(`${a}>${b}`); // bridge: the last node still talks to both sides
        } else if (kind === 3) this.blocked.add(`${a}>${b}`);
      }
    }
  }

  private retired(id: NodeId): boolean {
    const leader = this.leader();
    if (!leader) return false;
    const conf = (leader.runtime as RaftRuntime).status().conf;
    return !conf.voters.includes(id) && !conf.learners.includes(id);
  }

  private heal(): void {
    this.faultsOn = false;
    this.blocked.clear();
    this.clogged.clear();
    for (const n of this.nodes.values()) {
      if (n.runtime === null && !this.retired(n.id)) this.startNode(n.id, null);
    }
  }

  // ---- checks -------------------------------------------------------------------------------

  private afterEvent(): void {
    this.events++;
    const statuses = this.live().map((n) => (n.runtime as RaftRuntime).status());
    this.checkers.checkStatuses(statuses, (id) => {
      const core = this.nodes.get(id)?.runtime?.core;
      return (i) => core?.termAt(i);
    });
  }

  /** Liveness: after healing, one leader, and every member has applied the same log. */
  private checkConverged(): void {
    const leader = this.leader();
    if (!leader) throw new InvariantViolation('Liveness', 'no leader after healing');
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
      if (this.nodes.get(id)?.sm.value !== leader.sm.value) {
        throw new InvariantViolation('Liveness', `${id} state differs from the leader's`);
      }
    }
  }
}

export function runSeed(opts: SimOptions): SimResult {
  return new SimCluster(opts).run();
}
