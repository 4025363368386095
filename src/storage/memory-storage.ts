// RaftStorage in memory, for unit tests and the simulator. The interface is synchronous and every
// call is durable on return, so durability here is simply keeping copies: a simulated crash hands
// the same instance to the restarted node, which load()s what was saved. Copies go in and out so
// that no caller can change stored state by mutating an object after the fact.
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import type { RaftPersistedState, RaftStorage } from '../runtime/ports.js';
import { entriesToAppend, outOfDateSnapshot, snapshotKeepsSuffix } from './append.js';
import { copySnapshot } from './snapshot-copy.js';

export class MemoryStorage implements RaftStorage {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private snapshot: Snapshot | null = null;
  /** Entries after the snapshot, contiguous. */
  private entries: Entry[] = [];

  /** Starts from `initial` (e.g. a state captured from another store), or empty. */
  constructor(initial?: RaftPersistedState) {
    if (initial === undefined) return;
    this.hardState = copyHardState(initial.hardState);
    if (initial.snapshot !== null) this.saveSnapshot(initial.snapshot);
    this.save(null, initial.entries);
  }

  load(): RaftPersistedState {
    return {
      hardState: copyHardState(this.hardState),
      snapshot: this.snapshot === null ? null : copySnapshot(this.snapshot),
      entries: this.entries.map(copyEntry),
    };
  }

  save(hardState: HardState | null, entries: readonly Entry[], snapshot: Snapshot | null = null): void {
    if (snapshot !== null) this.saveSnapshot(snapshot);
    const toAppend = entriesToAppend(entries, this.snapshotIndex(), this.lastIndex());
    if (toAppend.length > 0) {
      const keep = Math.max(0, toAppend[0].index - this.snapshotIndex() - 1);
      this.entries = this.entries.slice(0, keep).concat(toAppend.map(copyEntry));
    }
    if (hardState !== null) this.hardState = copyHardState(hardState);
  }

  saveSnapshot(snapshot: Snapshot): void {
    const current = this.snapshotIndex();
    if (snapshot.meta.index < current) throw outOfDateSnapshot(snapshot.meta.index, current);
    const keep = snapshotKeepsSuffix((i) => this.termAt(i), snapshot);
    this.entries = keep ? this.entries.filter((e) => e.index > snapshot.meta.index) : [];
    this.snapshot = copySnapshot(snapshot);
  }

  /** Nothing to release; the instance stays loadable so a restarted node can reuse it. */
  close(): void {}

  private snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  private lastIndex(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].index : this.snapshotIndex();
  }

  private termAt(index: number): number | undefined {
    if (this.snapshot !== null && index === this.snapshot.meta.index) return this.snapshot.meta.term;
    return this.entries[index - this.snapshotIndex() - 1]?.term;
  }
}

function copyEntry(e: Entry): Entry {
  return { index: e.index, term: e.term, kind: e.kind, data: e.data };
}

function copyHardState(h: HardState): HardState {
  return { term: h.term, vote: h.vote, commit: h.commit };
}
