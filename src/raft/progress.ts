// The leader's view of one follower (etcd's tracker.Progress), and the quorum arithmetic.
import type { NodeId } from './types.js';

/**
 * probe:     we do not know where the follower's log matches; one append per heartbeat.
 * replicate: the follower is caught up to `match`; appends are pipelined, at most maxInflight.
 * snapshot:  an InstallSnapshot is on its way; no appends until it is acknowledged or times out.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe state: an append was sent since the last heartbeat response. */
  probeSent = false;
  /** Last index of each append in flight (replicate state), oldest first. */
  inflight: number[] = [];
  pendingSnapshot = 0;
  snapshotTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** The newest heartbeat round this follower echoed (the leader's lease). */
  heartbeatAcked = 0;
  /** match when the previous heartbeat response arrived: unchanged means appends were lost. */
  matchAtLastHeartbeat = -1;
  /** Consecutive heartbeat responses with entries outstanding and no progress. */
  stalledHeartbeats = 0;

  constructor(
    next: number,
    readonly isLearner: boolean,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it (the follower holds it, or will reject and back off).
    this.next =
      this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.state = 'probe';
    this.probeSent = false;
    this.inflight = [];
    this.pendingSnapshot = 0;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.inflight = [];
    this.pendingSnapshot = 0;
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.snapshotTicks = 0;
    this.inflight = [];
  }

  /** An acknowledgment up to n. False when it tells us nothing new (duplicate or stale). */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of the append at `rejected`; `hint` is where the follower suggests to probe.
   * False when the rejection is stale (an older probe, or below what is known to match).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  sentAppend(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  freeInflightTo(index: number): void {
    let n = 0;
    while (n < this.inflight.length && this.inflight[n] <= index) n++;
    if (n > 0) this.inflight.splice(0, n);
  }

  isPaused(maxInflight: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= maxInflight;
      case 'snapshot':
        return true;
    }
  }
}

export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The highest index that a majority of voters have matched: the quorum-th largest match, the
 * largest value that at least a quorum of matches reach. Counted rather than sorted: it runs on
 * every acknowledgment and lease check, and a copy and a sort per call were most of its cost.
 */
export function majorityMatch(matches: readonly number[]): number {
  const n = matches.length;
  if (n === 0) return 0;
  const quorum = quorumSize(n);
  let best = -Infinity;
  for (let i = 0; i < n; i++) {
    const m = matches[i];
    if (m <= best) continue;
    let reached = 0;
    for (let j = 0; j < n; j++) if (matches[j] >= m) reached++;
    if (reached >= quorum) best = m;
  }
  return best;
}

export type VoteResult = 'won' | 'lost' | 'pending';

export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return 'won';
  if (rejected > voters.length - q) return 'lost';
  return 'pending';
}
