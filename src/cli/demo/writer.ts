// The demo's application: back-to-back INCR on one key, through the master that the Sentinel
// protocol names, as a Sentinel-aware client does it: ask the RESP ports (SENTINEL
// GET-MASTER-ADDR-BY-NAME, one after the other until one answers), connect, check ROLE says
// master, write; on any error drop the connection and ask again. Nothing is retried behind its
// back, so every acknowledged reply is a fact: INCR answers with the counter's new value, and a
// connection whose first value is not one above the highest value acknowledged so far shows
// exactly how many acknowledged writes the new master does not have (or how many writes it
// applied without acknowledging them, in flight when a connection broke).
import { Redis } from 'ioredis';
import { discardConnection } from '../../util/redis-connection.js';
import { HOST, sleep } from './processes.js';

/** Acknowledged writes on one connection: values rise by one within it. */
export interface Segment {
  /** "host:port" that acknowledged them. */
  readonly by: string;
  readonly firstValue: number;
  /** performance.now() of the first acknowledgement. */
  readonly firstAt: number;
  lastValue: number;
  lastAt: number;
  count: number;
  /** Acknowledged earlier, missing here: the highest value acknowledged before, minus the one this connection started from. */
  readonly lost: number;
  /** Values applied but never acknowledged (a write in flight when the previous connection broke). */
  readonly unacknowledged: number;
}

export class DemoWriter {
  readonly segments: Segment[] = [];
  acked = 0;
  errors = 0;
  lastError: string | null = null;
  /** The highest value acknowledged so far. */
  maxValue = 0;
  /** The longest wait between two acknowledgements since beginGapWindow(). */
  private windowGap = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private master: Redis | null = null;
  private readonly sentinels: Redis[];
  /** The RESP port that answered last is asked first. */
  private preferred = 0;

  constructor(
    sentinelPorts: readonly number[],
    private readonly shard: string,
    readonly key: string,
  ) {
    this.sentinels = sentinelPorts.map(
      (port) =>
        new Redis({
          host: HOST,
          port,
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          connectTimeout: 500,
          commandTimeout: 500,
          retryStrategy: () => 100,
        }),
    );
    for (const s of this.sentinels) s.on('error', () => undefined);
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.dropMaster();
    for (const s of this.sentinels) s.disconnect();
  }

  /** The last segment, i.e. the connection writing now (or last). */
  get current(): Segment | null {
    return this.segments[this.segments.length - 1] ?? null;
  }

  /** The first segment on `address` that started after `after` (performance.now()). */
  firstOn(address: string, after: number): Segment | null {
    return this.segments.find((s) => s.by === address && s.firstAt > after) ?? null;
  }

  /** The last segment on `address` that started before `before`. */
  lastOn(address: string, before: number): Segment | null {
    const list = this.segments.filter((s) => s.by === address && s.firstAt < before);
    return list[list.length - 1] ?? null;
  }

  /** Acknowledged writes lost on connections that started after `after`. */
  lostSince(after: number): number {
    return this.segments.filter((s) => s.firstAt > after).reduce((n, s) => n + s.lost, 0);
  }

  /** Starts measuring the longest wait between two acknowledgements (see longestGap). */
  beginGapWindow(): void {
    this.windowGap = 0;
  }

  /** The longest time between two acknowledged writes since beginGapWindow(), in ms. */
  get longestGap(): number {
    return this.windowGap;
  }

  private async resolve(): Promise<{ host: string; port: number }> {
    let last = 'no RESP port answered';
    for (let i = 0; i < this.sentinels.length; i++) {
      const at = (this.preferred + i) % this.sentinels.length;
      const s = this.sentinels[at];
      try {
        if (s.status === 'wait') await s.connect();
        const reply = await s.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.shard);
        if (Array.isArray(reply) && reply.length === 2) {
          this.preferred = at;
          return { host: String(reply[0]), port: Number(reply[1]) };
        }
        last = `no master known for ${this.shard}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
    }
    throw new Error(last);
  }

  private dropMaster(): void {
    const c = this.master;
    this.master = null;
    if (c) discardConnection(c);
  }

  private async run(): Promise<void> {
    let by = '';
    let segment: Segment | null = null;
    let lastAckAt = 0;
    while (!this.stopped) {
      try {
        if (this.master === null) {
          segment = null;
          const m = await this.resolve();
          by = `${m.host}:${m.port}`;
          const c = new Redis({
            host: m.host,
            port: m.port,
            lazyConnect: true,
            enableOfflineQueue: false,
            enableReadyCheck: false,
            maxRetriesPerRequest: 0,
            autoResendUnfulfilledCommands: false,
            retryStrategy: () => null,
            connectTimeout: 500,
            commandTimeout: 1000,
          });
          c.on('error', () => undefined);
          this.master = c;
          await c.connect();
          // What the Sentinel client guidelines ask: never write to an address that is not a master yet.
          const role = await c.call('ROLE');
          if (!Array.isArray(role) || role[0] !== 'master') throw new Error(`${by} is not a master yet`);
        }
        const value = await this.master.incr(this.key);
        const now = performance.now();
        if (lastAckAt > 0) this.windowGap = Math.max(this.windowGap, now - lastAckAt);
        lastAckAt = now;
        if (segment === null) {
          segment = {
            by,
            firstValue: value,
            firstAt: now,
            lastValue: value,
            lastAt: now,
            count: 0,
            lost: Math.max(0, this.maxValue - (value - 1)),
            unacknowledged: Math.max(0, value - 1 - this.maxValue),
          };
          this.segments.push(segment);
        }
        segment.lastValue = value;
        segment.lastAt = now;
        segment.count++;
        this.acked++;
        if (value > this.maxValue) this.maxValue = value;
      } catch (err) {
        this.errors++;
        this.lastError = err instanceof Error ? err.message : String(err);
        this.dropMaster();
        // A dead master refuses at once: wait a little before asking again, not a whole core's worth.
        await sleep(10);
      }
    }
  }
}
