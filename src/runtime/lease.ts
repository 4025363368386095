// Time where safety depends on it: the leader's lease, measured in milliseconds on the
// monotonic clock (the runtime's Clock port), never in ticks.

/**
 * The most any node's monotonic clock may run fast or slow against true time (a rate, not an
 * offset): the lease is derived under this bound, and the simulator draws each node's clock
 * rate within it. Quartz oscillators and NTP slewing stay within 0.05%; 3% leaves room for
 * virtualised clocks and is what the simulator has always drawn.
 */
export const MAX_CLOCK_DRIFT = 0.03;
