// Durable storage for one simulated node: the production FileStorage (src/storage) over an
// in-memory file system (sim-fs.ts), so the simulator exercises the real record encoding,
// write order and recovery, with the real unit of atomicity (one WAL record per Ready). It
// survives the node's crashes; a crash drops whatever the file system had not made durable.
//
// Storage faults, each seed drawing its own mix (drawStorageMix):
//   - a crash point inside a save or a snapshot write: the n-th file-system call of that save
//     throws SimulatedCrash, cutting it between any two of its steps;
//   - lost and torn unsynced writes at every crash (sim-fs.ts);
//   - a full disk for a while: writes fail with ENOSPC after writing part of their bytes.
// A save that fails makes the node die, as the node process does (the error is not caught):
// cluster code calls guardStorageFaults around everything that can reach a save.
import type { Entry, HardState, Snapshot } from '../../src/raft/types.js';
import type { RaftPersistedState, RaftStorage } from '../../src/runtime/ports.js';
import type { StorageBugs } from '../../src/storage/bugs.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import type { Clock } from '../../src/runtime/ports.js';
import { RaftinelError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { Prng } from './prng.js';
import { SimFs, SimulatedCrash } from './sim-fs.js';

const DATA_DIR = '/data';
/**
 * A crash point falls on one of the first this-many file-system calls of a save, or just after
 * its last: an append makes 2 (write, fsync), a snapshot save about 12.
 */
const APPEND_CALLS = 2;
const SNAPSHOT_CALLS = 13;
/** How much likelier a crash point is in a save that carries a configuration entry. */
const RISKY_SAVE_FACTOR = 25;

export interface StorageMix {
  /** Chance that a save carries a crash point (which may fall after the save's last call). */
  readonly crashInSaveRate: number;
  /** Chance, at each fault tick, that a node's disk fills for a while. */
  readonly diskFullRate: number;
}

export const NO_STORAGE_FAULTS: StorageMix = { crashInSaveRate: 0, diskFullRate: 0 };

export function drawStorageMix(r: Prng): StorageMix {
  return {
    crashInSaveRate: r.chance(0.6) ? 0.002 + r.float() * 0.03 : 0,
    diskFullRate: r.chance(0.3) ? 0.05 + r.float() * 0.2 : 0,
  };
}

export function describeStorageMix(m: StorageMix): string {
  return `storage: crashInSave=${(m.crashInSaveRate * 100).toFixed(1)}% diskFull=${(m.diskFullRate * 100).toFixed(1)}%`;
}

/** Whether err is the death of the process by a storage fault (a crash point or a failed write). */
export function isStorageDeath(err: unknown): boolean {
  return (
    err instanceof SimulatedCrash ||
    (err instanceof RaftinelError && (err.code === 'storage_failed' || err.code === 'storage_closed'))
  );
}

/**
 * Runs fn; a storage death inside it is reported to `died` instead of escaping into the
 * scheduler (the node process would exit there). Anything else is rethrown.
 */
export function guardStorageFaults(fn: () => void, died: (err: Error) => void): void {
  try {
    fn();
  } catch (err) {
    if (!isStorageDeath(err)) throw err;
    died(err as Error);
  }
}

/** The clock with every callback guarded (the runtime's drains run on it). */
export function guardedClock(clock: Clock, died: (err: Error) => void): Clock {
  const g =
    (fn: () => void): (() => void) =>
    () =>
      guardStorageFaults(fn, died);
  return {
    now: () => clock.now(),
    every: (ms, fn) => clock.every(ms, g(fn)),
    after: (ms, fn) => clock.after(ms, g(fn)),
    defer: (fn) => clock.defer(g(fn)),
  };
}

export class SimStorage implements RaftStorage {
  readonly fs: SimFs;
  private store: FileStorage | null = null;
  private savesCut = 0;

  constructor(
    private readonly r: Prng = new Prng(1),
    private readonly mix: StorageMix = NO_STORAGE_FAULTS,
    /** Faults are injected only in the safety phase. */
    private readonly faultsOn: () => boolean = () => false,
    private readonly bugs: StorageBugs = {},
  ) {
    this.fs = new SimFs(() => r.float());
  }

  /** How many saves a crash point cut short so far. */
  get crashesInSave(): number {
    return this.savesCut;
  }

  load(): RaftPersistedState {
    return this.open().load();
  }

  save(hardState: HardState | null, entries: readonly Entry[], snapshot: Snapshot | null = null): void {
    // Aimed at the riskiest saves too: one that carries a configuration entry (a crash that
    // kept it and lost the commit index saved with it made a node campaign under an old one).
    const risky = entries.some((e) => e.kind === 'conf');
    this.faulty(
      snapshot === null ? APPEND_CALLS : SNAPSHOT_CALLS,
      () => this.open().save(hardState, entries, snapshot),
      risky ? RISKY_SAVE_FACTOR : 1,
    );
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.faulty(SNAPSHOT_CALLS, () => this.open().saveSnapshot(snapshot), 1);
  }

  /** The stored term at index (or the snapshot's), for the log-matching checker. */
  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    return this.open().termAt(index);
  }

  get hardState(): HardState {
    return this.open().load().hardState;
  }

  get snapshot(): Snapshot | null {
    return this.open().load().snapshot;
  }

  /** The runtime does not own the storage; a restarted node reopens it (load). */
  close(): void {}

  /** The process died: open files are gone, and the disk keeps what it made durable. */
  crash(): void {
    this.store = null;
    this.fs.crash();
  }

  setDiskFull(full: boolean): void {
    this.fs.full = full;
  }

  private open(): FileStorage {
    if (this.store === null) this.store = FileStorage.open(DATA_DIR, silentLogger(), this.fs, this.bugs);
    return this.store;
  }

  private faulty(calls: number, save: () => void, factor: number): void {
    const armed = this.faultsOn() && this.r.chance(Math.min(0.5, this.mix.crashInSaveRate * factor));
    if (armed) this.fs.crashBeforeOp = this.fs.ops + 1 + this.r.int(0, calls);
    try {
      save();
    } catch (err) {
      // The storage reports any failed call as storage_failed; a crash point is a death instead.
      const crash = this.fs.fired;
      if (crash === null) throw err;
      this.savesCut++;
      throw crash;
    } finally {
      if (armed) this.fs.crashBeforeOp = null;
    }
  }
}
