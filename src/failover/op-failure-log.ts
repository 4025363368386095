// Which failed Redis operations the driver logs. The engine retries an operation on a node it
// cannot command for as long as that lasts (with a growing wait, repoint-retry.ts), and a line
// per attempt buried the log; the first failure is logged at once, the same failure again at
// most once per interval with the number held back, a different error at once, and the first
// success after failures once, with their count.

/** At most one line per node, operation and error within this long. */
export const FAILURE_LOG_INTERVAL_MS = 10_000;

export type FailureVerdict =
  | { readonly log: false }
  | { readonly log: true; /** Failures like it not logged since the last line. */ readonly heldBack: number };

interface Failing {
  error: string;
  loggedAt: number;
  heldBack: number;
  failures: number;
}

export class OpFailureLog {
  private readonly byKey = new Map<string, Failing>();

  constructor(private readonly intervalMs = FAILURE_LOG_INTERVAL_MS) {}

  /** An operation (`key`: node and operation) failed at monotonic `now`: log it? */
  failed(key: string, error: string, now: number): FailureVerdict {
    const f = this.byKey.get(key);
    if (!f) {
      this.byKey.set(key, { error, loggedAt: now, heldBack: 0, failures: 1 });
      return { log: true, heldBack: 0 };
    }
    f.failures++;
    if (f.error === error && now - f.loggedAt < this.intervalMs) {
      f.heldBack++;
      return { log: false };
    }
    const heldBack = f.heldBack;
    Object.assign(f, { error, loggedAt: now, heldBack: 0 });
    return { log: true, heldBack };
  }

  /** It succeeded: the number of failures in a row before it (0: nothing to tell). */
  succeeded(key: string): number {
    const f = this.byKey.get(key);
    this.byKey.delete(key);
    return f?.failures ?? 0;
  }
}
