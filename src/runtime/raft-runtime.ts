// The one runtime loop around the pure Raft core. It turns clock ticks and transport messages
// into core inputs, and handles each Ready in the written order:
//   persist (fsync) -> send -> apply -> advance.
// The node process and the simulator run this same class; only the ports differ.
import type { RaftBugs } from '../raft/bugs.js';
import { RaftCore, type RaftStatus } from '../raft/raft.js';
import {
  RaftError,
  type ConfChange,
  type Entry,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
} from '../raft/types.js';
import type { Logger } from '../util/log.js';
import { catchUpTicks, leaseDurationMs } from './lease.js';
import type { Cancel, Clock, RaftStorage, RaftTransport } from './ports.js';

/** The application's replicated state: every node applies the same entries in the same order. */
export interface StateMachine {
  /** Applies a committed entry (all kinds: normal, noop, conf); returns the proposer's result. */
  apply(entry: Entry): unknown;
  snapshot(): string;
  restore(data: string): void;
}

export interface RaftTiming {
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Take a snapshot and compact the log once this many entries were applied since the last one. */
  readonly snapshotEntries: number;
}

/** Watches a runtime from outside (the simulator's checkers); never changes what it does. */
export interface RuntimeObserver {
  persisted?(id: NodeId, rd: Ready): void;
  applied?(id: NodeId, entry: Entry): void;
  sent?(id: NodeId, messages: readonly Message[]): void;
}

export interface RuntimeOptions {
  readonly id: NodeId;
  readonly timing: RaftTiming;
  readonly storage: RaftStorage;
  readonly transport: RaftTransport;
  readonly clock: Clock;
  readonly stateMachine: StateMachine;
  readonly random: () => number;
  readonly logger: Logger;
  /** Used only when the storage is empty and this node is one of `voters`. */
  readonly bootstrap?: { readonly voters: readonly NodeId[]; readonly context?: string };
  /** How long a proposal or read may wait before it fails (default: 10 election timeouts). */
  readonly requestTimeoutMs?: number;
  readonly maxInflight?: number;
  readonly maxBatchEntries?: number;
  readonly bugs?: RaftBugs;
  readonly observer?: RuntimeObserver;
  /**
   * This node started from an empty data dir in a cluster that exists (node.bootstrap:
   * existing): it neither votes nor campaigns until it has been a learner of the applied
   * configuration and then a voter, i.e. until it rejoined through `raftinel members add` and
   * the leader promoted it once caught up. `onPromoted` runs once, when that happens.
   */
  readonly rejoin?: { readonly onPromoted: () => void };
}

export type Done<T> = (err: RaftError | null, value?: T) => void;

interface PendingProposal {
  readonly term: number;
  readonly done: Done<unknown>;
  readonly cancelTimeout: Cancel;
}

interface PendingRead {
  readonly done: Done<number>;
  readonly cancelTimeout: Cancel;
  index?: number;
}

export class RaftRuntime {
  readonly id: NodeId;
  readonly core: RaftCore;
  private readonly opts: RuntimeOptions;
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<number, PendingRead>();
  /**
   * Read ids must not repeat across restarts: the leader's answer to a read of the previous
   * process can arrive after a restart and would release this process's read of the same id
   * at an older index, a stale read (the simulator found it: a follower restarted while its
   * ReadIndex answer was in flight). So each incarnation starts at a random point of [1, 2^52].
   */
  private nextReadId: number;
  private stopTicking: Cancel | null = null;
  private drainScheduled = false;
  /** A Ready handed out and not yet advanced (only with the sendBeforePersist bug). */
  private readyInFlight = false;
  private stopped = false;
  private lastLeaderContact = -Infinity;
  /** The leader (and its term) whose heartbeat rounds roundHeardAt holds. */
  private heardFrom: NodeId | null = null;
  private heardTerm = 0;
  /** Heartbeat round of that leader -> when this node first heard it (noteLeaderContact). */
  private readonly roundHeardAt = new Map<number, number>();
  /** That leader names its quorum round (Heartbeat.quorumSeq): only those rounds date contact. */
  private leaderNamesQuorum = false;
  /** That leader's commit index in its latest heartbeat (Heartbeat.leaderCommit), or null. */
  private leaderCommitHeard: number | null = null;
  /** The tick period boundary the core has been ticked up to (catchUpTicks). */
  private lastTickAt = 0;
  /**
   * Heartbeat round (Heartbeat.seq) -> when its first message left, on this node's clock: the
   * lease is timed from the round a quorum echoed (src/runtime/lease.ts). Rounds number up for
   * the life of the core, across terms; only the newest are kept.
   */
  private readonly roundSentAt = new Map<number, number>();
  private readonly leaseMs: number;
  /** When this runtime started: isolation is counted from here until a leader is heard. */
  private startedAt = 0;
  private readonly softListeners: ((status: RaftStatus) => void)[] = [];
  /** A rejoining node was added back as a learner (RuntimeOptions.rejoin). */
  private wasLearner = false;
  private warnedVoterWithoutRejoin = false;
  private lastSoft: SoftState | null = null;

  constructor(opts: RuntimeOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.leaseMs = leaseDurationMs(opts.timing);
    this.nextReadId = 1 + Math.floor(opts.random() * 2 ** 26) * 2 ** 26 + Math.floor(opts.random() * 2 ** 26);
    let state = opts.storage.load();
    const empty = state.hardState.term === 0 && state.snapshot === null && state.entries.length === 0;
    if (empty && opts.bootstrap?.voters.includes(opts.id)) {
      const change: ConfChange = {
        type: 'bootstrap',
        voters: [...opts.bootstrap.voters],
        context: opts.bootstrap.context,
      };
      const first: Entry = { index: 1, term: 1, kind: 'conf', data: JSON.stringify(change) };
      opts.storage.save({ term: 1, vote: null, commit: 1 }, [first]);
      state = opts.storage.load();
    }
    if (state.snapshot) opts.stateMachine.restore(state.snapshot.data);
    if (state.snapshot?.meta.conf.learners.includes(opts.id)) this.wasLearner = true;
    this.core = new RaftCore(
      {
        id: opts.id,
        electionTicks: opts.timing.electionTicks,
        heartbeatTicks: opts.timing.heartbeatTicks,
        random: opts.random,
        maxInflight: opts.maxInflight,
        maxBatchEntries: opts.maxBatchEntries,
        bugs: opts.bugs,
        abstain: opts.rejoin !== undefined,
      },
      state,
    );
    this.checkRejoin();
  }

  /** Ends the abstention of a rejoining node once it went from learner to voter (RuntimeOptions.rejoin). */
  private checkRejoin(): void {
    if (!this.opts.rejoin || !this.core.abstains) return;
    if (!this.core.conf.voters.includes(this.id)) return;
    if (!this.wasLearner) {
      if (!this.warnedVoterWithoutRejoin) {
        this.warnedVoterWithoutRejoin = true;
        this.opts.logger.warn(
          { event: 'rejoin-voter-without-learner-step' },
          'this node started from an empty data dir and the committed configuration lists it as a voter ' +
            'it never rejoined as: it will not vote or campaign. Remove it (raftinel members remove <id>) ' +
            'and add it back (raftinel members add <id> <raft-addr>)',
        );
      }
      return;
    }
    this.core.setAbstain(false);
    this.opts.logger.info(
      { event: 'rejoined-as-voter' },
      'promoted after rejoining as a learner: votes from now on',
    );
    this.opts.rejoin.onPromoted();
  }

  start(): void {
    this.startedAt = this.opts.clock.now();
    this.opts.transport.onMessage((m) => this.receive(m));
    this.lastTickAt = this.opts.clock.now();
    this.stopTicking = this.opts.clock.every(this.opts.timing.tickMs, () => {
      if (this.stopped) return;
      this.catchUp();
      this.noteMajorityContact();
      this.drain();
    });
    this.drain(); // replay committed entries from disk before anything else
  }

  /** Stops ticking and fails every waiting request; the storage stays open for the caller. */
  stop(): void {
    this.stopped = true;
    this.stopTicking?.();
    const err = new RaftError('not_leader', 'the node is stopping');
    for (const [index, p] of this.proposals) this.finishProposal(index, p, err);
    for (const [id, r] of this.reads) this.finishRead(id, r, err);
  }

  /**
   * Timers run late, and a process that was stopped (SIGSTOP, a long GC pause) gets one call
   * however long it slept: tick once per whole period that passed, carrying the rest over, so
   * that elections and check-quorum see the time that really went by. Also before each message:
   * ticks owed for the time before a leader's heartbeat, counted after it, would age the
   * heartbeat by that time, and the follower would grant a vote inside the window the leader's
   * lease relies on (simulator seed 9900541: a vote 90 ms after a heartbeat was acknowledged).
   */
  private catchUp(): void {
    const owed = catchUpTicks(
      this.lastTickAt,
      this.opts.clock.now(),
      this.opts.timing.tickMs,
      4 * this.opts.timing.electionTicks,
    );
    this.lastTickAt = owed.lastTickAt;
    for (let i = 0; i < owed.ticks; i++) this.core.tick();
  }

  receive(m: Message): void {
    if (this.stopped || m.to !== this.id) return;
    if (!this.accepts(m)) return;
    this.catchUp();
    this.noteMajorityContact(); // before the step, which may depose this leader
    this.core.step(m);
    if ((m.type === 'App' || m.type === 'Heartbeat' || m.type === 'Snap') && this.core.leader === m.from) {
      this.noteLeaderContact(m);
    }
    this.noteMajorityContact();
    this.scheduleDrain();
  }

  /**
   * Votes and replication are heard from anyone of the cluster (the transport admits only peers
   * that passed the cluster handshake), as etcd's raft does: a node that lags may not know a
   * newer member yet, or know it only as a learner, and refusing its vote requests deadlocked
   * seeds 9324085 and 9349014 (the only up-to-date voters needed a lagging node's vote). A
   * removed node cannot disrupt the cluster for all that: pre-vote, the check-quorum lease and
   * the log check refuse it, and it never campaigns once it applied its removal. TimeoutNow,
   * which skips those, is taken from members of this node's configuration only.
   */
  private accepts(m: Message): boolean {
    if (m.type !== 'TimeoutNow') return true;
    const { voters, learners } = this.core.conf;
    return voters.length === 0 || voters.includes(m.from) || learners.includes(m.from);
  }

  // ---- requests -----------------------------------------------------------------------------

  propose(data: string, done: Done<unknown>): void {
    this.track(() => this.core.propose(data), done);
  }

  proposeConfChange(change: ConfChange, done: Done<unknown>): void {
    this.track(() => this.core.proposeConfChange(change), done);
  }

  /** A linearizable read: `done` is called once this node has applied the read index. */
  readIndex(done: Done<number>): void {
    if (this.stopped) return done(new RaftError('not_leader', 'the node is stopping'));
    const id = this.nextReadId++;
    const cancelTimeout = this.opts.clock.after(this.requestTimeoutMs(), () => {
      const r = this.reads.get(id);
      if (r) this.finishRead(id, r, new RaftError('not_leader', 'read timed out: no leader confirmed it'));
    });
    this.reads.set(id, { done, cancelTimeout });
    this.core.readIndex(id);
    this.scheduleDrain(); // requests of one event-loop turn share one Ready (one fsync, one send)
  }

  transferLeadership(to: NodeId): void {
    this.core.transferLeadership(to);
    this.drain();
  }

  /** The core's status, with the lease as this runtime times it (leaseValid). */
  status(): RaftStatus {
    return { ...this.core.status(), lease: this.leaseValid() };
  }

  /**
   * True while this node heard from the current leader within one election timeout, or leads
   * with a valid lease (a leader cut off from its majority keeps its role until check-quorum
   * runs, up to two election timeouts, while the others may elect a new leader after one) and
   * has applied its own first entry: before that, what a previous leader committed may be
   * missing from its applied state (Raft paper section 8). A follower counts only a leader
   * backed by a quorum (noteLeaderContact) and only once it holds what that leader committed.
   */
  hasFreshLeader(): boolean {
    // Asked on every RESP discovery request: read the core's fields, do not build its status.
    if (this.core.role === 'leader') return this.leaseValid() && this.core.appliedInTerm();
    // A follower also needs the leader's commit index of its latest heartbeat in its own log: one
    // that rejoins (restarted, or healed from a partition) hears the leader before it has the
    // entries it missed, a failover among them maybe.
    const electionMs = this.opts.timing.electionTicks * this.opts.timing.tickMs;
    return (
      this.core.leader !== null &&
      this.opts.clock.now() - this.lastLeaderContact <= electionMs &&
      (this.leaderCommitHeard === null || this.core.commitIndex() >= this.leaderCommitHeard)
    );
  }

  /**
   * The leader's lease, the one test that everything acting as the only leader uses (the
   * failover driver, the hooks, the switchover, the status report): a quorum echoed a heartbeat
   * round sent less than leaseDurationMs ago on this node's monotonic clock. It needs no stall
   * guard: a process that slept reads the clock when it wakes, and the lease has run out then.
   */
  leaseValid(): boolean {
    const sentAt = this.quorumRoundSentAt();
    return sentAt !== null && this.opts.clock.now() - sentAt < this.leaseMs;
  }

  /**
   * Milliseconds since this node last had proof of a majority: as a leader, since the heartbeat
   * round a quorum echoed was sent; else since it heard from a leader (or since it started).
   * The sidecar fences the local Redis when this reaches fenceAfterMs.
   */
  msSinceMajorityContact(): number {
    this.noteMajorityContact();
    return this.opts.clock.now() - Math.max(this.lastLeaderContact, this.startedAt);
  }

  /** When the heartbeat round this leader's lease rests on was sent, or null without a lease. */
  private quorumRoundSentAt(): number | null {
    const round = this.core.leaseRound();
    if (round === null) return null;
    if (round === 'sole-voter') return this.opts.clock.now();
    return this.roundSentAt.get(round) ?? null;
  }

  /**
   * A message of the current leader. A leader that names the round its lease rests on
   * (Heartbeat.quorumSeq) is a majority contact as of when this node heard that round: a leader
   * cut off with a minority goes on sending until check-quorum deposes it (up to two election
   * timeouts), and its followers must not count that as a majority (the sidecar fence, fresh
   * reads). A leader of an older version names none: its every message counts, as before.
   */
  private noteLeaderContact(m: Message): void {
    const now = this.opts.clock.now();
    if (this.heardFrom !== m.from || this.heardTerm !== this.core.term) {
      this.heardFrom = m.from;
      this.heardTerm = this.core.term;
      this.roundHeardAt.clear();
      this.leaderNamesQuorum = false;
      this.leaderCommitHeard = null;
    }
    if (m.type === 'Heartbeat' && m.leaderCommit !== undefined) this.leaderCommitHeard = m.leaderCommit;
    if (m.type !== 'Heartbeat' || m.quorumSeq === undefined) {
      if (!this.leaderNamesQuorum) this.lastLeaderContact = now;
      return;
    }
    this.leaderNamesQuorum = true;
    if (!this.roundHeardAt.has(m.seq)) this.roundHeardAt.set(m.seq, now);
    // Oldest first, as roundSentAt: a round heard this long ago dates no contact worth keeping.
    const keepFrom = now - 4 * this.opts.timing.electionTicks * this.opts.timing.tickMs;
    for (const [round, heardAt] of this.roundHeardAt) {
      if (heardAt >= keepFrom) break;
      this.roundHeardAt.delete(round);
    }
    const heardAt = this.roundHeardAt.get(m.quorumSeq);
    if (heardAt !== undefined) this.lastLeaderContact = Math.max(this.lastLeaderContact, heardAt);
  }

  /**
   * Leading a majority counts as contact, dated when the round that majority echoed was sent:
   * the lease must end before any follower's vote window, and the fence must not lift later.
   */
  private noteMajorityContact(): void {
    const sentAt = this.quorumRoundSentAt();
    if (sentAt !== null) this.lastLeaderContact = Math.max(this.lastLeaderContact, sentAt);
  }

  onSoftState(listener: (status: RaftStatus) => void): void {
    this.softListeners.push(listener);
  }

  private track(append: () => { index: number; term: number }, done: Done<unknown>): void {
    if (this.stopped) return done(new RaftError('not_leader', 'the node is stopping'));
    let at: { index: number; term: number };
    try {
      at = append();
    } catch (err) {
      if (err instanceof RaftError) return done(err);
      throw err;
    }
    const cancelTimeout = this.opts.clock.after(this.requestTimeoutMs(), () => {
      const p = this.proposals.get(at.index);
      if (p === pending) this.finishProposal(at.index, p, new RaftError('not_leader', 'proposal timed out'));
    });
    const pending: PendingProposal = { term: at.term, done, cancelTimeout };
    // A proposal of an earlier term at this index was truncated before its index was applied
    // (this node lost leadership, then won again): it lost, and must hear so now. Replaced
    // silently, its caller never heard, and the driver never proposed its shards again
    // (simulator seed 904163).
    const lost = this.proposals.get(at.index);
    this.proposals.set(at.index, pending);
    if (lost) {
      lost.cancelTimeout();
      lost.done(new RaftError('not_leader', 'the proposal lost to another leader'));
    }
    this.scheduleDrain(); // proposals of one event-loop turn share one Ready (one fsync, one send)
  }

  private requestTimeoutMs(): number {
    return this.opts.requestTimeoutMs ?? 10 * this.opts.timing.electionTicks * this.opts.timing.tickMs;
  }

  // ---- the loop -----------------------------------------------------------------------------

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.opts.clock.defer(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Handles every Ready the core has, each in the order persist -> send -> apply -> advance. */
  private drain(): void {
    while (!this.stopped && !this.readyInFlight && this.core.hasReady()) {
      const rd = this.core.ready();
      if (this.opts.bugs?.sendBeforePersist) {
        this.send(rd);
        this.readyInFlight = true;
        this.opts.clock.defer(() => {
          if (this.stopped) return;
          this.readyInFlight = false;
          this.persist(rd);
          this.finish(rd);
          this.drain();
        });
        return;
      }
      this.persist(rd);
      this.send(rd);
      this.finish(rd);
    }
  }

  private persist(rd: Ready): void {
    // One call, so that the storage makes the whole Ready durable as one unit.
    if (rd.snapshot || rd.hardState || rd.entries.length > 0) {
      this.opts.storage.save(rd.hardState, rd.entries, rd.snapshot);
    }
    this.opts.observer?.persisted?.(this.id, rd);
  }

  private send(rd: Ready): void {
    for (const m of rd.messages) {
      // Dated before it leaves: every follower receives the round later than this.
      if (m.type === 'Heartbeat' && !this.roundSentAt.has(m.seq)) this.noteRoundSent(m.seq);
      this.opts.transport.send(m);
    }
    if (rd.messages.length > 0) this.opts.observer?.sent?.(this.id, rd.messages);
  }

  private noteRoundSent(seq: number): void {
    const now = this.opts.clock.now();
    this.roundSentAt.set(seq, now);
    // Rounds are numbered upwards, so the Map iterates oldest first. A round older than a few
    // election timeouts can carry no lease; an echo of it, dropped here, only dates the
    // majority contact earlier (the fence engages sooner, never later).
    const keepFrom = now - 4 * this.opts.timing.electionTicks * this.opts.timing.tickMs;
    for (const [round, sentAt] of this.roundSentAt) {
      if (sentAt >= keepFrom) break;
      this.roundSentAt.delete(round);
    }
  }

  private finish(rd: Ready): void {
    this.apply(rd);
    this.core.advance(rd);
    this.checkRejoin();
    this.answerReads(rd);
    this.maybeSnapshot();
    const prev = this.lastSoft;
    if (!prev || prev.role !== rd.soft.role || prev.leader !== rd.soft.leader || prev.term !== rd.soft.term) {
      this.lastSoft = rd.soft;
      const s = this.core.status();
      for (const l of this.softListeners) l(s);
    }
  }

  private apply(rd: Ready): void {
    const sm = this.opts.stateMachine;
    if (rd.snapshot?.meta.conf.learners.includes(this.id)) this.wasLearner = true;
    if (rd.snapshot) {
      sm.restore(rd.snapshot.data);
      const upTo = rd.snapshot.meta.index;
      for (const [index, p] of this.proposals) {
        if (index <= upTo)
          this.finishProposal(
            index,
            p,
            new RaftError('not_leader', 'outcome unknown: replaced by a snapshot'),
          );
      }
    }
    for (const entry of rd.committed) {
      if (entry.kind === 'conf' && this.addsMeAsLearner(entry)) this.wasLearner = true;
      const result = sm.apply(entry);
      this.opts.observer?.applied?.(this.id, entry);
      const p = this.proposals.get(entry.index);
      if (!p) continue;
      if (p.term === entry.term) this.finishProposal(entry.index, p, null, result);
      else
        this.finishProposal(
          entry.index,
          p,
          new RaftError('not_leader', 'the proposal lost to another leader'),
        );
    }
  }

  private addsMeAsLearner(entry: Entry): boolean {
    if (!this.opts.rejoin) return false;
    try {
      const change = JSON.parse(entry.data) as Partial<ConfChange>;
      return change.type === 'addLearner' && 'id' in change && change.id === this.id;
    } catch {
      return false;
    }
  }

  private answerReads(rd: Ready): void {
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.id);
      if (!r) continue;
      if (rs.index < 0)
        this.finishRead(rs.id, r, new RaftError('not_leader', 'no leader could confirm the read'));
      else r.index = rs.index;
    }
    const applied = this.core.appliedIndex();
    for (const [id, r] of this.reads) {
      if (r.index !== undefined && r.index <= applied) this.finishRead(id, r, null, r.index);
    }
  }

  private maybeSnapshot(): void {
    const applied = this.core.appliedIndex();
    if (applied - this.core.snapshotIndex() < this.opts.timing.snapshotEntries) return;
    const snapshot = this.core.compact(applied, this.opts.stateMachine.snapshot());
    this.opts.storage.saveSnapshot(snapshot);
    this.opts.logger.info(
      { event: 'raft-snapshot', index: snapshot.meta.index, term: this.core.term },
      'log compacted',
    );
  }

  private finishProposal(index: number, p: PendingProposal, err: RaftError | null, result?: unknown): void {
    this.proposals.delete(index);
    p.cancelTimeout();
    p.done(err, result);
  }

  private finishRead(id: number, r: PendingRead, err: RaftError | null, index?: number): void {
    this.reads.delete(id);
    r.cancelTimeout();
    r.done(err, index);
  }
}
