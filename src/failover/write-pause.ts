// A switchover's write pause (docs/design.md 4.7) as a chain of short `CLIENT PAUSE WRITE`s that
// the leader renews: when the leader dies, the old master takes writes again within one pause,
// about two election timeouts, instead of a whole failoverTimeoutMs.
// The chain is only as good as its weakest link: a renewal answered after the previous pause may
// have run out leaves a gap in which the old master took writes the target never saw. Seeds 281
// and 853 lost writes that way when a renewed pause was first tried, so the chain records when
// it provably held, and the switchover promotes only on evidence read while it did. Pure: every
// time is the leader's monotonic ms, given by the caller.

/** How long each CLIENT PAUSE lasts; never longer than the failover timeout. */
export const WRITE_PAUSE_MS = 1000;

export interface WritePauseTiming {
  /** The `ms` of each CLIENT PAUSE WRITE. */
  readonly pauseMs: number;
  /** A renewal goes out this long after the last one was sent. */
  readonly renewEveryMs: number;
  /**
   * Taken off each pause's end: Redis times the pause on its own clock, which may run faster
   * than the leader's, and the pause starts when Redis runs the command, not before it is sent.
   */
  readonly marginMs: number;
  /** The demotion of the old master is sent only with at least this much pause still held. */
  readonly demoteLeftMs: number;
}

export function writePauseTiming(failoverTimeoutMs: number): WritePauseTiming {
  const pauseMs = Math.max(100, Math.min(WRITE_PAUSE_MS, failoverTimeoutMs));
  return {
    pauseMs,
    renewEveryMs: Math.floor(pauseMs / 4),
    marginMs: Math.max(Math.ceil(pauseMs / 10), 20),
    demoteLeftMs: Math.floor(pauseMs / 2),
  };
}

/**
 * One switchover's chain of pauses. `heldUntil` is when the last acknowledged pause ends at the
 * earliest; as long as each renewal is acknowledged before that, the old master has refused
 * writes without a gap since the first acknowledgement (a CLIENT PAUSE runs before its answer
 * arrives, and Redis never shortens a pause that is already running).
 */
export class WritePause {
  /** The first acknowledged pause was sent then; null until it is acknowledged. */
  startedAt: number | null = null;
  /** Until then the pause provably holds without a gap since startedAt; null before. */
  heldUntil: number | null = null;
  /** Why the chain can no longer be trusted (failed, or answered too late); null while it holds. */
  broken: string | null = null;
  /** The old master was demoted: the chain is no longer needed and is not renewed. */
  done = false;
  private pending: { readonly opId: number; readonly sentAt: number } | null = null;
  private lastSentAt = -Infinity;

  constructor(readonly timing: WritePauseTiming) {}

  /** The operation id of the pause in flight, or null. */
  get pendingOpId(): number | null {
    return this.pending?.opId ?? null;
  }

  /** A CLIENT PAUSE went out. */
  sent(opId: number, now: number): void {
    this.pending = { opId, sentAt: now };
    this.lastSentAt = now;
  }

  /** The pause in flight was answered (or given up), seen at `now`: no earlier than it arrived. */
  answered(ok: boolean, error: string | undefined, now: number): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (this.broken !== null || this.done) return;
    if (!ok) {
      this.broken = `CLIENT PAUSE failed: ${error ?? 'no answer'}`;
      return;
    }
    const until = p.sentAt + this.timing.pauseMs - this.timing.marginMs;
    const previous = this.heldUntil ?? until;
    if (now > previous) {
      this.broken = `a CLIENT PAUSE was acknowledged ${Math.ceil(now - previous)} ms after the pause before it may have run out`;
      return;
    }
    this.startedAt ??= p.sentAt;
    this.heldUntil = Math.max(this.heldUntil ?? until, until);
  }

  /** Time passes: a chain not renewed in time is broken (unless the old master was demoted). */
  check(now: number): void {
    if (this.broken === null && !this.done && this.heldUntil !== null && now > this.heldUntil) {
      this.broken = `the write pause ran out ${Math.ceil(now - this.heldUntil)} ms before a renewal was acknowledged`;
    }
  }

  /** The pause holds now and for at least `leftMs` more. */
  holds(now: number, leftMs = 0): boolean {
    return this.broken === null && this.heldUntil !== null && now + leftMs <= this.heldUntil;
  }

  /** A renewal should go out now. */
  renewDue(now: number): boolean {
    return (
      this.broken === null &&
      !this.done &&
      this.heldUntil !== null &&
      this.pending === null &&
      now - this.lastSentAt >= this.timing.renewEveryMs
    );
  }
}
