// The observer's own pulse (TILT, docs/design.md 4.2). The prober's timer should fire every tick; when
// it fires late, this process was not running (GC pause, CPU starvation, SIGSTOP of raftinel
// itself) and its view of "no reply for downAfterMs" cannot be trusted for a while. Pure: the
// caller passes monotonic time in.
import type { Stall } from './observe.js';

const MAX_STALLS = 64;

/**
 * Lateness up to this is the ordinary jitter of a busy event loop; beyond it the observer was not
 * running, and the excess is not counted as a node's silence (observe.ts, stalledMs).
 */
export const STALL_FLOOR_MS = 50;

export class StallTracker {
  private lastTickAt: number;
  private readonly stalls: Stall[] = [];

  constructor(
    private tickMs: number,
    now: number,
  ) {
    this.lastTickAt = now;
  }

  setTickMs(ms: number): void {
    this.tickMs = ms;
  }

  /** The timer fired at `now`: record its lateness if over `floorMs`, dropping stalls older than `keepMs`. */
  tick(now: number, floorMs: number, keepMs: number): void {
    const late = now - this.lastTickAt - this.tickMs;
    this.lastTickAt = now;
    if (late > floorMs) this.stalls.push({ endedAt: now, ms: late });
    while (
      this.stalls.length > 0 &&
      (now - this.stalls[0].endedAt > keepMs || this.stalls.length > MAX_STALLS)
    )
      this.stalls.shift();
  }

  /**
   * Recorded stalls plus the one in progress: an I/O callback that runs after a long pause, but
   * before the late timer, must already see it.
   */
  recent(now: number): readonly Stall[] {
    const pending = now - this.lastTickAt - this.tickMs;
    return pending > 0 ? [...this.stalls, { endedAt: now, ms: pending }] : this.stalls;
  }
}
