// The external lease checker, run after every event: it judges the leader lease as nodes report
// it, at every instant, not only when a Redis command is sent (failover-checkers.ts does that).
// - Lease: no node reports a valid lease while a leader of a higher term has been elected
//   (the failover driver, the hooks and the sidecar all act on that report).
// - Contact Age: a node that led an older term never reports its last majority contact as more
//   recent than the election of a later term. The sidecar fences its Redis once that age
//   reaches fenceAfterMs (src/sidecar), so an understated age is a fence that lifts too early,
//   whatever fenceAfterMs is. The age is read on the node's own clock, so the bound allows for
//   a slow clock (MAX_CLOCK_DRIFT).
import { MAX_CLOCK_DRIFT } from '../../src/runtime/lease.js';
import type { RaftRuntime } from '../../src/runtime/raft-runtime.js';
import { InvariantViolation } from './checkers.js';

export class LeaseChecker {
  /**
   * The terms that had a leader, in the order first seen, with when: sim time never goes back,
   * so the first leader of the terms above T is the earliest of them in this list.
   */
  private readonly electedTerms: number[] = [];
  private readonly electedTimes: number[] = [];
  private readonly elected = new Set<number>();
  private maxLeaderTerm = 0;
  checks = 0;

  /** After every event, over the running nodes. Allocates nothing unless a check fails. */
  check(now: number, runtimes: readonly RaftRuntime[]): void {
    this.checks++;
    for (const runtime of runtimes) {
      const s = runtime.core;
      if (s.role !== 'leader' || this.elected.has(s.term)) continue;
      this.elected.add(s.term);
      this.electedTerms.push(s.term);
      this.electedTimes.push(now);
      this.maxLeaderTerm = Math.max(this.maxLeaderTerm, s.term);
    }
    for (const runtime of runtimes) {
      const s = runtime.core;
      const term = s.term;
      if (term >= this.maxLeaderTerm) continue;
      if (runtime.leaseValid()) {
        throw new InvariantViolation(
          'Lease',
          `${runtime.id} (${s.role}, term ${term}) reports a valid lease ${now - this.firstElectedAfter(term)} ms after ` +
            `a leader of a later term was elected (term ${this.maxLeaderTerm} has a leader)`,
        );
      }
      if (s.role !== 'leader') continue;
      const age = runtime.msSinceMajorityContact();
      const laterSince = this.firstElectedAfter(term);
      const atLeast = (now - laterSince) * (1 - MAX_CLOCK_DRIFT);
      if (age < atLeast) {
        throw new InvariantViolation(
          'Contact Age',
          `${runtime.id} (leader of term ${term}) dates its last majority contact ${age.toFixed(1)} ms ago, ` +
            `but a later term's leader was elected ${now - laterSince} ms ago`,
        );
      }
    }
  }

  /** When the first leader of a term above `term` was seen (the list is in time order). */
  private firstElectedAfter(term: number): number {
    for (let i = 0; i < this.electedTerms.length; i++)
      if (this.electedTerms[i] > term) return this.electedTimes[i];
    return Infinity;
  }
}
