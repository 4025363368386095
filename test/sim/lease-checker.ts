// The external lease checker, run after every event: it judges the leader lease as nodes report
// it, at every instant, not only when a Redis command is sent (failover-checkers.ts does that).
// - Lease: no node reports a valid lease while a leader of a higher term has been elected
//   (the failover driver, the hooks and the sidecar all act on that report).
// - Contact Age: a node that led an older term never reports its last majority contact as more
//   recent than the election of a later term. The sidecar fences its Redis once that age
//   reaches fenceAfterMs (src/sidecar), so an understated age is a fence that lifts too early,
//   whatever fenceAfterMs is. The age is read on the node's own clock, so the bound allows for
//   a slow clock (MAX_CLOCK_DRIFT).
import type { NodeId } from '../../src/raft/types.js';
import { MAX_CLOCK_DRIFT } from '../../src/runtime/lease.js';
import type { RaftRuntime } from '../../src/runtime/raft-runtime.js';
import { InvariantViolation } from './checkers.js';

export class LeaseChecker {
  /** Term -> sim ms at which a leader of it was first seen. */
  private readonly electedAt = new Map<number, number>();
  private maxLeaderTerm = 0;
  checks = 0;

  check(now: number, nodes: readonly { readonly id: NodeId; readonly runtime: RaftRuntime }[]): void {
    this.checks++;
    const views = nodes.map(({ id, runtime }) => {
      const s = runtime.core;
      return { id, term: s.term, role: s.role, runtime };
    });
    for (const v of views) {
      if (v.role !== 'leader' || this.electedAt.has(v.term)) continue;
      this.electedAt.set(v.term, now);
      this.maxLeaderTerm = Math.max(this.maxLeaderTerm, v.term);
    }
    for (const v of views) {
      if (v.term >= this.maxLeaderTerm) continue;
      const laterSince = this.firstElectedAfter(v.term);
      if (v.runtime.leaseValid()) {
        throw new InvariantViolation(
          'Lease',
          `${v.id} (${v.role}, term ${v.term}) reports a valid lease ${now - laterSince} ms after ` +
            `a leader of a later term was elected (term ${this.maxLeaderTerm} has a leader)`,
        );
      }
      if (v.role !== 'leader') continue;
      const age = v.runtime.msSinceMajorityContact();
      const atLeast = (now - laterSince) * (1 - MAX_CLOCK_DRIFT);
      if (age < atLeast) {
        throw new InvariantViolation(
          'Contact Age',
          `${v.id} (leader of term ${v.term}) dates its last majority contact ${age.toFixed(1)} ms ago, ` +
            `but a later term's leader was elected ${now - laterSince} ms ago`,
        );
      }
    }
  }

  /** When the first leader of a term above `term` was seen. */
  private firstElectedAfter(term: number): number {
    let first = Infinity;
    for (const [t, at] of this.electedAt) if (t > term) first = Math.min(first, at);
    return first;
  }
}
