// Which replica wins and when a failover may run (docs/design.md 4.3, 4.5), with real redis-server and
// raftinel processes: (d) replicas at different lag: the least-lagged wins, and with maxLagBytes
// below both lags there is no failover and the candidate report says why; (h) pause, resume,
// cooldown, ack, and a switchover during the cooldown; (i) maintenance of one node through the CLI.
//
// Lag is made with the fault proxy: every Redis address is a proxy, the replicas replicate through
// the master's proxy from their own source address, and blackholing one replica's source holds its
// replication stream back (the replica still answers ROLE, its link still looks up). CLIENT PAUSE
// WRITE on a replica also holds its stream back, but it blocks the replica's master client, and a
// Redis 7.0 replica whose blocked master client is freed (the master died) does not cache it: it
// reports offset 1 (ROLE -1) and a new replid afterwards, which skews the lag being tested.
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { FailoverRig, replicaOf, type CandidateReport, type RigRedis } from '../helpers/failover-rig.js';
import { duplicateKeys } from '../helpers/json-keys.js';
import { redisGetNumber, replicaOffset } from '../helpers/redis-query.js';
import { runRaftinel, showResult } from '../helpers/run-cli.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { IncrWriter } from '../helpers/redis-writer.js';
import { sleep, waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 500;
const KEY = 'counter';

after(async () => {
  await stopAllRedis();
});

/** Holds back the replication stream from `master` to `replica` (both proxied). */
function holdReplication(master: RigRedis, replica: RigRedis): void {
  assert.ok(master.proxy && replica.sourceAddress, 'proxied rig');
  master.proxy.cut('blackhole', [replica.sourceAddress]);
}

/**
 * A started rig of proxied Redis nodes and a writer of INCRs straight to r1 (not following the
 * master), `acks` of them acknowledged; both go after the test.
 */
async function proxiedRigUnderWrites(
  t: TestContext,
  acks: number,
  defaults: Record<string, unknown> = {},
): Promise<{ rig: FailoverRig; writer: IncrWriter }> {
  const rig = await FailoverRig.create({ defaults, proxied: true });
  t.after(() => rig.destroy());
  await rig.start();
  const [r1] = rig.shard().nodes;
  const writer = new IncrWriter({
    key: KEY,
    target: async () => ({ host: r1.host, port: r1.realPort }),
  }).start();
  t.after(() => writer.stop());
  await writer.waitAcks(acks);
  return { rig, writer };
}

test(
  '(d) replicas at different lag: the least-lagged one wins (not the tie-break favourite)',
  { timeout: 90_000 },
  async (t) => {
    const { rig, writer } = await proxiedRigUnderWrites(t, 100);
    const [r1, r2, r3] = rig.shard().nodes;
    // r2 would win a tie (same priority, lower id): hold its stream back so that it lags.
    holdReplication(r1, r2);
    await writer.waitAcks(200);
    await writer.stop();
    // The leader's report sees the lag before the kill.
    const before = await waitFor(
      'the candidate report shows r2 behind r3',
      async () => {
        const rep = await rig.get<CandidateReport>('/v1/shards/mymaster/candidates');
        const row = (id: string) => rep.rows.find((x) => x.id === id);
        return (row('r2')?.lagBytes ?? 0) > 0 && row('r3')?.lagBytes === 0 ? rep : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const offsets = { r2: await replicaOffset(r2.realPort), r3: await replicaOffset(r3.realPort) };
    await r1.kill();
    const entry = await rig.waitHistory('mymaster', 1, 10_000);
    t.diagnostic(
      `offsets at the kill: r2=${offsets.r2} r3=${offsets.r3} (r2 held back by ${offsets.r3 - offsets.r2} bytes)`,
    );
    t.diagnostic(
      `report before the kill: ${JSON.stringify(before.rows.map((x) => [x.id, x.offset, x.lagBytes]))}`,
    );
    t.diagnostic(`decision: ${JSON.stringify(entry.report.rows.map((x) => [x.id, x.eligible, x.reason]))}`);
    assert.ok(offsets.r3 > offsets.r2, 'r2 lags');
    assert.equal(entry.result, 'ended');
    assert.equal(entry.to, 'r3', 'the least-lagged replica wins');
    r1.proxy?.heal();
    // r2 is repointed to r3 and gets everything.
    await waitFor(
      'r2 replicates from r3 with all the data',
      async () => {
        if (!replicaOf(await r2.role(), r3)) return undefined;
        return (await redisGetNumber(r2.realPort, KEY)) === writer.maxAcked ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(await redisGetNumber(r3.realPort, KEY), writer.maxAcked, 'no acknowledged write lost');
    // Every log line of a failover (storage, prober, redis-admin, failover...) has each key once.
    const repeated = rig.nodes.flatMap((n) =>
      n.lines.filter((l) => duplicateKeys(l).length > 0).map((l) => `${n.id}: ${l}`),
    );
    assert.deepEqual(repeated.slice(0, 3), [], 'log lines with a duplicate key');
  },
);

test(
  "(d) maxLagBytes below both replicas' lag: no failover, and the candidate report says why",
  { timeout: 90_000 },
  async (t) => {
    const maxLagBytes = 1000;
    const { rig, writer } = await proxiedRigUnderWrites(t, 50, { maxLagBytes });
    const [r1, r2, r3] = rig.shard().nodes;
    holdReplication(r1, r3);
    await writer.waitAcks(100);
    holdReplication(r1, r2);
    await writer.waitAcks(100);
    await writer.stop();
    await waitFor(
      'the report sees both replicas over the budget',
      async () => {
        const rep = await rig.get<CandidateReport>('/v1/shards/mymaster/candidates');
        return rep.rows.every((x) => (x.lagBytes ?? 0) > maxLagBytes) ? rep : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const leader = await rig.leader();
    const offsets = { r2: await replicaOffset(r2.realPort), r3: await replicaOffset(r3.realPort) };
    await r1.kill();
    const killedAt = performance.now();
    t.diagnostic(`offsets at the kill: r2=${offsets.r2} r3=${offsets.r3}`);
    await sleep(Math.max(0, killedAt + 6 * DOWN_AFTER_MS - performance.now()));
    t.diagnostic(
      `leader events: ${leader
        .events()
        .filter((e) => typeof e.event === 'string' && /odown|abort|failover|switch/.test(e.event))
        .map((e) => e.event)
        .join(' ')}`,
    );
    const report = await rig.get<CandidateReport>('/v1/shards/mymaster/candidates');
    const view = await rig.view();
    const history = await rig.history();
    t.diagnostic(
      `report after the kill: ${JSON.stringify(report.rows.map((x) => [x.id, x.eligible, x.reason]))}`,
    );
    assert.equal(view.epoch, 0, 'no failover');
    assert.equal(view.master?.id, 'r1');
    assert.equal(history.length, 0);
    assert.equal(report.chosen, null);
    for (const row of report.rows) {
      assert.equal(row.eligible, false, `${row.id} not eligible`);
      assert.match(row.reason, /maxLagBytes/, `${row.id}: the reason names the budget`);
    }
  },
);

test(
  '(h) pause holds an automatic failover, resume lets it run; cooldown holds the next one until ack; a switchover runs during the cooldown',
  { timeout: 90_000 },
  async (t) => {
    const rig = await FailoverRig.create({ defaults: { failoverCooldownMs: 600_000 } });
    t.after(() => rig.destroy());
    await rig.start();
    const r1 = rig.redis('r1');

    // Paused: the dead master stays the master.
    const paused = await rig.post('/v1/shards/mymaster/pause');
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    await r1.kill();
    await sleep(6 * DOWN_AFTER_MS);
    let v = await rig.view();
    assert.equal(v.paused, true);
    assert.equal(v.epoch, 0, 'no failover while paused');
    assert.equal((await rig.history()).length, 0);

    // Resumed: it fails over at once.
    const resumedAt = performance.now();
    assert.equal((await rig.post('/v1/shards/mymaster/resume')).status, 200);
    v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 1 && (x.state === 'ok' || x.state === 'cooldown'),
      'failover after resume',
      10_000,
    );
    const afterResumeMs = performance.now() - resumedAt;
    const first = rig.redis(v.master?.id ?? '?');
    assert.notEqual(first.id, 'r1');

    // The old master comes back (empty) and is made a replica; then a switchover, in the cooldown.
    await r1.restartEmpty();
    await waitFor(
      'r1 replicates from the new master',
      async () => (replicaOf(await r1.role(), first) ? true : undefined),
      { timeoutMs: 10_000 },
    );
    const target = rig.shard().nodes.find((n) => n !== first && n !== r1);
    assert.ok(target, 'a third node');
    const sw = await rig.post<{ ok: boolean; report: { epoch: number; to: string } }>(
      '/v1/shards/mymaster/switchover',
      { to: target.id },
    );
    assert.equal(sw.status, 200, `switchover during the cooldown: ${JSON.stringify(sw.body)}`);
    assert.equal(sw.body.report.to, target.id);
    v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 2 && (x.state === 'ok' || x.state === 'cooldown'),
      'switchover ended',
      10_000,
    );
    assert.equal(v.master?.id, target.id);

    // Cooldown (started by the automatic failover, not reset by the switchover): a dead master waits.
    await target.kill();
    await sleep(6 * DOWN_AFTER_MS);
    v = await rig.view();
    assert.equal(v.epoch, 2, 'no automatic failover during the cooldown');
    assert.equal(v.master?.id, target.id);

    // ack lifts the cooldown: it fails over at once.
    const ackAt = performance.now();
    assert.equal((await rig.post('/v1/shards/mymaster/ack')).status, 200);
    v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 3 && (x.state === 'ok' || x.state === 'cooldown'),
      'failover after ack',
      10_000,
    );
    const afterAckMs = performance.now() - ackAt;
    const kinds = (await rig.history()).map((e) => `${e.epoch}:${e.kind}:${e.from}->${e.to}:${e.result}`);
    t.diagnostic(
      `failover ${Math.round(afterResumeMs)} ms after resume; ${Math.round(afterAckMs)} ms after ack; history ${kinds.join(', ')}`,
    );
    assert.deepEqual(
      kinds.map((k) => k.split(':').slice(0, 2).join(':')),
      ['1:failover', '2:switchover', '3:failover'],
    );
    assert.notEqual(v.master?.id, target.id);
  },
);

test(
  '(i) maintenance through the CLI: the node is marked, never chosen, a switchover to it is refused; a master in maintenance is not failed over until it is off',
  { timeout: 90_000 },
  async (t) => {
    const rig = await FailoverRig.create({});
    t.after(() => rig.destroy());
    await rig.start();
    const cli = async (...args: string[]): Promise<string> => {
      const r = await runRaftinel([...args, '--endpoint', rig.nodes.map((n) => n.httpUrl).join(',')]);
      assert.equal(r.code, 0, showResult(r));
      return r.stdout;
    };
    assert.match(await cli('maintenance', 'on', 'mymaster', 'r2'), /r2 in maintenance/);
    const status = await cli('status');
    assert.match(status, /r2 .*maintenance/, status);
    let v = await rig.view();
    assert.equal(v.replicas.find((r) => r.id === 'r2')?.maintenance, true);

    const sw = await rig.post<{ error?: { message: string } }>('/v1/shards/mymaster/switchover', {
      to: 'r2',
    });
    assert.notEqual(sw.status, 200, 'a switchover to a node in maintenance is refused');
    assert.match(JSON.stringify(sw.body), /maintenance/);
    assert.equal((await rig.view()).epoch, 0);

    // The master in maintenance: killed, it stays the master.
    await cli('maintenance', 'on', 'mymaster', 'r1');
    await rig.redis('r1').kill();
    await sleep(6 * DOWN_AFTER_MS);
    v = await rig.view();
    assert.equal(v.epoch, 0, 'no failover of a master in maintenance');
    assert.equal(v.master?.id, 'r1');

    // Off: it fails over, to r3 (r2 is still in maintenance).
    const offAt = performance.now();
    await cli('maintenance', 'off', 'mymaster', 'r1');
    v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 1 && (x.state === 'ok' || x.state === 'cooldown'),
      'failover once maintenance is off',
      20_000,
    );
    assert.equal(v.master?.id, 'r3');
    const [entry] = await rig.history();
    const r2row = entry.report.rows.find((r) => r.id === 'r2');
    assert.match(r2row?.reason ?? '', /maintenance/);
    t.diagnostic(
      `switchover to r2 refused (${sw.status}); failover to r3 ${Math.round(performance.now() - offAt)} ms after maintenance off; r2: ${r2row?.reason}`,
    );
  },
);
