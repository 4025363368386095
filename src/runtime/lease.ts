// Time where safety depends on it: the leader's lease, measured in milliseconds on the
// monotonic clock (the runtime's Clock port), never by counting ticks. Ticks come from timers,
// and timers run late (a loaded event loop, a GC pause): a lease of 8 ticks held ~530 ms in the
// simulator when each 50 ms tick came up to 24 ms late, while the followers, whose window is
// 10 ticks of their own, had elected a new leader. The derivation is in docs/design.md section 2.

/**
 * The most any node's monotonic clock may run fast or slow against true time (a rate, not an
 * offset): the lease is derived under this bound, and the simulator draws each node's clock
 * rate within it. Quartz oscillators and NTP slewing stay within 0.05%; 3% leaves room for
 * virtualised clocks and is what the simulator has always drawn.
 */
export const MAX_CLOCK_DRIFT = 0.03;

export interface LeaseTiming {
  readonly tickMs: number;
  readonly electionTicks: number;
}

/**
 * The shortest time a follower can take, on its own clock, between hearing a heartbeat and
 * granting a vote: the core refuses votes until electionTicks ticks have passed since it reset
 * its election count on that heartbeat, and the first of those ticks may fall right after the
 * reset, so only electionTicks - 1 whole tick periods are certain (ticks are never early:
 * catchUpTicks).
 */
export function voteWindowMs(t: LeaseTiming): number {
  return (t.electionTicks - 1) * t.tickMs;
}

/**
 * How long after sending a heartbeat round that a quorum echoed the leader may act as the only
 * leader, on its own clock. Each voter of that quorum received the round after it was sent and
 * refuses votes for voteWindowMs on its clock, at least voteWindowMs / (1 + d) of true time; the
 * leader's clock shows L after at most L / (1 - d) of true time. So L = voteWindowMs x (1 - d) /
 * (1 + d) ends first, and one tick less covers what the model leaves out (when a callback reads
 * the clock against when its message really left or arrived).
 */
export function leaseDurationMs(t: LeaseTiming, maxDrift = MAX_CLOCK_DRIFT): number {
  return (voteWindowMs(t) * (1 - maxDrift)) / (1 + maxDrift) - t.tickMs;
}

/**
 * The ticks a timer callback owes the core: one per whole tick period since the last tick
 * counted, never rounded up (a tick before its time would let an election timer fire early),
 * never rounded down and forgotten (late timers would slow the core's clock). Past maxTicks
 * every timer of the core has run out at least once, so the rest is dropped rather than replayed.
 */
export function catchUpTicks(
  lastTickAt: number,
  now: number,
  tickMs: number,
  maxTicks: number,
): { readonly ticks: number; readonly lastTickAt: number } {
  const due = Math.floor((now - lastTickAt) / tickMs);
  if (due <= 0) return { ticks: 0, lastTickAt };
  if (due <= maxTicks) return { ticks: due, lastTickAt: lastTickAt + due * tickMs };
  return { ticks: maxTicks, lastTickAt: now - ((now - lastTickAt) % tickMs) };
}
