// A known storage bug behind a test-only switch, to prove that the scenario harness and the
// simulator catch it (as src/raft/bugs.ts does for the core); production code never sets it.
export interface StorageBugs {
  /**
   * The unit of atomicity before the WAL: a Ready's entries are made durable first and its hard
   * state in a second write, so a crash between the two keeps a configuration entry and loses
   * the commit index covering the one before it.
   */
  hardStateApart?: boolean;
}
