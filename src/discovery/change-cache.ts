// Views and metrics computed once per change, not once per request (issue 12). A request for
// SENTINEL MASTERS, /v1/shards or /metrics costs as much as the fleet is large; computed per
// request, a client polling them makes the node's CPU grow with clients x fleet. A change of
// the applied topology or of an observation's meaning recomputes on the next request; numbers
// that move without a change of meaning (offsets, ages of the last reply) are at most
// `maxAgeMs` old, about what Sentinel's own INFO refresh gives them.

/** Counts changes: views built at one generation are good until the next. */
export class ViewChanges {
  private gen = 0;

  /** A change of the applied topology or of an observation's meaning. */
  changed(): void {
    this.gen++;
  }

  get generation(): number {
    return this.gen;
  }
}

export const VIEW_MAX_AGE_MS = 1000;

export class ChangeCache<T> {
  private value: T | undefined;
  private builtAt = -Infinity;
  private builtGen = -1;
  /** How many times the view was computed (tests count it). */
  computations = 0;

  constructor(
    private readonly changes: ViewChanges,
    private readonly compute: () => T,
    private readonly now: () => number = () => performance.now(),
    private readonly maxAgeMs = VIEW_MAX_AGE_MS,
  ) {}

  get(): T {
    const now = this.now();
    if (
      this.value === undefined ||
      this.builtGen !== this.changes.generation ||
      now - this.builtAt >= this.maxAgeMs
    ) {
      this.builtGen = this.changes.generation;
      this.builtAt = now;
      this.computations++;
      this.value = this.compute();
    }
    return this.value;
  }
}
