// Redis nodes named by host name (docs/design.md 4.9): the config names every node `localhost`,
// resolved by raftinel's prober and admin connections and by Redis's own replication on each
// connection. The replicas set up beforehand follow the master by IP (an address the shard does
// not list, judged by replication id and link, so they are left alone); after a SIGKILL of the
// master, the new master is published by name and the other replica follows it by name.
// A name is resolved again on each connection: a node whose name moves to another address (a
// pod rescheduled, DNS updated) is reached at the new one. The raftinel nodes run with a hosts
// file of the test's own (a private mount namespace), which the test rewrites to move the name.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FailoverRig, replicaOf } from '../helpers/failover-rig.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

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

test(
  'a node whose host name moves to another address is reached at the new one and kept a replica',
  { timeout: 120_000 },
  async (t) => {
    const NAME = 'r3.raftinel.test';
    const dir = makeTempDir('raftinel-hosts-');
    const hostsFile = join(dir, 'hosts');
    const pointName = (address: string): void =>
      writeFileSync(hostsFile, `127.0.0.1 localhost\n${address} ${NAME}\n`);
    pointName('127.0.0.1');
    const rig = await FailoverRig.create({
      defaults: { downAfterMs: DOWN_AFTER_MS },
      nodeExtras: (_shard, id) => (id === 'r3' ? { host: NAME } : {}),
      hostsFile,
    });
    t.after(async () => {
      await rig.destroy();
      removeDir(dir);
    });
    await rig.start();
    const r1 = rig.redis('r1');
    const r3 = rig.redis('r3');
    const linked = async (): Promise<boolean> =>
      (await rig.view()).replicas.some((r) => r.id === 'r3' && r.host === NAME && r.linkUp === true);
    await waitFor(
      'r3 reported a linked replica, by name',
      async () => ((await linked()) ? true : undefined),
      {
        timeoutMs: 15_000,
        intervalMs: 50,
      },
    );

    // r3 comes back empty on another address, its name still pointing at the old one: nothing
    // reaches it, and it stays the master it restarted as.
    await r3.kill();
    await r3.restartEmpty('127.0.0.2');
    await sleep(3 * DOWN_AFTER_MS);
    assert.equal(
      (await r3.role()).role,
      'master',
      `nobody reached r3 at its new address\n${await rig.dump()}`,
    );

    // The name moves: raftinel reaches r3 there and makes it a replica of the master again.
    const movedAt = performance.now();
    pointName('127.0.0.2');
    await waitFor(
      'r3 a linked replica of r1 at its new address',
      async () => {
        const role = await r3.role();
        return replicaOf(role, r1) && role.state === 'connected' ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    ).catch(async (err: unknown) => assert.fail(`${String(err)}\n${await rig.dump()}`));
    await waitFor('r3 reported a linked replica again', async () => ((await linked()) ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    const v = await rig.view();
    assert.equal(v.master?.id, 'r1');
    assert.equal(v.epoch, 0, 'no failover');
    t.diagnostic(
      `r3 a linked replica of r1 ${Math.round(performance.now() - movedAt)} ms after its name moved`,
    );
  },
);
