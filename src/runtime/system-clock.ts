// The real clock: monotonic time from performance.now(), timers from Node's event loop.
//
// Repeating timers of the same interval share one Node timer (issue 12): the Raft tick, the
// prober's pulse and the failover loop all run every 100 ms, and the digests every 500 ms, so one
// wake-up of an idle process serves each group instead of one per component (and their messages
// to one peer leave in one write, transport/connection.ts).
import type { Cancel, Clock, EveryOptions } from './ports.js';

interface Pulse {
  readonly members: Set<() => void>;
  readonly timer: NodeJS.Timeout;
  /** Members that keep the process alive; the timer is unref'd when there are none. */
  held: number;
}

const pulses = new Map<number, Pulse>();

function runMembers(members: Set<() => void>): void {
  for (const fn of [...members]) {
    // Cancelled by an earlier member of this pulse: it must not run once more.
    if (!members.has(fn)) continue;
    // One member's exception must not skip the others in this pulse; it still reaches the process
    // as an uncaught exception, as it would from a timer of its own.
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

function joinPulse(intervalMs: number, fn: () => void, options: EveryOptions | undefined): Cancel {
  let pulse = pulses.get(intervalMs);
  if (!pulse) {
    const members = new Set<() => void>();
    pulse = { members, timer: setInterval(() => runMembers(members), intervalMs), held: 0 };
    pulse.timer.unref();
    pulses.set(intervalMs, pulse);
  }
  const joined = pulse;
  // A member of its own: the same function registered twice runs twice.
  const member = (): void => fn();
  const holds = options?.unref !== true;
  joined.members.add(member);
  if (holds && joined.held++ === 0) joined.timer.ref();
  return () => {
    if (!joined.members.delete(member)) return;
    if (holds && --joined.held === 0) joined.timer.unref();
    if (joined.members.size === 0) {
      clearInterval(joined.timer);
      pulses.delete(intervalMs);
    }
  };
}

export const systemClock: Clock = {
  now: () => performance.now(),
  every: joinPulse,
  after(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    return () => clearTimeout(t);
  },
  defer(fn) {
    setImmediate(fn);
  },
};
