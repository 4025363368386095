// The three seams of the runtime loop. The node process plugs in a file store, TCP and the
// system clock; the simulator plugs in fakes. The loop itself is the same code in both.
import type { Entry, HardState, Message, NodeId, Snapshot } from '../raft/types.js';

/** What a node finds on disk when it starts. */
export interface RaftPersistedState {
  readonly hardState: HardState;
  /** Latest snapshot, or null when none was ever taken. */
  readonly snapshot: Snapshot | null;
  /** Entries after the snapshot, in index order, without gaps. */
  readonly entries: readonly Entry[];
}

/**
 * Durable Raft storage. Every method is synchronous and returns only when the data is
 * durable (fsync), so whatever the runtime does next may rely on it.
 */
export interface RaftStorage {
  load(): RaftPersistedState;
  /**
   * Persists one Ready as one unit: installs the snapshot if given (as saveSnapshot), appends
   * the entries (an entry whose index is already stored replaces it and everything after it),
   * then writes the hard state if given. Durable on return; a crash part-way keeps all of it
   * or none of it (a configuration entry must never outlive the commit index saved with it).
   */
  save(hardState: HardState | null, entries: readonly Entry[], snapshot?: Snapshot | null): void;
  /** Installs a snapshot: stores it and drops every entry up to its index. Durable on return. */
  saveSnapshot(snapshot: Snapshot): void;
  close(): void;
}

/** Where Raft messages (and later, observations) go. Delivery is best effort, unordered. */
export interface RaftTransport {
  send(message: Message): void;
  /** Called for every message that arrives for this node. */
  onMessage(handler: (message: Message) => void): void;
  /** The committed membership changed: only these ids may be talked to or heard from. */
  setMembers(members: ReadonlyMap<NodeId, string>): void;
  close(): Promise<void>;
}

export interface Cancel {
  (): void;
}

export interface EveryOptions {
  /** The timer alone does not keep the process alive (Node's unref). */
  readonly unref?: boolean;
}

/** Monotonic time and scheduling. The simulator's clock is virtual and driven by its seed. */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /**
   * Runs fn every intervalMs until cancelled. The first run may come early: the system clock runs
   * all repeating timers of one interval on one timer.
   */
  every(intervalMs: number, fn: () => void, options?: EveryOptions): Cancel;
  /** Runs fn once after delayMs. */
  after(delayMs: number, fn: () => void): Cancel;
  /** Runs fn soon, after the current call stack, in FIFO order. */
  defer(fn: () => void): void;
}
