// What a scenario node persists: the production FileStorage over the simulator's in-memory file
// system (test/sim/sim-fs.ts), so a scenario can crash a node in the middle of a save and see
// what the real storage keeps. A crash here is deterministic: whatever was not fsynced is lost.
import type { Entry, HardState, Ready, Snapshot } from '../../../src/raft/types.js';
import type { RaftPersistedState } from '../../../src/runtime/ports.js';
import type { StorageBugs } from '../../../src/storage/bugs.js';
import { FileStorage } from '../../../src/storage/file-storage.js';
import { silentLogger } from '../../../src/util/log.js';
import { SimFs } from '../../sim/sim-fs.js';

const DIR = '/data';

export class NodeStorage {
  private fs = new SimFs(() => 0);
  private store: FileStorage;
  /** Armed by crash-in-save: the node dies right after this many more fsyncs of its next save. */
  private crashAfterFsyncs: number | null = null;

  constructor(private readonly bugs: StorageBugs = {}) {
    this.store = FileStorage.open(DIR, silentLogger(), this.fs, bugs);
  }

  get hardState(): HardState {
    return this.store.load().hardState;
  }

  get snapshot(): Snapshot | null {
    return this.store.load().snapshot;
  }

  /** Entries after the snapshot. */
  get entries(): Entry[] {
    return [...this.store.load().entries];
  }

  save(hardState: HardState | null, entries: readonly Entry[], snapshot: Snapshot | null = null): void {
    this.store.save(hardState, entries, snapshot);
  }

  armCrash(afterFsyncs: number): void {
    this.crashAfterFsyncs = afterFsyncs;
  }

  /**
   * Persists a Ready as the runtime does (one save). With a crash armed, the process dies after
   * that many fsyncs of the save, or at its end if it makes fewer: the disk keeps only what
   * was fsynced, and the Ready goes no further. Returns the fsyncs made, or null if none armed.
   */
  persist(rd: Ready): number | null {
    const armed = this.crashAfterFsyncs;
    this.crashAfterFsyncs = null;
    if (armed === null) {
      if (rd.snapshot || rd.hardState || rd.entries.length > 0)
        this.save(rd.hardState, rd.entries, rd.snapshot);
      return null;
    }
    const before = this.fs.fsyncs;
    this.fs.crashAfterFsyncs = armed;
    try {
      this.save(rd.hardState, rd.entries, rd.snapshot);
    } catch (err) {
      if (this.fs.fired === null) throw err;
    }
    const made = this.fs.fsyncs - before;
    this.crash();
    return made;
  }

  /** What a backup of the data dir would hold now. */
  copy(): RaftPersistedState {
    return this.store.load();
  }

  /** The data dir replaced by `state` (a backup), or emptied (null). */
  replaceWith(state: RaftPersistedState | null): void {
    this.store.close();
    this.fs = new SimFs(() => 0);
    this.store = FileStorage.open(DIR, silentLogger(), this.fs, this.bugs);
    if (state !== null) this.store.save(state.hardState, state.entries, state.snapshot);
  }

  /** The process died: reopen from what the disk kept. */
  crash(): void {
    this.fs.crash('lost');
    this.store = FileStorage.open(DIR, silentLogger(), this.fs, this.bugs);
  }
}
