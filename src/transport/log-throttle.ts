// A misconfigured peer redials every couple of seconds; one warning per minute per cause is
// enough for an operator, the rest go to debug.

const WINDOW_MS = 60_000;
// Bounded like everything fed by the network: past this many keys the memory starts over.
const MAX_KEYS = 1024;

export class LogThrottle {
  readonly #last = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** True when a warning for `key` has not been let through in the last minute. */
  allow(key: string): boolean {
    const now = this.#now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < WINDOW_MS) return false;
    if (this.#last.size >= MAX_KEYS) this.#last.clear();
    this.#last.set(key, now);
    return true;
  }
}
