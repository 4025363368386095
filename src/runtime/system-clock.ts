// The real clock: monotonic time from performance.now(), timers from Node's event loop.
import type { Clock } from './ports.js';

export const systemClock: Clock = {
  now: () => performance.now(),
  every(intervalMs, fn) {
    const t = setInterval(fn, intervalMs);
    return () => clearInterval(t);
  },
  after(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    return () => clearTimeout(t);
  },
  defer(fn) {
    setImmediate(fn);
  },
};
