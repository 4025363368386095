// The Raft core: a pure state machine in the etcd-io/raft style. Inputs are `tick()`, `step()`
// and the propose/read/transfer calls; the output is a Ready batch that the runtime persists,
// sends and applies before calling `advance()`. No I/O, no clock, no timers in here (a lint
// rule holds that); randomness comes from the injected `random`.
import type { RaftBugs } from './bugs.js';
import { RaftLog } from './log.js';
import { Progress, majorityMatch, quorumSize, tallyVotes } from './progress.js';
import { ReadOnly } from './read-only.js';
import {
  RaftError,
  type AppendRequest,
  type AppendResponse,
  type ConfChange,
  type ConfState,
  type Entry,
  type EntryKind,
  type HardState,
  type Heartbeat,
  type InstallSnapshot,
  type Message,
  type NodeId,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SoftState,
  type VoteRequest,
} from './types.js';

export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized up to 2x). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Uniform in [0, 1): the only source of randomness (the simulator seeds it). */
  readonly random: () => number;
  /** Appends in flight to one follower in replicate state. */
  readonly maxInflight?: number;
  /** Entries in one append message. */
  readonly maxBatchEntries?: number;
  readonly bugs?: RaftBugs;
  /**
   * Neither vote nor campaign until setAbstain(false): a node that started from an empty data
   * dir in a cluster that exists may have acknowledged entries it no longer holds (docs/design.md
   * section 6a, node.bootstrap), so its vote must not count until it rejoined as a learner.
   */
  readonly abstain?: boolean;
}

export interface RaftInitialState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
}

/** What checkers and /v1/cluster may read; a copy, never live state. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly snapshotIndex: number;
  /**
   * Leader only: a quorum acknowledged a heartbeat recently enough that no other leader can
   * exist. The core judges it in ticks, the scenario harness's time; a running node acts only on
   * the runtime's lease in milliseconds (RaftRuntime.leaseValid, src/runtime/lease.ts), which
   * RaftRuntime.status() reports here.
   */
  readonly lease: boolean;
  readonly conf: ConfState;
  readonly progress: ReadonlyMap<
    NodeId,
    { readonly match: number; readonly next: number; readonly state: string }
  >;
}

const emptyConf: ConfState = { voters: [], learners: [] };
/** Ticks the leader's lease ends early by, for clock-rate differences between nodes. */
const LEASE_MARGIN_TICKS = 2;

export class RaftCore {
  readonly id: NodeId;
  term: number;
  vote: NodeId | null;
  role: Role = 'follower';
  leader: NodeId | null = null;
  conf: ConfState = emptyConf;

  private readonly log: RaftLog;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly random: () => number;
  private readonly maxInflight: number;
  private readonly maxBatchEntries: number;
  private readonly bugs: RaftBugs;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  /** No conf change may be proposed until the one at this index is applied. */
  private pendingConfIndex = 0;
  private abstaining: boolean;
  private leadTransferee: NodeId | null = null;
  private readonly readOnly = new ReadOnly();

  /** Ticks since this core was created: the leader's lease clock. */
  private ticks = 0;
  private heartbeatSeq = 0;
  /** Heartbeat round -> the tick it was sent at (the last few rounds only). */
  private readonly heartbeatSentAt = new Map<number, number>();
  private leaseUntilTick = -1;
  /** The term in which this node sent TimeoutNow: its lease is void for the rest of that term. */
  private leaseVoidInTerm = -1;
  /**
   * The last message from a leader (App, Heartbeat, Snap): who, in which term, at which tick.
   * Unlike `leader` it survives a change of term: see heardLeaderRecently.
   */
  private leaderHeard: { readonly id: NodeId; readonly term: number; readonly tick: number } | null = null;

  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private prevHard: HardState;
  private prevSoft: SoftState;

  constructor(config: RaftConfig, init: RaftInitialState) {
    if (config.heartbeatTicks < 1 || config.electionTicks <= config.heartbeatTicks) {
      throw new Error('raft config: electionTicks must be greater than heartbeatTicks >= 1');
    }
    this.id = config.id;
    this.electionTicks = config.electionTicks;
    this.heartbeatTicks = config.heartbeatTicks;
    this.random = config.random;
    this.maxInflight = config.maxInflight ?? 64;
    this.maxBatchEntries = config.maxBatchEntries ?? 64;
    this.bugs = config.bugs ?? {};
    this.abstaining = config.abstain === true;
    this.log = new RaftLog(init.snapshot, init.entries, init.hardState.commit);
    this.term = init.hardState.term;
    this.vote = init.hardState.vote;
    if (init.snapshot) this.conf = init.snapshot.meta.conf;
    this.prevHard = { term: this.term, vote: this.vote, commit: this.log.committed };
    this.prevSoft = this.softState();
    this.resetRandomizedElectionTimeout();
  }

  // ---- inputs -------------------------------------------------------------------------------

  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign('pre');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (!this.quorumActive()) {
        // check-quorum: a leader cut off from a majority steps down, so that clients of the
        // majority side are served by a new leader and nobody trusts this one.
        this.becomeFollower(this.term, null);
        return;
      }
      if (this.leadTransferee !== null && this.leaseVoidInTerm === this.term) {
        // The transfer failed after TimeoutNow went out: without a lease this leader could not
        // act on Redis for the rest of its term, so it steps down and lets a fresh term begin.
        this.becomeFollower(this.term, null);
        return;
      }
      this.leadTransferee = null;
    }
    for (const [id, pr] of this.progress) {
      if (id !== this.id && pr.state === 'snapshot' && ++pr.snapshotTicks >= this.electionTicks) {
        pr.becomeProbe(); // the snapshot was lost; probe again
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readOnly.lastCtx());
    }
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if ((m.type === 'Vote' || m.type === 'PreVote') && this.inLease(m)) {
        return; // check-quorum lease: we heard from a live leader recently; ignore the disruptor
      } else if (m.type === 'PreVote' || (m.type === 'PreVoteResp' && !m.reject)) {
        // Pre-votes never change terms: that is the point of them.
      } else {
        const leader = m.type === 'App' || m.type === 'Heartbeat' || m.type === 'Snap' ? m.from : null;
        this.becomeFollower(m.term, leader);
      }
    } else if (m.term < this.term) {
      if (m.type === 'App' || m.type === 'Heartbeat') {
        // A stale leader: tell it our term so that it steps down (needed with check-quorum and
        // pre-vote, which otherwise leave it undisturbed forever).
        this.send({ type: 'AppResp', to: m.from, index: 0, reject: false, hintIndex: 0, hintTerm: 0 });
      } else if (m.type === 'PreVote') {
        this.send({ type: 'PreVoteResp', to: m.from, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'PreVote':
      case 'Vote':
        this.handleVoteRequest(m);
        return;
      case 'PreVoteResp':
      case 'VoteResp':
        this.handleVoteResponse(m.type, m.from, m.reject);
        return;
      case 'App':
      case 'Heartbeat':
      case 'Snap':
        if (this.role === 'leader') return; // same term, two leaders: impossible; ignore
        if (this.role !== 'follower') this.becomeFollower(this.term, m.from);
        this.electionElapsed = 0;
        this.leader = m.from;
        this.leaderHeard = { id: m.from, term: this.term, tick: this.ticks };
        if (m.type === 'App') this.handleAppend(m);
        else if (m.type === 'Heartbeat') this.handleHeartbeat(m);
        else this.handleSnapshot(m);
        return;
      case 'TimeoutNow':
        if (this.role !== 'leader' && this.promotable()) this.campaign('transfer', m.from);
        return;
      case 'ReadIndex':
        if (this.role === 'leader') this.readIndexFor(m.from, m.readId);
        else this.send({ type: 'ReadIndexResp', to: m.from, readId: m.readId, index: -1 });
        return;
      case 'ReadIndexResp':
        this.readStates.push({ id: m.readId, index: m.index });
        return;
      case 'AppResp':
      case 'HeartbeatResp':
        if (this.role === 'leader') this.stepLeaderResponse(m);
        return;
    }
  }

  /** Proposes a command; returns where it will sit in the log if it commits. */
  propose(data: string): { index: number; term: number } {
    return this.appendAsLeader('normal', data);
  }

  proposeConfChange(change: ConfChange): { index: number; term: number } {
    this.mustLead();
    if (this.pendingConfIndex > this.log.applied) {
      throw new RaftError('conf_change_pending', 'a membership change is still being applied');
    }
    if (!this.committedInTerm()) {
      // A leader may change membership only after committing an entry of its own term
      // (Ongaro's fix to single-server changes, raft-dev 2015).
      throw new RaftError('conf_change_pending', 'the leader has not committed its first entry yet');
    }
    const problem = validateConfChange(this.conf, change);
    if (problem) throw new RaftError('bad_conf_change', problem);
    const at = this.appendAsLeader('conf', JSON.stringify(change));
    this.pendingConfIndex = at.index;
    return at;
  }

  /** Asks for a linearizable read; the answer arrives as a ReadState with this id. */
  readIndex(readId: number): void {
    if (this.role === 'leader') this.readIndexFor(this.id, readId);
    else if (this.leader !== null) this.send({ type: 'ReadIndex', to: this.leader, readId });
    else this.readStates.push({ id: readId, index: -1 });
  }

  transferLeadership(to: NodeId): void {
    this.mustLead();
    if (to === this.id) return;
    if (!this.conf.voters.includes(to)) throw new RaftError('bad_conf_change', `${to} is not a voter`);
    this.leadTransferee = to;
    this.electionElapsed = 0; // the transfer is abandoned after one election timeout
    const pr = this.progress.get(to);
    if (pr && pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  /** Compacts the log up to the applied index, now covered by the state machine's `data`. */
  compact(index: number, data: string): Snapshot {
    const term = this.log.term(index);
    if (term === undefined || index > this.log.applied) throw new Error(`raft: cannot compact at ${index}`);
    const snapshot: Snapshot = { meta: { index, term, conf: this.conf }, data };
    this.log.compact(snapshot);
    return snapshot;
  }

  // ---- output -------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.log.pendingSnapshot !== null ||
      this.log.unstableEntries().length > 0 ||
      this.log.committedToApply().length > 0 ||
      this.hardStateChanged() ||
      this.softChanged()
    );
  }

  ready(): Ready {
    const hard = this.hardState();
    const rd: Ready = {
      soft: this.softState(),
      hardState: this.hardStateChanged() ? hard : null,
      snapshot: this.log.pendingSnapshot,
      entries: this.log.unstableEntries(),
      committed: this.log.committedToApply(),
      messages: this.msgs,
      readStates: this.readStates,
    };
    this.msgs = [];
    this.readStates = [];
    return rd;
  }

  /** The runtime has persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    this.prevSoft = rd.soft;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      this.log.snapshotPersisted(rd.snapshot.meta);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) this.log.stableTo(last.index, last.term);
    for (const e of rd.committed) {
      if (e.kind === 'conf') this.applyConfChange(JSON.parse(e.data) as ConfChange);
      this.log.appliedTo(e.index);
    }
  }

  /** The log's watermarks without building the status: read on every Ready and every event. */
  commitIndex(): number {
    return this.log.committed;
  }

  appliedIndex(): number {
    return this.log.applied;
  }

  snapshotIndex(): number {
    return this.log.snapshotIndex();
  }

  /**
   * What the leader lease rests on, for the runtime to time in milliseconds (src/runtime/lease.ts):
   * the newest heartbeat round (the `seq` of its Heartbeat messages) that a quorum of voters
   * echoed in this term; 'sole-voter' when no other node votes; null when this node may hold no
   * lease (not the leader, a transfer under way, the lease given up by TimeoutNow, or no round
   * echoed yet in this term).
   */
  leaseRound(): number | 'sole-voter' | null {
    if (this.role !== 'leader' || this.leadTransferee !== null || this.leaseVoidInTerm === this.term)
      return null;
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) return 'sole-voter';
    const round = majorityMatch(this.heartbeatAcks());
    return round > 0 ? round : null;
  }

  /**
   * Ticks since the heartbeat that a quorum acknowledged, the one the lease rests on, was sent:
   * how old this leader's proof of a majority is, for the scenario harness. Null without a lease.
   * A running node dates that round in milliseconds instead (leaseRound, src/runtime/lease.ts).
   */
  ticksSinceQuorumAck(): number | null {
    if (!this.leaseValid()) return null;
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) return 0;
    return this.ticks - (this.leaseUntilTick - this.electionTicks + LEASE_MARGIN_TICKS);
  }

  status(): RaftStatus {
    const progress = new Map<NodeId, { match: number; next: number; state: string }>();
    for (const [id, pr] of this.progress)
      progress.set(id, { match: pr.match, next: pr.next, state: pr.state });
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      snapshotIndex: this.log.snapshotIndex(),
      lease: this.leaseValid(),
      conf: this.conf,
      progress,
    };
  }

  /** Read-only access to the log for checkers and tests. */
  entryAt(index: number): Entry | undefined {
    return this.log.entry(index);
  }

  termAt(index: number): number | undefined {
    return this.log.term(index);
  }

  latestSnapshot(): Snapshot | null {
    return this.log.snapshot;
  }

  // ---- roles --------------------------------------------------------------------------------

  private becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    // Neither the term nor the vote changes: a pre-candidate that loses leaves no trace.
    this.role = 'pre-candidate';
    this.leader = null;
    this.votes.clear();
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.leaseUntilTick = -1;
    this.heartbeatSentAt.clear();
    this.role = 'leader';
    this.leader = this.id;
    // Elected within an election timeout of the previous leader's message only by a transfer it
    // started (TimeoutNow), which gave its lease up: the promise to it is void.
    this.leaderHeard = null;
    const last = this.log.lastIndex();
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      const pr = new Progress(last + 1, this.conf.learners.includes(id));
      if (id === this.id) {
        pr.match = last;
        pr.becomeReplicate();
      }
      this.progress.set(id, pr);
    }
    // Entries of earlier terms may include an unapplied conf change; wait for all of them.
    this.pendingConfIndex = last;
    this.appendAsLeader('noop', '');
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.votes.clear();
    this.progress.clear();
    this.leadTransferee = null;
    this.failPendingReads();
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTicks + Math.floor(this.random() * this.electionTicks);
  }

  private promotable(): boolean {
    return this.conf.voters.includes(this.id) && this.log.pendingSnapshot === null && !this.abstaining;
  }

  /** Whether this node refuses to vote and to campaign (RaftConfig.abstain). */
  get abstains(): boolean {
    return this.abstaining;
  }

  setAbstain(on: boolean): void {
    this.abstaining = on;
  }

  // ---- elections ----------------------------------------------------------------------------

  private campaign(kind: 'pre' | 'normal' | 'transfer', transferFrom?: NodeId): void {
    if (kind === 'pre') this.becomePreCandidate();
    else this.becomeCandidate();
    const type = kind === 'pre' ? 'PreVote' : 'Vote';
    const term = kind === 'pre' ? this.term + 1 : this.term;
    this.votes.set(this.id, true);
    if (this.checkElection()) return;
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      const m: VoteRequest = {
        type,
        from: this.id,
        to: id,
        term,
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        ...(kind === 'transfer' && transferFrom ? { transfer: transferFrom } : {}),
      };
      this.msgs.push(m);
    }
  }

  /** Returns true when the election finished (won or lost). */
  private checkElection(): boolean {
    const result = tallyVotes(this.conf.voters, this.votes);
    if (result === 'won') {
      if (this.role === 'pre-candidate') this.campaign('normal');
      else this.becomeLeader();
      return true;
    }
    if (result === 'lost') {
      this.becomeFollower(this.term, null);
      return true;
    }
    return false;
  }

  /**
   * Check-quorum lease: a voter that heard from a leader within an election timeout ignores
   * vote requests. A node that just started cannot know whether it did, so it waits one
   * election timeout too: the leader's lease (see `lease`) counts on this.
   */
  private inLease(m: VoteRequest): boolean {
    // A transfer overrides the lease only when it comes from our own leader's term: that leader
    // gave its lease up when it sent TimeoutNow. A stale TimeoutNow cannot depose a later leader.
    if (m.transfer !== undefined && m.transfer === this.leader && m.term === this.term + 1) return false;
    if (this.ticks < this.electionTicks) return true;
    if (this.leader !== null && this.electionElapsed < this.electionTicks) return true;
    return this.heardLeaderRecently(m);
  }

  /**
   * A leader's message arrived less than an election timeout ago. A higher term that names no
   * leader (a candidate rejecting our pre-vote) makes this node forget that leader, but not the
   * promise its acknowledgement made to the leader's lease: no vote for anyone in that window
   * (simulator seed 9960949: a vote 3 ms after an echoed heartbeat, in the term a rejection
   * had just brought). A transfer the leader itself started is the one exception.
   */
  private heardLeaderRecently(m: VoteRequest): boolean {
    const heard = this.leaderHeard;
    if (heard === null || this.ticks - heard.tick >= this.electionTicks) return false;
    return !(m.transfer !== undefined && m.transfer === heard.id && m.term === heard.term + 1);
  }

  /**
   * The leader's lease: a quorum acknowledged a heartbeat sent at tick t, and no voter grants a
   * vote within electionTicks of receiving it, so until t + electionTicks (less a margin for
   * clock-rate differences) no other leader can exist. Only then may the leader act on Redis.
   */
  private leaseValid(): boolean {
    if (this.role !== 'leader' || this.leadTransferee !== null || this.leaseVoidInTerm === this.term)
      return false;
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) return true;
    return this.ticks < this.leaseUntilTick;
  }

  /** The newest heartbeat round each voter echoed (this leader: its latest). */
  private heartbeatAcks(): number[] {
    return this.conf.voters.map((id) =>
      id === this.id ? this.heartbeatSeq : (this.progress.get(id)?.heartbeatAcked ?? 0),
    );
  }

  private extendLease(): void {
    const seq = majorityMatch(this.heartbeatAcks());
    const sentAt = this.heartbeatSentAt.get(seq);
    if (sentAt !== undefined)
      this.leaseUntilTick = Math.max(this.leaseUntilTick, sentAt + this.electionTicks - LEASE_MARGIN_TICKS);
  }

  private handleVoteRequest(m: VoteRequest): void {
    const pre = m.type === 'PreVote';
    const canVote =
      !this.abstaining &&
      (this.vote === m.from ||
        (!this.heardLeaderRecently(m) &&
          ((this.vote === null && this.leader === null) || (pre && m.term > this.term))) ||
        (!pre && this.bugs.doubleVote === true && this.leader === null));
    const upToDate =
      (pre && this.bugs.preVoteSkipsLogCheck === true) || this.log.isUpToDate(m.lastIndex, m.lastTerm);
    const respType = pre ? 'PreVoteResp' : 'VoteResp';
    if (canVote && upToDate) {
      // A pre-vote is answered in the candidate's future term so that it counts it.
      this.send({ type: respType, to: m.from, reject: false }, m.term);
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, reject: true });
    }
  }

  private handleVoteResponse(type: 'PreVoteResp' | 'VoteResp', from: NodeId, reject: boolean): void {
    const wanted =
      this.role === 'pre-candidate' ? 'PreVoteResp' : this.role === 'candidate' ? 'VoteResp' : null;
    if (type !== wanted) return;
    this.votes.set(from, !reject);
    this.checkElection();
  }

  // ---- follower side of replication ---------------------------------------------------------

  private handleAppend(m: AppendRequest): void {
    if (m.prevIndex < this.log.committed) {
      this.ackCommitted(m.from);
      return;
    }
    if (this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      const lastNew = this.log.appendAfter(m.prevIndex, m.entries);
      this.log.commitTo(Math.min(m.commit, lastNew));
      this.send({ type: 'AppResp', to: m.from, index: lastNew, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const hintIndex = this.log.findConflictByTerm(Math.min(m.prevIndex, this.log.lastIndex()), m.prevTerm);
    const hintTerm = this.log.term(hintIndex) ?? 0;
    this.send({ type: 'AppResp', to: m.from, index: m.prevIndex, reject: true, hintIndex, hintTerm });
  }

  /** Tells the leader that everything up to our commit index is here (it was sent before). */
  private ackCommitted(to: NodeId): void {
    this.send({ type: 'AppResp', to, index: this.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
  }

  private handleHeartbeat(m: Heartbeat): void {
    // The leader sends min(match, commit), so this never commits past what matches its log.
    if (m.commit > this.log.committed && m.commit <= this.log.lastIndex()) this.log.commitTo(m.commit);
    this.send({ type: 'HeartbeatResp', to: m.from, readCtx: m.readCtx, seq: m.seq });
  }

  private handleSnapshot(m: InstallSnapshot): void {
    const meta = m.snapshot.meta;
    if (meta.index <= this.log.committed) {
      this.ackCommitted(m.from);
      return;
    }
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already hold that prefix: commit up to it and vouch for nothing beyond. Our entries
      // after it were not checked against the leader's log by this exchange (etcd-io/raft
      // answers `committed` here too); acknowledging lastIndex() would let the leader count them.
      this.log.commitTo(meta.index);
      this.ackCommitted(m.from);
      return;
    }
    this.log.restore(m.snapshot);
    this.conf = meta.conf;
    this.send({
      type: 'AppResp',
      to: m.from,
      index: this.log.lastIndex(),
      reject: false,
      hintIndex: 0,
      hintTerm: 0,
    });
  }

  // ---- leader side of replication -----------------------------------------------------------

  private stepLeaderResponse(
    m: AppendResponse | { type: 'HeartbeatResp'; from: NodeId; readCtx: number; seq: number },
  ): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.type === 'HeartbeatResp') {
      if (m.seq > pr.heartbeatAcked) {
        pr.heartbeatAcked = m.seq;
        this.extendLease();
      }
      this.handleHeartbeatResponse(m.from, pr, m.readCtx);
      return;
    }
    if (m.reject) {
      const hint = m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm) : m.hintIndex;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused(this.maxInflight);
    // An ack at the match of a probing follower still proves where its log matches (etcd does
    // the same): without it, a follower that already held everything stays paused in probe.
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
    else if (pr.state === 'replicate') pr.freeInflightTo(m.index);

    if (this.maybeCommit()) {
      this.broadcastAppend();
    } else if (wasPaused) {
      // It was paused when the commit index moved on: tell it now (etcd's oldPaused).
      this.sendAppend(m.from);
    }
    while (!pr.isPaused(this.maxInflight) && pr.next <= this.log.lastIndex()) {
      if (!this.sendAppend(m.from)) break;
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResponse(from: NodeId, pr: Progress, readCtx: number): void {
    pr.probeSent = false;
    const stalled =
      pr.state === 'replicate' && pr.match < this.log.lastIndex() && pr.match === pr.matchAtLastHeartbeat;
    pr.stalledHeartbeats = stalled ? pr.stalledHeartbeats + 1 : 0;
    if (pr.stalledHeartbeats >= 2) {
      // No progress across two heartbeat rounds while entries are outstanding: appends were lost.
      pr.becomeProbe();
      pr.stalledHeartbeats = 0;
    }
    pr.matchAtLastHeartbeat = pr.match;
    if (pr.match < this.log.lastIndex()) this.sendAppend(from);
    if (readCtx > 0) {
      for (const read of this.readOnly.ack(from, readCtx, (acks) => this.hasQuorum(acks))) {
        this.releaseRead(read.origin, read.readId, read.index);
      }
    }
  }

  /** Sends one append (or a snapshot) to `to`. False when nothing could be sent. */
  private sendAppend(to: NodeId): boolean {
    const pr = this.progress.get(to);
    if (!pr || to === this.id || pr.isPaused(this.maxInflight)) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxBatchEntries);
    if (prevTerm === undefined || entries === undefined) {
      const snapshot = this.log.snapshot;
      if (!snapshot) return false;
      pr.becomeSnapshot(snapshot.meta.index);
      this.send({ type: 'Snap', to, snapshot });
      return true;
    }
    this.send({ type: 'App', to, prevIndex, prevTerm, entries, commit: this.log.committed });
    pr.sentAppend(prevIndex + entries.length, entries.length);
    return true;
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private broadcastHeartbeat(readCtx: number): void {
    const seq = ++this.heartbeatSeq;
    this.heartbeatSentAt.set(seq, this.ticks);
    this.heartbeatSentAt.delete(seq - 4 * this.electionTicks);
    // A sole voter is its own quorum: its learners hear a majority in every round.
    const round = this.leaseRound();
    const quorumSeq = round === 'sole-voter' ? seq : (round ?? 0);
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      const commit = Math.min(pr.match, this.log.committed);
      const leaderCommit = this.log.committed;
      this.send({ type: 'Heartbeat', to: id, commit, readCtx, seq, quorumSeq, leaderCommit });
    }
  }

  private maybeCommit(): boolean {
    const matches = this.conf.voters.map((id) => this.progress.get(id)?.match ?? 0);
    const index = majorityMatch(matches);
    if (index <= this.log.committed) return false;
    // The current-term rule (Raft paper 5.4.2): count replicas only for entries of this term.
    if (this.log.term(index) !== this.term && this.bugs.commitOldTerm !== true) return false;
    this.log.commitTo(index);
    if (this.committedInTerm()) this.releaseReadsWaitingForCommit();
    return true;
  }

  private appendAsLeader(kind: EntryKind, data: string): { index: number; term: number } {
    this.mustLead();
    if (this.leadTransferee !== null && kind !== 'noop') {
      throw new RaftError('transfer_in_progress', `leadership is moving to ${this.leadTransferee}`);
    }
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, kind, data };
    this.log.append(entry);
    const self = this.progress.get(this.id);
    if (self) self.maybeUpdate(entry.index);
    this.maybeCommit();
    this.broadcastAppend();
    return { index: entry.index, term: entry.term };
  }

  private quorumActive(): boolean {
    const active = new Set<NodeId>([this.id]);
    for (const [id, pr] of this.progress) {
      if (pr.recentActive) active.add(id);
      pr.recentActive = false;
    }
    return this.hasQuorum(active);
  }

  private hasQuorum(ids: ReadonlySet<NodeId>): boolean {
    let n = 0;
    for (const id of this.conf.voters) if (ids.has(id)) n++;
    return n >= quorumSize(this.conf.voters.length);
  }

  /** This term's first entry (a leader's no-op) is committed: the commit index is known. */
  committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /** This term's first entry is applied: nothing an earlier leader committed is missing. */
  appliedInTerm(): boolean {
    return this.log.term(this.log.applied) === this.term;
  }

  // ---- reads --------------------------------------------------------------------------------

  private readIndexFor(origin: NodeId, readId: number): void {
    if (this.bugs.readWithoutQuorum === true) {
      this.releaseRead(origin, readId, this.log.committed);
      return;
    }
    if (!this.committedInTerm()) {
      // Until its no-op commits, a new leader does not know the commit index (Raft paper 8).
      this.readOnly.waitForCommit(origin, readId);
      return;
    }
    this.startRead(origin, readId);
  }

  private startRead(origin: NodeId, readId: number): void {
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) {
      this.releaseRead(origin, readId, this.log.committed);
      return;
    }
    const ctx = this.readOnly.add(origin, readId, this.log.committed, this.id);
    this.broadcastHeartbeat(ctx);
  }

  private releaseReadsWaitingForCommit(): void {
    for (const w of this.readOnly.takeWaiting()) this.startRead(w.origin, w.readId);
  }

  private releaseRead(origin: NodeId, readId: number, index: number): void {
    if (origin === this.id) this.readStates.push({ id: readId, index });
    else this.send({ type: 'ReadIndexResp', to: origin, readId, index });
  }

  private failPendingReads(): void {
    for (const r of this.readOnly.drain()) this.releaseRead(r.origin, r.readId, -1);
  }

  // ---- membership ---------------------------------------------------------------------------

  private applyConfChange(change: ConfChange): void {
    this.conf = nextConf(this.conf, change);
    if (this.role === 'leader') {
      if (!this.conf.voters.includes(this.id)) {
        this.becomeFollower(this.term, null); // removed: hand over by letting others elect
        return;
      }
      this.syncProgressWithConf();
      if (this.maybeCommit()) this.broadcastAppend();
    }
  }

  private syncProgressWithConf(): void {
    const members = new Set([...this.conf.voters, ...this.conf.learners]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const learner = this.conf.learners.includes(id);
      const pr = this.progress.get(id);
      if (!pr) {
        const fresh = new Progress(this.log.lastIndex() + 1, learner);
        fresh.recentActive = true; // give a new member one check-quorum round to show up
        this.progress.set(id, fresh);
        this.sendAppend(id);
      } else if (pr.isLearner !== learner) {
        const promoted = Object.assign(new Progress(pr.next, learner), pr, { isLearner: learner });
        this.progress.set(id, promoted);
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private send(m: DistributiveOmit<Message, 'from' | 'term'>, term = this.term): void {
    // Every caller passes a fresh literal: completing it in place gives the same message as a
    // spread copy (same fields, same order) without copying one per message of every shape.
    const msg = m as DistributiveOmit<Message, 'from' | 'term'> & { from?: NodeId; term?: number };
    msg.from = this.id;
    msg.term = term;
    this.msgs.push(msg as Message);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.leaseVoidInTerm = this.term; // the target may now win votes that ignore our lease
    this.send({ type: 'TimeoutNow', to });
  }

  private mustLead(): void {
    if (this.role !== 'leader') {
      throw new RaftError(
        'not_leader',
        this.leader ? `not the leader; the leader is ${this.leader}` : 'no leader',
      );
    }
  }

  private hardState(): HardState {
    let vote = this.vote;
    if (this.bugs.voteNotPersisted === true && this.prevHard.vote !== vote) {
      vote = this.prevHard.term === this.term ? this.prevHard.vote : null;
    }
    return { term: this.term, vote, commit: this.log.committed };
  }

  private hardStateChanged(): boolean {
    const h = this.hardState();
    return (
      h.term !== this.prevHard.term || h.vote !== this.prevHard.vote || h.commit !== this.prevHard.commit
    );
  }

  private softState(): SoftState {
    return { leader: this.leader, role: this.role, term: this.term };
  }

  private softChanged(): boolean {
    const s = this.prevSoft;
    return s.leader !== this.leader || s.role !== this.role || s.term !== this.term;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function validateConfChange(conf: ConfState, change: ConfChange): string | null {
  if (change.type === 'bootstrap') return 'bootstrap is only written at cluster creation';
  const isVoter = conf.voters.includes(change.id);
  const isLearner = conf.learners.includes(change.id);
  switch (change.type) {
    case 'addLearner':
      return isVoter || isLearner ? `${change.id} is already a member` : null;
    case 'promote':
      return isLearner ? null : `${change.id} is not a learner`;
    case 'remove':
      if (!isVoter && !isLearner) return `${change.id} is not a member`;
      return isVoter && conf.voters.length === 1 ? 'cannot remove the last voter' : null;
  }
}

export function nextConf(conf: ConfState, change: ConfChange): ConfState {
  const voters = conf.voters.filter((id) => change.type === 'bootstrap' || id !== change.id);
  const learners = conf.learners.filter((id) => change.type === 'bootstrap' || id !== change.id);
  switch (change.type) {
    case 'bootstrap':
      return { voters: [...change.voters], learners: [] };
    case 'addLearner':
      return { voters, learners: [...learners, change.id] };
    case 'promote':
      return { voters: [...voters, change.id], learners };
    case 'remove':
      return { voters, learners };
  }
}
