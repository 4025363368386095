// ReadIndex bookkeeping on the leader (Raft dissertation section 6.4): each read records the
// commit index when it arrived and is released once a heartbeat round sent after it has been
// acknowledged by a quorum, which proves no newer leader existed at that moment.
import type { NodeId } from './types.js';

interface PendingRead {
  readonly ctx: number;
  readonly origin: NodeId;
  readonly readId: number;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

export interface ReleasedRead {
  readonly origin: NodeId;
  readonly readId: number;
  readonly index: number;
}

export class ReadOnly {
  private pending: PendingRead[] = [];
  private waiting: { origin: NodeId; readId: number }[] = [];
  private nextCtx = 1;

  /** Registers a read; returns the heartbeat context that confirms it. */
  add(origin: NodeId, readId: number, index: number, self: NodeId): number {
    const ctx = this.nextCtx++;
    this.pending.push({ ctx, origin, readId, index, acks: new Set([self]) });
    return ctx;
  }

  /** The newest context, piggybacked on regular heartbeats so that lost rounds are retried. */
  lastCtx(): number {
    return this.pending.length > 0 ? this.pending[this.pending.length - 1].ctx : 0;
  }

  /**
   * A heartbeat response acknowledging ctx also acknowledges every earlier read (they were
   * registered before that heartbeat was sent). Returns the reads now confirmed, oldest first.
   */
  ack(from: NodeId, ctx: number, isQuorum: (acks: ReadonlySet<NodeId>) => boolean): ReleasedRead[] {
    let confirmed = -1;
    for (let i = 0; i < this.pending.length && this.pending[i].ctx <= ctx; i++) {
      this.pending[i].acks.add(from);
      if (isQuorum(this.pending[i].acks)) confirmed = i;
    }
    if (confirmed < 0) return [];
    return this.pending
      .splice(0, confirmed + 1)
      .map(({ origin, readId, index }) => ({ origin, readId, index }));
  }

  waitForCommit(origin: NodeId, readId: number): void {
    this.waiting.push({ origin, readId });
  }

  takeWaiting(): { origin: NodeId; readId: number }[] {
    const w = this.waiting;
    this.waiting = [];
    return w;
  }

  /** Every read not yet answered: the leader is stepping down and must refuse them. */
  drain(): ReleasedRead[] {
    const out = [
      ...this.pending.map(({ origin, readId }) => ({ origin, readId, index: -1 })),
      ...this.waiting.map(({ origin, readId }) => ({ origin, readId, index: -1 })),
    ];
    this.pending = [];
    this.waiting = [];
    return out;
  }
}
