// Virtual time for the whole simulated cluster: one event queue ordered by (time, sequence).
// Each node gets a Clock whose callbacks die with the node when it crashes.
import type { Cancel, Clock } from '../../src/runtime/ports.js';

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  /** Touches no raftinel node's Raft state (fake Redis, probes): the Raft checks may skip it. */
  readonly quiet: boolean;
  cancelled: boolean;
}

export class Scheduler {
  now = 0;
  private seq = 0;
  private heap: Event[] = [];

  /** Events scheduled so far (for the run's fingerprint). */
  get scheduled(): number {
    return this.seq;
  }

  at(time: number, run: () => void, quiet = false): Cancel {
    const ev: Event = { at: Math.max(time, this.now), seq: this.seq++, run, quiet, cancelled: false };
    this.push(ev);
    return () => {
      ev.cancelled = true;
    };
  }

  /** Runs events up to `until`, calling `afterEach` after every event that is not quiet. */
  runUntil(until: number, afterEach: () => void): void {
    while (this.heap.length > 0 && this.heap[0].at <= until) {
      const ev = this.pop();
      if (ev.cancelled) continue;
      this.now = ev.at;
      ev.run();
      if (!ev.quiet) afterEach();
    }
    this.now = until;
  }

  /**
   * A clock for one node incarnation: `alive()` false drops its pending callbacks. A quiet
   * clock's events are quiet (see Event.quiet): only for code that never touches Raft state.
   * `late()` is how many sim ms each timer firing comes late (timer-faults.ts); an interval
   * restarts from when its callback ran, as Node's setInterval does, so lateness accumulates.
   */
  clockFor(
    alive: () => boolean,
    rate = 1,
    quiet = false,
    pausedUntil: () => number = () => 0,
    late: () => number = () => 0,
  ): Clock {
    // A paused process (SIGSTOP) runs nothing until it resumes; then every timer that came due
    // fires once, in order, while its monotonic clock has moved on.
    const held = (run: () => void): (() => void) => {
      const attempt = (): void => {
        if (!alive()) return;
        const until = pausedUntil();
        if (this.now < until) this.at(until, attempt, quiet);
        else run();
      };
      return attempt;
    };
    return {
      now: () => this.now * rate,
      every: (intervalMs, fn) => {
        let cancelled = false;
        const period = intervalMs / rate;
        const loop = held(() => {
          if (cancelled) return;
          fn();
          this.at(this.now + period + late(), loop, quiet);
        });
        this.at(this.now + period + late(), loop, quiet);
        return () => {
          cancelled = true;
        };
      },
      after: (delayMs, fn) => this.at(this.now + delayMs / rate + late(), held(fn), quiet),
      defer: (fn) => {
        this.at(this.now, held(fn), quiet);
      },
    };
  }

  // A binary heap moved by holes rather than swaps: the queue sees every event of a run.
  private push(ev: Event): void {
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(ev, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = ev;
  }

  private pop(): Event {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as Event;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && before(h[r], h[l]) ? r : l;
        if (!before(h[m], last)) break;
        h[i] = h[m];
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
