// Redis nodes named by host name (docs/design.md 4.9): the config names every node `localhost`,
// resolved by raftinel's prober and admin connections and by Redis's own replication on each
// connection. The replicas set up beforehand follow the master by IP (an address the shard does
// not list, judged by replication id and link, so they are left alone); after a SIGKILL of the
// master, the new master is published by name and the other replica follows it by name.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 1000;

after(async () => {
  await stopAllRedis();
});

test('nodes named by host name: adopted, failed over, repointed by name', { timeout: 120_000 }, async (t) => {
  const rig = await FailoverRig.create({
    defaults: { downAfterMs: DOWN_AFTER_MS },
    nodeExtras: () => ({ host: 'localhost' }),
  });
  t.after(() => rig.destroy());
  await rig.start();
  const before = await rig.view();
  assert.equal(before.master?.host, 'localhost');
  await rig.redis('r1').kill();
  const v = await rig.waitFailoverFrom('r1', 30_000);
  assert.equal(v.master?.host, 'localhost');
  const promoted = rig.redis(v.master?.id ?? '?');
  const other = rig.redis(v.master?.id === 'r2' ? 'r3' : 'r2');
  const role = await waitFor(
    `${other.id} a replica of ${promoted.id} by name`,
    async () => {
      const r = await other.role();
      return r.role === 'slave' &&
        r.masterHost === 'localhost' &&
        r.masterPort === promoted.realPort &&
        r.state === 'connected'
        ? r
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  ).catch(async (err: unknown) => assert.fail(`${String(err)}\n${await rig.dump()}`));
  t.diagnostic(`promoted ${promoted.id}; ${other.id} replicates from ${role.masterHost}:${role.masterPort}`);
});
