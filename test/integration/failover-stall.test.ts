// A master that stalls rather than dies (docs/design.md 4.2, 4.5), with real redis-server and raftinel
// processes: (b) SIGSTOP for 3 x downAfterMs under a stale writer, then SIGCONT: failed over, and
// the old master demoted within about a probe interval of waking; (c) holistic mode: a master that
// blocks its clients (DEBUG SLEEP) while its replicas' links stay up is not failed over, and the
// same stall without holistic mode is.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';
import { redisGetNumber, redisQuery } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { IncrWriter } from '../helpers/redis-writer.js';
import { sleep, waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 500;
const PING_INTERVAL_MS = 100;
const KEY = 'counter';

after(async () => {
  await stopAllRedis();
});

test(
  '(b) SIGSTOP of the master for 3 x downAfterMs under a stale writer: failover, then the old master is demoted at once after SIGCONT',
  { timeout: 90_000 },
  async (t) => {
    const rig = await FailoverRig.create();
    t.after(() => rig.destroy());
    await rig.start();
    const r1 = rig.redis('r1');
    // A stale client: it keeps writing to the old master's address whatever the cluster says.
    const stale = new IncrWriter({
      key: KEY,
      target: async () => ({ host: r1.host, port: r1.port }),
      commandTimeoutMs: 300,
    }).start();
    t.after(() => stale.stop());
    await stale.waitAcks(100);

    const stoppedAt = performance.now();
    r1.server.pause();
    const v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 1 && x.master?.id !== 'r1' && (x.state === 'ok' || x.state === 'cooldown'),
      'failover while r1 is stopped',
      10 * 3 * DOWN_AFTER_MS,
    );
    const failedOverMs = performance.now() - stoppedAt;
    const promoted = rig.redis(v.master?.id ?? '?');
    await sleep(Math.max(0, stoppedAt + 3 * DOWN_AFTER_MS - performance.now()));

    const contAt = performance.now();
    r1.server.resume();
    // The two-master window: from SIGCONT until r1 reports role slave.
    let answeredAt: number | null = null;
    const demotedAt = await waitFor(
      'r1 demoted',
      async () => {
        const role = await r1.role(2000);
        answeredAt ??= performance.now();
        return role.role === 'slave' ? performance.now() : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 2 },
    );
    const windowMs = demotedAt - contAt;
    const sinceAnswerMs = demotedAt - (answeredAt ?? contAt);

    // Never two masters afterwards.
    let maxMasters = 0;
    for (let i = 0; i < 40; i++) {
      const roles = await rig.roles();
      const masters = [...roles.values()].filter((r) => typeof r === 'object' && r.role === 'master').length;
      maxMasters = Math.max(maxMasters, masters);
      await sleep(50);
    }
    await stale.stop();
    const newValue = (await redisGetNumber(promoted.realPort, KEY)) ?? 0;
    const ackedByOldAfterStop = stale.ackedBy(r1.address, stoppedAt);
    const lost = ackedByOldAfterStop.filter((a) => a.value > newValue).length;
    t.diagnostic(
      `failover committed ${Math.round(failedOverMs)} ms after SIGSTOP (to ${promoted.id}); SIGCONT at ${Math.round(contAt - stoppedAt)} ms`,
    );
    t.diagnostic(
      `two-master window: r1 reported role slave ${Math.round(windowMs)} ms after SIGCONT (${Math.round(sinceAnswerMs)} ms after it first answered; guard ${10 * PING_INTERVAL_MS} ms)`,
    );
    t.diagnostic(
      `stale writer: ${stale.acks.length} acks, ${ackedByOldAfterStop.length} acknowledged by the old master after SIGSTOP, ${lost} of them lost (new master's counter ${newValue}); ${stale.errors} errors, last: ${stale.lastError}`,
    );
    assert.ok(
      sinceAnswerMs < 10 * PING_INTERVAL_MS,
      `demoted ${Math.round(sinceAnswerMs)} ms after answering again`,
    );
    assert.equal(maxMasters, 1, 'never two masters after the demotion');
    const final = await rig.view();
    assert.equal(final.epoch, 1);
    assert.equal(final.master?.id, promoted.id);
  },
);

async function sleepMaster(
  t: import('node:test').TestContext,
  holistic: boolean,
): Promise<{ sawSdown: boolean; epoch: number; history: number }> {
  const rig = await FailoverRig.create({ defaults: { holistic } });
  t.after(() => rig.destroy());
  await rig.start();
  const r1 = rig.redis('r1');
  // DEBUG SLEEP blocks the whole Redis, replication included; the replicas' repl-timeout (60 s)
  // is far longer, so their links stay up.
  const sleepMs = 2 * DOWN_AFTER_MS;
  const sleeping = redisQuery(r1.realPort, ['DEBUG', 'SLEEP', String(sleepMs / 1000)], {
    timeoutMs: 10 * sleepMs,
  });
  let sawSdown = false;
  const until = performance.now() + sleepMs + 4 * DOWN_AFTER_MS;
  while (performance.now() < until) {
    const v = await rig.view().catch(() => null);
    if (v?.state === 'sdown' || v?.state === 'odown') sawSdown = true;
    await sleep(50);
  }
  await sleeping;
  const v = await rig.view();
  const history = await rig.history();
  return { sawSdown, epoch: v.epoch, history: history.length };
}

test(
  '(c) holistic: a master stalled by DEBUG SLEEP for 2 x downAfterMs while its replicas stay linked is not failed over',
  { timeout: 60_000 },
  async (t) => {
    const r = await sleepMaster(t, true);
    t.diagnostic(`holistic: sdown seen ${r.sawSdown}, epoch ${r.epoch}, history entries ${r.history}`);
    assert.ok(r.sawSdown, 'the stall was long enough for the observers to see the master down');
    assert.equal(r.epoch, 0, 'no failover');
    assert.equal(r.history, 0, 'no history entry');
  },
);

test('(c, control) the same stall without holistic mode is failed over', { timeout: 60_000 }, async (t) => {
  const r = await sleepMaster(t, false);
  t.diagnostic(`not holistic: sdown seen ${r.sawSdown}, epoch ${r.epoch}, history entries ${r.history}`);
  assert.equal(r.epoch, 1, 'failed over');
  assert.equal(r.history, 1);
});
