// Polling with a hang guard. Deadlines here are never speed claims (docs/design.md 9): callers pass
// ten times the expected time or more, and a timeout names what was awaited and the last value.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class WaitTimeout extends Error {
  constructor(what: string, timeoutMs: number, last: unknown) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${describe(last)}`);
    this.name = 'WaitTimeout';
  }
}

/** Thrown by a probe to stop waiting at once (the process it polls has died). */
export class StopWaiting extends Error {
  override name = 'StopWaiting';
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.slice(0, 500);
  } catch {
    return String(value);
  }
}

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined, and returns
 * that. A probe that throws counts as "not yet" (a node that is still starting refuses
 * connections); the last error is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 25;
  let last: unknown = undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = value;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      last = err;
    }
    if (performance.now() >= deadline) throw new WaitTimeout(what, options.timeoutMs, last);
    await sleep(interval);
  }
}
