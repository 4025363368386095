// Known Raft bugs behind test-only switches. They exist to prove that the simulator's external
// checkers catch them (issue 3, item 8); production code never sets them. Each switch names
// the bug it re-creates, not a symptom, and no checker looks at these flags.
export interface RaftBugs {
  /** Commit an entry of an older term by counting replicas (Raft paper, Figure 8). */
  commitOldTerm?: boolean;
  /** Grant a second vote in a term that was already voted in. */
  doubleVote?: boolean;
  /** Answer a vote without persisting it: after a restart the node may vote again. */
  voteNotPersisted?: boolean;
  /** Grant a pre-vote without checking that the candidate's log is up to date. */
  preVoteSkipsLogCheck?: boolean;
  /** A leader answers ReadIndex at once, without a heartbeat round confirming it still leads. */
  readWithoutQuorum?: boolean;
  /** The runtime sends a Ready's messages before it persists the Ready (runtime switch). */
  sendBeforePersist?: boolean;
}

export const bugNames = [
  'commitOldTerm',
  'doubleVote',
  'voteNotPersisted',
  'preVoteSkipsLogCheck',
  'readWithoutQuorum',
  'sendBeforePersist',
] as const satisfies readonly (keyof RaftBugs)[];

export type BugName = (typeof bugNames)[number];
