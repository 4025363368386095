// The chaos workload: writers that add unique elements (SADD of "<writer>-<seq>" to one set)
// through ioredis in Sentinel mode, pointed at every raftinel RESP endpoint, as an application
// would be. Each write is recorded with its outcome: ok (acknowledged: SADD answered 1), fail
// (an error reply or a refused connection: it may still have been applied, e.g. READONLY
// after the command reached a demoted master is not, a reset after sending may be) or unknown
// (the command timed out). SADD of a unique id is idempotent, so ioredis may resend one.
import { Redis } from 'ioredis';
import { discardConnection } from '../../src/util/redis-connection.js';
import { sleep } from '../helpers/wait.js';

export const SET_KEY = 'chaos:set';

export type Outcome = 'ok' | 'fail' | 'unknown';

export interface WriteRecord {
  readonly id: string;
  /** ms since the campaign's start (performance.now() based). */
  readonly sentAt: number;
  doneAt: number;
  outcome: Outcome;
  error?: string;
}

export interface WorkloadOptions {
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  readonly shard: string;
  readonly writers: number;
  /** Pause between two writes of one writer. */
  readonly intervalMs: number;
  /** performance.now() of the campaign's start: every time here is relative to it. */
  readonly t0: number;
  readonly commandTimeoutMs?: number;
}

class Writer {
  readonly client: Redis;
  private seq = 0;

  constructor(
    readonly name: string,
    private readonly options: WorkloadOptions,
    private readonly records: WriteRecord[],
  ) {
    this.client = new Redis({
      sentinels: options.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: options.shard,
      // +switch-master moves the client at once; a killed connection re-resolves the master.
      failoverDetector: true,
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 100,
      // A write that reached a demoted master was not applied: ioredis reconnects and sends it again.
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: 1000,
      maxRetriesPerRequest: 2,
      lazyConnect: true,
    });
    this.client.on('error', () => undefined); // reconnects are expected; outcomes are counted per write
  }

  async run(stopped: () => boolean): Promise<void> {
    await this.client.connect().catch(() => undefined);
    while (!stopped()) {
      const id = `${this.name}-${this.seq++}`;
      const rec: WriteRecord = { id, sentAt: this.now(), doneAt: NaN, outcome: 'unknown' };
      this.records.push(rec);
      try {
        const added = await this.client.sadd(SET_KEY, id);
        rec.outcome = added === 1 ? 'ok' : 'fail';
        if (added !== 1) rec.error = `SADD answered ${added}`;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        rec.outcome = /timed? ?out/i.test(message) ? 'unknown' : 'fail';
        rec.error = message;
        await sleep(20);
      }
      rec.doneAt = this.now();
      await sleep(this.options.intervalMs);
    }
  }

  private now(): number {
    return performance.now() - this.options.t0;
  }
}

export class Workload {
  readonly records: WriteRecord[] = [];
  private readonly writers: Writer[] = [];
  private loops: Promise<void>[] = [];
  private stopped = false;

  constructor(readonly options: WorkloadOptions) {
    for (let i = 0; i < options.writers; i++) this.writers.push(new Writer(`w${i}`, options, this.records));
  }

  start(): void {
    this.loops = this.writers.map((w) => w.run(() => this.stopped));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const w of this.writers) discardConnection(w.client);
  }

  acknowledged(): number {
    return this.records.filter((r) => r.outcome === 'ok').length;
  }
}

/** The Jepsen-style tally of a set workload against the set read after healing. */
export interface SetTally {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly unknown: number;
  /** Acknowledged and absent from the final set. */
  readonly lost: number;
  readonly lostIds: readonly string[];
  /** In the final set, never attempted. */
  readonly unexpected: number;
  /** In the final set though not acknowledged (failed or timed out, applied anyway). */
  readonly recovered: number;
}

export function tally(records: readonly WriteRecord[], finalSet: ReadonlySet<string>): SetTally {
  const attempted = new Set(records.map((r) => r.id));
  const lostIds = records.filter((r) => r.outcome === 'ok' && !finalSet.has(r.id)).map((r) => r.id);
  let unexpected = 0;
  for (const id of finalSet) if (!attempted.has(id)) unexpected++;
  return {
    attempted: records.length,
    acknowledged: records.filter((r) => r.outcome === 'ok').length,
    failed: records.filter((r) => r.outcome === 'fail').length,
    unknown: records.filter((r) => r.outcome === 'unknown').length,
    lost: lostIds.length,
    lostIds,
    unexpected,
    recovered: records.filter((r) => r.outcome !== 'ok' && finalSet.has(r.id)).length,
  };
}
