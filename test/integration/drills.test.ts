// The zero-loss drill (docs/design.md 4.7, invariant 5): while a writer does acknowledged INCRs
// through a client that follows the master (ioredis in Sentinel mode against the raftinel RESP
// ports), `raftinel promote` switches the master back and forth DRILLS times (20 here, 100 in
// `npm run drills`). Not one acknowledged write may be lost: the acknowledged values only ever
// go up (a lost write would make a later INCR answer a value already acknowledged), and the
// final value on the master is the last acknowledged one.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { cliClusterForSuite } from '../helpers/cli-cluster.js';
import { getJson } from '../helpers/http.js';
import { runRaftinel } from '../helpers/run-cli.js';
import { sleep, waitFor } from '../helpers/wait.js';

const DRILLS = Number(process.env.DRILLS ?? 20);
const TOKEN = 'drill-token';
const KEY = 'raftinel:drill:counter';
/** Acknowledged writes wanted between two switchovers: each drill runs under live writes. */
const ACKS_BETWEEN = 10;

/** One writer, one INCR at a time, recording every acknowledged value in order. */
class Writer {
  readonly acked: number[] = [];
  errors = 0;
  /** Longest time between two acknowledgements (what a client sees of a switchover). */
  maxGapMs = 0;
  private lastAckAt = performance.now();
  private stopping = false;
  private done: Promise<void> | null = null;

  constructor(private readonly redis: Redis) {}

  start(): void {
    this.done = this.loop();
  }

  /** Stops after an acknowledged INCR, so no write of unknown outcome is left behind. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async loop(): Promise<void> {
    let lastOk = false;
    while (!(this.stopping && lastOk)) {
      try {
        const value = await this.redis.incr(KEY);
        const now = performance.now();
        this.maxGapMs = Math.max(this.maxGapMs, now - this.lastAckAt);
        this.lastAckAt = now;
        this.acked.push(value);
        lastOk = true;
      } catch {
        // Not acknowledged (a paused master killed the connection, READONLY after demotion):
        // it may or may not have been applied, and it is not counted either way.
        this.errors++;
        lastOk = false;
        await sleep(10);
      }
    }
  }
}

describe(`zero-loss switchover drills (${DRILLS})`, { timeout: 120_000 + DRILLS * 10_000 }, () => {
  let redis: Redis;
  // Registered first, so it runs first: the client goes before the cluster does.
  after(() => redis?.disconnect());
  const suite = cliClusterForSuite(TOKEN);

  test(`${DRILLS} switchovers back and forth under acknowledged INCRs lose no acknowledged write`, async (t) => {
    redis = new Redis({
      sentinels: suite.cluster.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      name: 'mymaster',
      // +switch-master moves the client at once; a killed connection re-resolves the master.
      failoverDetector: true,
      sentinelRetryStrategy: () => 50,
      retryStrategy: () => 50,
      // A write that reached a demoted master was not applied: send it again to the new one.
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
      lazyConnect: true,
    });
    redis.on('error', () => undefined); // reconnects are expected; outcomes are counted per INCR
    await redis.connect();
    await redis.del(KEY);
    const writer = new Writer(redis);
    writer.start();
    const env = {
      ...process.env,
      RAFTINEL_ENDPOINT: suite.cluster.endpoints.join(','),
      RAFTINEL_TOKEN: TOKEN,
    };
    const pauses: number[] = [];
    const started = performance.now();
    try {
      for (let i = 0; i < DRILLS; i++) {
        const before = writer.acked.length;
        await waitFor(
          `${ACKS_BETWEEN} acknowledged writes before drill ${i + 1}`,
          () => (writer.acked.length >= before + ACKS_BETWEEN ? true : undefined),
          {
            timeoutMs: 20_000,
            intervalMs: 5,
          },
        );
        const to = i % 2 === 0 ? 'r2' : 'r1';
        const r = await runRaftinel(['promote', 'mymaster', '--to', to, '--yes', '--json'], {
          env,
          timeoutMs: 90_000,
        });
        assert.equal(
          r.code,
          0,
          `drill ${i + 1} (to ${to}): exit ${r.code}\n${r.stdout}\n${r.stderr}\n${suite.cluster.dump(40)}`,
        );
        const doc = JSON.parse(r.stdout) as {
          ok: boolean;
          report: { to: string; writePauseMs: number | null };
        };
        assert.equal(doc.report.to, to);
        pauses.push(doc.report.writePauseMs ?? NaN);
      }
      const before = writer.acked.length;
      await waitFor(
        'writes after the last drill',
        () => (writer.acked.length >= before + ACKS_BETWEEN ? true : undefined),
        { timeoutMs: 20_000, intervalMs: 5 },
      );
    } finally {
      await writer.stop();
    }
    const elapsedS = (performance.now() - started) / 1000;

    // The acknowledged values only ever go up: none was lost and handed out again.
    const acked = writer.acked;
    for (let i = 1; i < acked.length; i++) {
      assert.ok(
        acked[i] > acked[i - 1],
        `acknowledged ${acked[i - 1]} then ${acked[i]} (write ${i}): an acknowledged write was lost`,
      );
    }
    // The master holds exactly the last acknowledged value.
    const m = await getJson<{ id: string; host: string; port: number }>(
      `${suite.cluster.endpoints[0]}/v1/shards/mymaster/master`,
    );
    assert.equal(m.status, 200, JSON.stringify(m.body));
    assert.equal(m.body.id, DRILLS % 2 === 1 ? 'r2' : 'r1');
    const direct = new Redis({
      host: m.body.host,
      port: m.body.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await direct.connect();
      assert.equal(
        Number(await direct.get(KEY)),
        acked.at(-1),
        'final value on the master = last acknowledged',
      );
    } finally {
      direct.disconnect();
    }
    const gaps = acked.length > 0 ? acked.at(-1)! - acked[0] + 1 - acked.length : 0;
    const sorted = pauses.filter(Number.isFinite).sort((a, b) => a - b);
    t.diagnostic(
      `${DRILLS} switchovers in ${elapsedS.toFixed(1)} s; ${acked.length} acknowledged INCRs, final ${acked.at(-1)}, ` +
        `${writer.errors} failed (not acknowledged), ${gaps} applied without an acknowledgement; ` +
        `write pause median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms; longest gap between acks ${Math.round(writer.maxGapMs)} ms`,
    );
  });
});
