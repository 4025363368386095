// Many shards at once (docs/design.md 4.2, 4.4), with real redis-server and raftinel processes: ten
// shards of a master and one replica each (20 redis-server), one master killed; that shard fails
// over and the nine others are not disturbed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { sleep } from '../helpers/wait.js';

const DOWN_AFTER_MS = 500;

after(async () => {
  await stopAllRedis();
});

test(
  '(i) ten shards monitored at once: one failover does not disturb the others',
  { timeout: 90_000 },
  async (t) => {
    const names = Array.from({ length: 10 }, (_, i) => `shard${i}`);
    const createdAt = performance.now();
    const rig = await FailoverRig.create({ shardNames: names, replicas: 1 });
    t.after(() => rig.destroy());
    const redisMs = performance.now() - createdAt;
    await rig.start(30_000);
    const adoptedMs = performance.now() - createdAt;
    const victim = 'shard3';

    const killedAt = performance.now();
    await rig.redis('r1', victim).kill();
    const v = await rig.waitView(
      victim,
      (x) => x.epoch === 1 && (x.state === 'ok' || x.state === 'cooldown'),
      'failover of the killed master ended',
      10_000 + 10 * DOWN_AFTER_MS,
    );
    const endedMs = performance.now() - killedAt;
    assert.equal(v.master?.id, rig.redis('r2', victim).id);
    await sleep(4 * DOWN_AFTER_MS);

    const all =
      await rig.get<{ name: string; epoch: number; state: string; master: { id: string } | null }[]>(
        '/v1/shards',
      );
    assert.equal(all.length, names.length);
    for (const s of all) {
      if (s.name === victim) continue;
      assert.equal(s.epoch, 0, `${s.name} epoch`);
      assert.equal(s.master?.id, rig.redis('r1', s.name).id, `${s.name} master`);
      assert.equal(s.state, 'ok', `${s.name} state`);
      assert.equal((await rig.history(s.name)).length, 0, `${s.name} history`);
    }
    const entry = (await rig.history(victim))[0];
    t.diagnostic(
      `20 redis-server up in ${Math.round(redisMs)} ms, every shard adopted ${Math.round(adoptedMs)} ms after the start`,
    );
    t.diagnostic(
      `${victim}: failover ended ${Math.round(endedMs)} ms after the kill; timeline ${JSON.stringify(entry.timeline)}; the 9 others: epoch 0, state ok, no history`,
    );
    assert.equal(entry.result, 'ended');
  },
);
