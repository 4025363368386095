// Durable storage for one simulated node. It survives the node's crashes; what the runtime
// had not saved yet (its in-memory state) is what a crash loses.
import type { RaftPersistedState, RaftStorage } from '../../src/runtime/ports.js';
import type { Entry, HardState, Snapshot } from '../../src/raft/types.js';

export class SimStorage implements RaftStorage {
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  load(): RaftPersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  save(hardState: HardState | null, entries: readonly Entry[]): void {
    if (entries.length > 0) {
      const first = entries[0].index;
      const keep = this.entries.filter((e) => e.index < first);
      const base = this.snapshot?.meta.index ?? 0;
      if (first > base + keep.length + 1) throw new Error(`sim storage: gap before ${first}`);
      this.entries = [...keep, ...entries];
    }
    if (hardState) this.hardState = hardState;
  }

  saveSnapshot(snapshot: Snapshot): void {
    if (this.snapshot && snapshot.meta.index <= this.snapshot.meta.index) return;
    // Keep the suffix only when it continues the snapshot's history (Raft paper, Figure 13).
    const keep = this.termAt(snapshot.meta.index) === snapshot.meta.term;
    this.snapshot = snapshot;
    this.entries = keep ? this.entries.filter((e) => e.index > snapshot.meta.index) : [];
  }

  /** The term of the stored entry at index (or of the snapshot), for the log-matching checker. */
  termAt(index: number): number | undefined {
    if (this.snapshot && index === this.snapshot.meta.index) return this.snapshot.meta.term;
    if (index === 0) return 0;
    return this.entries.find((e) => e.index === index)?.term;
  }

  close(): void {}
}
