// Known failover bugs behind test-only switches, like src/raft/bugs.ts: they exist to prove that
// the simulator's external checkers catch each of them (docs/design.md 7, invariants 2-6). Production
// code never sets them; each switch names the bug it re-creates, and no checker reads them.
export interface FailoverBugs {
  /** Candidate choice ignores the replication id: a replica on another history may be promoted. */
  skipReplIdCheck?: boolean;
  /** REPLICAOF NO ONE goes out as soon as the leader decides, before FailoverStarted commits. */
  replicaofBeforeCommit?: boolean;
  /** Reconciliation points replicas at the master of the previous epoch instead of the committed one. */
  repointToLowerEpoch?: boolean;
  /** `+switch-master` is published when REPLICAOF NO ONE succeeds, before Promoted is applied. */
  publishBeforePromoted?: boolean;
  /** A switchover commits as soon as writes are paused, without waiting for the target to catch up. */
  switchoverSkipsCatchUp?: boolean;
}

export const failoverBugNames = [
  'skipReplIdCheck',
  'replicaofBeforeCommit',
  'repointToLowerEpoch',
  'publishBeforePromoted',
  'switchoverSkipsCatchUp',
] as const satisfies readonly (keyof FailoverBugs)[];

export type FailoverBugName = (typeof failoverBugNames)[number];
