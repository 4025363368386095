// Planned switchovers under acknowledged writes (docs/design.md 4.7, invariant 5), with real
// redis-server and raftinel processes: two writers doing INCR against whatever discovery names as
// the master while the master is switched back and forth; no acknowledged write may be lost.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig, replicaOf } from '../helpers/failover-rig.js';
import { redisGetNumber } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { duplicateAcks, IncrWriter } from '../helpers/redis-writer.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'counter';

after(async () => {
  await stopAllRedis();
});

interface DrillBody {
  readonly ok: boolean;
  readonly error?: { code: string; message: string };
  readonly report: {
    readonly epoch: number;
    readonly from: string;
    readonly to: string;
    readonly writePauseMs: number | null;
    readonly stepsMs: Record<string, number>;
  };
}

test(
  'switchovers back and forth under two writers: no acknowledged write lost',
  { timeout: 90_000 },
  async (t) => {
    const rig = await FailoverRig.create();
    t.after(() => rig.destroy());
    await rig.start();
    const writers = [0, 1].map(() => new IncrWriter({ key: KEY, target: () => rig.masterAddress() }).start());
    t.after(() => Promise.all(writers.map((w) => w.stop())));
    await Promise.all(writers.map((w) => w.waitAcks(50)));

    const targets = ['r2', 'r3', 'r1', 'r2'];
    const drills: string[] = [];
    for (const [i, to] of targets.entries()) {
      const started = performance.now();
      const r = await rig.post<DrillBody>('/v1/shards/mymaster/switchover', { to });
      const ms = performance.now() - started;
      assert.equal(r.status, 200, `switchover to ${to}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.ok, true);
      assert.equal(r.body.report.to, to);
      assert.equal(r.body.report.epoch, i + 1);
      drills.push(
        `${r.body.report.from}->${to} ${Math.round(ms)} ms (write pause ${r.body.report.writePauseMs} ms; steps ${JSON.stringify(r.body.report.stepsMs)})`,
      );
      // Both writers make progress on the new master before the next switchover.
      await Promise.all(writers.map((w) => w.waitAcks(50, 10_000)));
    }
    await Promise.all(writers.map((w) => w.stop()));

    const v = await rig.view();
    assert.equal(v.epoch, targets.length);
    assert.equal(v.master?.id, 'r2');
    const master = rig.redis('r2');
    const final = (await redisGetNumber(master.realPort, KEY)) ?? 0;
    const acks = writers.flatMap((w) => w.acks);
    const maxAcked = Math.max(...writers.map((w) => w.maxAcked));
    const duplicates = duplicateAcks(acks);
    const errors = writers.reduce((n, w) => n + w.errors, 0);
    for (const d of drills) t.diagnostic(d);
    t.diagnostic(
      `writers: ${acks.length} acks, ${errors} errors; highest acknowledged ${maxAcked}, final ${final} (${final - acks.length} applied without an ack); lost ${Math.max(0, maxAcked - final)}; duplicate acks ${duplicates}`,
    );
    assert.ok(final >= maxAcked, `final value ${final} >= highest acknowledged ${maxAcked}`);
    assert.equal(duplicates, 0, 'no value acknowledged twice (no write lost and redone)');
    // Every replica converges on the master's data.
    for (const n of rig.shard().nodes) {
      if (n === master) continue;
      await waitFor(
        `${n.id} in sync`,
        async () =>
          replicaOf(await n.role(), master) && (await redisGetNumber(n.realPort, KEY)) === final
            ? true
            : undefined,
        { timeoutMs: 10_000 },
      );
    }
  },
);
