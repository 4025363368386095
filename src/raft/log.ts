// The in-memory Raft log: a snapshot offset, the entries after it, and three watermarks.
//   snapshot.index <= applied <= committed <= lastIndex, and stable marks what storage holds.
// Entries after `stable` are handed to the runtime to persist; entries in (applied, committed]
// are handed to it to apply.
import type { Entry, Snapshot, SnapshotMeta } from './types.js';

export class RaftLog {
  private snapIndex: number;
  private snapTerm: number;
  private entries: Entry[];
  /** The latest snapshot with its data: sent to followers that are too far behind. */
  snapshot: Snapshot | null;
  /** A snapshot received from the leader, not yet persisted and applied. */
  pendingSnapshot: Snapshot | null = null;
  committed: number;
  applied: number;
  stable: number;

  constructor(snapshot: Snapshot | null, entries: readonly Entry[], committed: number) {
    this.snapshot = snapshot;
    this.snapIndex = snapshot?.meta.index ?? 0;
    this.snapTerm = snapshot?.meta.term ?? 0;
    this.entries = entries.filter((e) => e.index > this.snapIndex);
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i].index !== this.snapIndex + 1 + i) throw new Error('raft log: entries have a gap');
    }
    this.stable = this.lastIndex();
    this.committed = Math.max(Math.min(committed, this.lastIndex()), this.snapIndex);
    this.applied = this.snapIndex;
  }

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  snapshotIndex(): number {
    return this.snapIndex;
  }

  /** The term of the entry at index, or undefined when compacted away or not yet written. */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapIndex - 1].term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries [lo, hi), at most maxCount of them; undefined when lo was compacted. */
  slice(lo: number, hi: number, maxCount: number): Entry[] | undefined {
    if (lo <= this.snapIndex) return undefined;
    const end = Math.min(hi, this.lastIndex() + 1, lo + maxCount);
    if (end <= lo) return [];
    return this.entries.slice(lo - this.snapIndex - 1, end - this.snapIndex - 1);
  }

  /** Is (lastTerm, lastIndex) at least as up to date as this log? (Raft paper 5.4.1) */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends entries that follow prevIndex, skipping those already present and truncating at
   * the first conflict. Returns the index of the last new entry.
   */
  appendAfter(prevIndex: number, incoming: readonly Entry[]): number {
    let i = 0;
    while (i < incoming.length && this.matchTerm(incoming[i].index, incoming[i].term)) i++;
    if (i === incoming.length) return prevIndex + incoming.length;
    const conflict = incoming[i].index;
    if (conflict <= this.committed) {
      throw new Error(`raft log: conflict at ${conflict} would overwrite committed ${this.committed}`);
    }
    this.truncateFrom(conflict);
    for (; i < incoming.length; i++) this.entries.push(incoming[i]);
    return this.lastIndex();
  }

  /** Appends entries that follow the last index (the leader's own proposals). */
  append(entry: Entry): void {
    if (entry.index !== this.lastIndex() + 1) throw new Error('raft log: append out of order');
    this.entries.push(entry);
  }

  private truncateFrom(index: number): void {
    this.entries.length = index - this.snapIndex - 1;
    if (this.stable >= index) this.stable = index - 1;
  }

  /**
   * For a rejected append: the largest index <= index whose term is <= term. The leader skips
   * a whole term per round trip instead of one entry (etcd's findConflictByTerm).
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.snapIndex; i--) {
      const t = this.term(i);
      if (t !== undefined && t <= term) return i;
    }
    return i;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex())
      throw new Error(`raft log: commit ${index} beyond last ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  unstableEntries(): Entry[] {
    return this.stable >= this.lastIndex() ? [] : this.entries.slice(this.stable - this.snapIndex);
  }

  /** Committed entries not yet applied (after the pending snapshot, if any). */
  committedToApply(): Entry[] {
    const from = Math.max(this.applied, this.pendingSnapshot?.meta.index ?? 0) + 1;
    if (from > this.committed) return [];
    return this.entries.slice(from - this.snapIndex - 1, this.committed - this.snapIndex);
  }

  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index > this.stable) this.stable = index;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.entries = [];
    this.snapIndex = snapshot.meta.index;
    this.snapTerm = snapshot.meta.term;
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
    this.committed = snapshot.meta.index;
    this.stable = snapshot.meta.index;
  }

  snapshotPersisted(meta: SnapshotMeta): void {
    if (this.pendingSnapshot?.meta.index === meta.index) {
      this.pendingSnapshot = null;
      this.applied = Math.max(this.applied, meta.index);
    }
  }

  /** Drops entries up to the applied snapshot index, which the state machine now covers. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    if (index > this.applied || index <= this.snapIndex) throw new Error('raft log: bad compaction index');
    this.entries = this.entries.slice(index - this.snapIndex);
    this.snapIndex = index;
    this.snapTerm = snapshot.meta.term;
    this.snapshot = snapshot;
  }
}
