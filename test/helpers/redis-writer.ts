// A writer for failover tests: a loop of INCR on one key against whatever address `target()`
// names (the cluster's current master, or a fixed stale address), keeping every acknowledged
// reply. INCR replies are the counter's values, so acknowledged writes can be checked after the
// fact: a value acknowledged twice, or a final value below one acknowledged, means acknowledged
// writes were lost. Any error drops the connection and asks `target()` again (as a client that
// re-discovers the master does); nothing is retried behind the test's back.
import { Redis } from 'ioredis';
import { discardConnection } from '../../src/util/redis-connection.js';
import { sleep } from './wait.js';

export interface WriterAck {
  /** The counter's value this INCR produced. */
  readonly value: number;
  /** performance.now() when the reply arrived. */
  readonly at: number;
  /** "host:port" that acknowledged it. */
  readonly by: string;
}

export interface WriterOptions {
  readonly key: string;
  /** Where to write now; a rejection means "no master known yet" (asked again shortly). */
  readonly target: () => Promise<{ host: string; port: number }>;
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Pause between writes in ms (default 1; 0: back to back, which costs a whole core). */
  readonly intervalMs?: number;
}

export class IncrWriter {
  readonly acks: WriterAck[] = [];
  errors = 0;
  lastError: string | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private client: Redis | null = null;

  constructor(private readonly options: WriterOptions) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.drop();
  }

  /** The highest acknowledged value, or 0. */
  get maxAcked(): number {
    let max = 0;
    for (const a of this.acks) if (a.value > max) max = a.value;
    return max;
  }

  /** Acknowledged by a given "host:port" after a moment (performance.now()). */
  ackedBy(address: string, after = -Infinity): WriterAck[] {
    return this.acks.filter((a) => a.by === address && a.at > after);
  }

  /** Resolves once `n` more writes have been acknowledged (hang guard in ms). */
  async waitAcks(n: number, timeoutMs = 10_000): Promise<void> {
    const goal = this.acks.length + n;
    const deadline = performance.now() + timeoutMs;
    while (this.acks.length < goal) {
      if (performance.now() > deadline) {
        throw new Error(
          `writer ${this.options.key}: ${this.acks.length}/${goal} acks after ${timeoutMs} ms (last error: ${this.lastError})`,
        );
      }
      await sleep(5);
    }
  }

  private drop(): void {
    const c = this.client;
    this.client = null;
    if (c) discardConnection(c);
  }

  private async run(): Promise<void> {
    let address = '';
    while (!this.stopped) {
      try {
        if (this.client === null) {
          const t = await this.options.target();
          address = `${t.host}:${t.port}`;
          const c = new Redis({
            host: t.host,
            port: t.port,
            lazyConnect: true,
            enableOfflineQueue: false,
            enableReadyCheck: false,
            maxRetriesPerRequest: 0,
            autoResendUnfulfilledCommands: false,
            retryStrategy: () => null,
            connectTimeout: this.options.connectTimeoutMs ?? 500,
            commandTimeout: this.options.commandTimeoutMs ?? 500,
          });
          c.on('error', () => undefined);
          this.client = c;
          await c.connect();
        }
        const value = await this.client.incr(this.options.key);
        this.acks.push({ value, at: performance.now(), by: address });
        const pause = this.options.intervalMs ?? 1;
        if (pause > 0) await sleep(pause);
      } catch (err) {
        this.errors++;
        this.lastError = err instanceof Error ? err.message : String(err);
        this.drop();
        await sleep(10);
      }
    }
  }
}

/** Acknowledged values that more than one write got: each one is an acknowledged write lost. */
export function duplicateAcks(acks: readonly WriterAck[]): number {
  const seen = new Set<number>();
  let dup = 0;
  for (const a of acks) {
    if (seen.has(a.value)) dup++;
    else seen.add(a.value);
  }
  return dup;
}
