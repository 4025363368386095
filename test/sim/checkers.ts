// Invariant checkers, external to the code under test: they look only at what a node persists,
// applies and puts on the wire, and at its status, and they hold the five Raft safety
// properties (Raft paper, Figure 3), vote discipline and the linearizable read model.
// They know nothing of the bug switches.
import type { RaftStatus } from '../../src/raft/raft.js';
import type { Entry, Message, NodeId, Ready, Role } from '../../src/raft/types.js';

/** What the checkers read of a node's Raft core after every event (RaftCore is one). */
export interface CoreView {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  commitIndex(): number;
  snapshotIndex(): number;
  termAt(index: number): number | undefined;
}

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

interface Committed {
  readonly term: number;
  readonly data: string;
}

export class RaftCheckers {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** (index, term) -> the previous entry's term and this entry's data: Log Matching by induction. */
  private readonly entryShape = new Map<string, string>();
  /** index -> entry, for every entry any node applied. */
  private readonly committed = new Map<number, Committed>();
  private readonly lastApplied = new Map<NodeId, number>();
  private readonly leaderLast = new Map<NodeId, { term: number; last: number }>();
  private readonly wasLeader = new Map<NodeId, number>();
  /** The highest commit index any node has had, and per index up to it: the term in which it
   * was committed, and the term of the entry committed there (undefined: not known). */
  private highestCommit = 0;
  private readonly commitTerm: number[] = [];
  private readonly entryTerm: (number | undefined)[] = [];
  /** "voter|term" -> candidate granted, as seen on the wire. */
  private readonly votesGranted = new Map<string, NodeId>();
  /** "voter|candidate|term|type" -> should the voter have refused, judged when the request arrived. */
  private readonly voteShouldRefuse = new Map<string, string | null>();

  /**
   * After every event: at most one leader per term (Election Safety), and Leader Completeness:
   * an entry committed in term T is in the log of every leader of a term after T (Raft paper,
   * Figure 3). Only after: a leader of an earlier term may be elected late (its votes were
   * delayed) after a later term committed an entry it lacks, and that is no violation (seeds
   * 900592 and 908441 raised that false alarm when every leader was held to every commit).
   * Incremental: an event that elected nobody and committed nothing new costs a glance per node.
   */
  checkCores(cores: readonly CoreView[]): void {
    for (const c of cores) {
      if (c.commitIndex() > this.highestCommit) this.recordCommits(c, cores);
    }
    for (const c of cores) {
      if (c.role !== 'leader') continue;
      const known = this.leaderOfTerm.get(c.term);
      if (known === undefined) this.leaderOfTerm.set(c.term, c.id);
      else if (known !== c.id)
        throw new InvariantViolation('Election Safety', `term ${c.term} has leaders ${known} and ${c.id}`);
      if (this.wasLeader.get(c.id) !== c.term) {
        this.wasLeader.set(c.id, c.term);
        this.checkLeaderCompleteness(c, 1);
      }
    }
  }

  /**
   * The first node seen with a commit index past every other's moved it: a leader, in its term
   * (followers only learn a commit index from a leader; the checks run after every event).
   * Those entries were committed in that term: from now on every leader of a later term, the
   * ones leading already included, must hold them.
   */
  private recordCommits(c: CoreView, cores: readonly CoreView[]): void {
    const from = this.highestCommit + 1;
    const commit = c.commitIndex();
    for (let index = from; index <= commit; index++) {
      this.commitTerm[index] = c.term;
      this.entryTerm[index] = c.termAt(index);
    }
    this.highestCommit = commit;
    for (const l of cores) {
      if (l.role === 'leader' && l.term > c.term) this.checkLeaderCompleteness(l, from);
    }
  }

  /** A leader's log holds every entry from `from` on that was committed in an earlier term. */
  private checkLeaderCompleteness(c: CoreView, from: number): void {
    for (let index = Math.max(from, c.snapshotIndex() + 1); index <= this.highestCommit; index++) {
      const term = this.entryTerm[index];
      if (term === undefined || this.commitTerm[index] >= c.term) continue;
      const t = c.termAt(index);
      if (t !== term) {
        throw new InvariantViolation(
          'Leader Completeness',
          `${c.id} leads term ${c.term} without entry ${index} (term ${term}), committed in term ` +
            `${this.commitTerm[index]}; it has term ${t}`,
        );
      }
    }
  }

  /** What a node makes durable: Leader Append-Only and Log Matching. */
  persisted(id: NodeId, rd: Ready, termBefore: (index: number) => number | undefined): void {
    if (rd.entries.length === 0) return;
    const first = rd.entries[0].index;
    if (rd.soft.role === 'leader') {
      const prev = this.leaderLast.get(id);
      if (prev && prev.term === rd.soft.term && first <= prev.last) {
        throw new InvariantViolation(
          'Leader Append-Only',
          `${id} rewrote index ${first} while leading term ${prev.term}`,
        );
      }
      this.leaderLast.set(id, { term: rd.soft.term, last: rd.entries[rd.entries.length - 1].index });
    }
    let prevTerm = termBefore(first - 1);
    for (const e of rd.entries) {
      const key = `${e.index}:${e.term}`;
      const shape = `${prevTerm}|${e.kind}|${e.data}`;
      const seen = this.entryShape.get(key);
      if (seen === undefined) this.entryShape.set(key, shape);
      else if (seen !== shape) {
        throw new InvariantViolation(
          'Log Matching',
          `${id}: entry ${key} is "${shape}" here, "${seen}" elsewhere`,
        );
      }
      prevTerm = e.term;
    }
  }

  /** State Machine Safety: every node applies the same entry at each index, in order. */
  applied(id: NodeId, entry: Entry): void {
    const last = this.lastApplied.get(id);
    if (last !== undefined && entry.index !== last + 1) {
      throw new InvariantViolation('State Machine Safety', `${id} applied ${entry.index} after ${last}`);
    }
    this.lastApplied.set(id, entry.index);
    const c = this.committed.get(entry.index);
    if (c === undefined) this.committed.set(entry.index, { term: entry.term, data: entry.data });
    else if (c.term !== entry.term || c.data !== entry.data) {
      throw new InvariantViolation(
        'State Machine Safety',
        `${id} applied ${entry.index}@${entry.term} "${entry.data}", another node ${entry.index}@${c.term} "${c.data}"`,
      );
    }
  }

  /** A node restored a snapshot: it continues applying after the snapshot's index. */
  restored(id: NodeId, index: number): void {
    this.lastApplied.set(id, index);
  }

  /** A node restarted: it replays from its snapshot. */
  restarted(id: NodeId, snapshotIndex: number): void {
    this.lastApplied.set(id, snapshotIndex);
  }

  /** A vote request reaches a voter: judge now, from the voter's log, whether it must refuse. */
  voteRequestDelivered(m: Message, voter: RaftStatus): void {
    if (m.type !== 'PreVote' && m.type !== 'Vote') return;
    const upToDate =
      m.lastTerm > voter.lastTerm || (m.lastTerm === voter.lastTerm && m.lastIndex >= voter.lastIndex);
    const key = `${m.to}|${m.from}|${m.term}|${m.type}`;
    // A duplicate may arrive while the voter's log differs: a grant is fine if any copy allowed it.
    if (upToDate || this.voteShouldRefuse.get(key) === null) this.voteShouldRefuse.set(key, null);
    else
      this.voteShouldRefuse.set(
        key,
        `log (${m.lastTerm},${m.lastIndex}) is behind the voter's (${voter.lastTerm},${voter.lastIndex})`,
      );
  }

  /** On the wire: grants only to up-to-date candidates (5.4.1), one vote per term per node (5.2). */
  sent(id: NodeId, messages: readonly Message[]): void {
    for (const m of messages) {
      if ((m.type !== 'VoteResp' && m.type !== 'PreVoteResp') || m.reject) continue;
      const reqType = m.type === 'VoteResp' ? 'Vote' : 'PreVote';
      const refuse = this.voteShouldRefuse.get(`${id}|${m.to}|${m.term}|${reqType}`);
      if (refuse)
        throw new InvariantViolation(
          'Vote Restriction',
          `${id} granted a ${reqType} to ${m.to} whose ${refuse}`,
        );
      if (m.type !== 'VoteResp') continue;
      const key = `${id}|${m.term}`;
      const prior = this.votesGranted.get(key);
      if (prior === undefined) this.votesGranted.set(key, m.to);
      else if (prior !== m.to) {
        throw new InvariantViolation(
          'One Vote Per Term',
          `${id} voted for ${prior} and ${m.to} in term ${m.term}`,
        );
      }
    }
  }
}

/**
 * A counter replicated through the log, checked as a linearizable object: a read must see
 * every write acknowledged before it began, and nothing that had not been issued when it ended.
 */
export class CounterModel {
  private issued = 0;
  private acknowledgedMax = 0;
  reads = 0;
  writesAcked = 0;

  writeIssued(): void {
    this.issued++;
  }

  writeAcked(value: number): void {
    this.writesAcked++;
    this.acknowledgedMax = Math.max(this.acknowledgedMax, value);
  }

  /** Call when the read is issued; call the returned function with the value read. */
  readIssued(): (value: number) => void {
    const mustSee = this.acknowledgedMax;
    return (value) => {
      this.reads++;
      if (value < mustSee) {
        throw new InvariantViolation(
          'Linearizable Read',
          `read ${value}, but write ${mustSee} was acknowledged before the read began`,
        );
      }
      if (value > this.issued) {
        throw new InvariantViolation(
          'Linearizable Read',
          `read ${value}, but only ${this.issued} writes were ever issued`,
        );
      }
    };
  }
}
