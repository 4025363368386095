// Bootstrap with a replica down (docs/design.md 6a): a cluster started while one replica's
// redis-server is not running publishes the master a quorum of its nodes sees, after a grace of
// 2 x downAfterMs, instead of waiting for every replica; the replica that comes back later is
// simply a replica of it. Real redis-server and raftinel processes.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';
import { redisQuery } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';

const DOWN_AFTER_MS = 1000;

after(async () => {
  await stopAllRedis();
});

test(
  'a replica down at bootstrap does not hold back the master the quorum agrees on',
  { timeout: 120_000 },
  async (t) => {
    const rig = await FailoverRig.create({ defaults: { downAfterMs: DOWN_AFTER_MS } });
    t.after(() => rig.destroy());
    await rig.redis('r3').kill();
    const startedAt = performance.now();
    await rig.cluster.start();
    await rig.cluster.waitLeader({ timeoutMs: 20_000 });
    const v = await rig
      .waitView('mymaster', (x) => x.master !== null, 'a master published', 30_000)
      .catch(async (err: unknown) => assert.fail(`${String(err)}\n${await rig.dump()}`));
    const publishedMs = Math.round(performance.now() - startedAt);
    assert.equal(v.master?.id, 'r1');
    assert.equal(v.epoch, 0, 'adopted, not failed over');
    const addr = await redisQuery(Number(rig.nodes[0].options.node.sentinel.split(':')[1]), [
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      'mymaster',
    ]);
    assert.ok(Array.isArray(addr) && Number(addr[1]) === rig.redis('r1').port, JSON.stringify(addr));
    t.diagnostic(`master r1 published ${publishedMs} ms after the nodes started, r3 never seen`);
  },
);
