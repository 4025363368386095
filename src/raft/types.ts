// The vocabulary of the Raft core: entries, hard state, snapshots, messages, the Ready batch.
// Plain data only, so that storage and transport can serialize it as JSON.

export type NodeId = string;

/** What kind of entry: `noop` is committed by every new leader (section 5.4.2 of the Raft paper). */
export type EntryKind = 'normal' | 'noop' | 'conf';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  /** Opaque to the core: a JSON command for `normal`, a ConfChange for `conf`, empty for `noop`. */
  readonly data: string;
}

/** Persisted before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/** Membership: voters decide; learners receive the log but neither vote nor count for quorum. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * One membership change at a time (Raft dissertation section 4.1). `bootstrap` is entry 1 of
 * every cluster, written identically by each initial voter, so that a node joining later
 * learns the first membership from the log like any other change.
 */
export type ConfChange =
  | { readonly type: 'bootstrap'; readonly voters: readonly NodeId[]; readonly context?: string }
  | { readonly type: 'addLearner' | 'promote' | 'remove'; readonly id: NodeId; readonly context?: string };

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The state machine, serialized by the application. */
  readonly data: string;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface VoteRequest extends MessageBase {
  readonly type: 'PreVote' | 'Vote';
  readonly lastIndex: number;
  readonly lastTerm: number;
  /**
   * Set when the election follows a leadership transfer: the leader that sent TimeoutNow.
   * Voters whose leader is that node, one term back, skip the lease check (its lease is void).
   */
  readonly transfer?: NodeId;
}
export interface VoteResponse extends MessageBase {
  readonly type: 'PreVoteResp' | 'VoteResp';
  readonly reject: boolean;
}
export interface AppendRequest extends MessageBase {
  readonly type: 'App';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}
export interface AppendResponse extends MessageBase {
  readonly type: 'AppResp';
  /** On success: the last index now matching the leader. On reject: the index probed. */
  readonly index: number;
  readonly reject: boolean;
  /** On reject: the follower's hint for the next probe (last index with term <= hintTerm). */
  readonly hintIndex: number;
  readonly hintTerm: number;
}
export interface Heartbeat extends MessageBase {
  readonly type: 'Heartbeat';
  readonly commit: number;
  /** ReadIndex round this heartbeat confirms leadership for (0: none). */
  readonly readCtx: number;
  /** Heartbeat round, echoed in the response: a quorum of echoes extends the leader's lease. */
  readonly seq: number;
  /**
   * The newest round a quorum echoed, which this leader's lease rests on (0: none). A follower
   * dates its contact with a majority by when it heard that round, not by this message: a leader
   * cut off with a minority keeps sending until check-quorum deposes it. Absent from nodes of
   * older versions.
   */
  readonly quorumSeq?: number;
  /**
   * The leader's commit index (`commit` is capped at what the follower is known to hold): a
   * follower whose log has not reached it is behind, and serves no reads from its applied state.
   * Absent from nodes of older versions.
   */
  readonly leaderCommit?: number;
}
export interface HeartbeatResponse extends MessageBase {
  readonly type: 'HeartbeatResp';
  readonly readCtx: number;
  readonly seq: number;
}
export interface InstallSnapshot extends MessageBase {
  readonly type: 'Snap';
  readonly snapshot: Snapshot;
}
export interface TimeoutNow extends MessageBase {
  readonly type: 'TimeoutNow';
}

/** A follower asks the leader to confirm a read (ReadIndex, Raft dissertation section 6.4). */
export interface ReadIndexRequest extends MessageBase {
  readonly type: 'ReadIndex';
  readonly readId: number;
}
/** `index` -1: refused (the leader has not committed an entry in its term yet). */
export interface ReadIndexResponse extends MessageBase {
  readonly type: 'ReadIndexResp';
  readonly readId: number;
  readonly index: number;
}

export type Message =
  | ReadIndexRequest
  | ReadIndexResponse
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow;

export type MessageType = Message['type'];

/**
 * A ReadIndex answer: once the state machine has applied `index`, the read `id` may be served.
 * `index` -1 means the read was refused (no leader, or the leader was not ready).
 */
export interface ReadState {
  readonly id: number;
  readonly index: number;
}

export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
  readonly term: number;
}

/**
 * What the core asks of its runtime, handled in this order (docs/design.md section 2):
 * persist `snapshot`, `entries` and `hardState` (fsync) -> send `messages` ->
 * apply `snapshot` then `committed` -> hand `readStates` out -> `advance()`.
 */
export interface Ready {
  readonly soft: SoftState;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly committed: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
}

export class RaftError extends Error {
  constructor(
    readonly code:
      'not_leader' | 'conf_change_pending' | 'transfer_in_progress' | 'bad_conf_change' | 'too_large',
    message: string,
  ) {
    super(message);
  }
  override get name(): string {
    return 'RaftError';
  }
}
