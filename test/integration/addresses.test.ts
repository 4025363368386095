// Issue 13, item 2: a Redis node reached at other addresses than the one raftinel probes, as
// behind NAT or a proxy, with real redis-server and raftinel processes. Every Redis node r<i> has
// an announce address (what clients are told: a TCP proxy in front of it, the "client address")
// and a replication address (what REPLICAOF names: a second proxy). Asserted:
// - SENTINEL get-master-addr-by-name, /v1/shards and `+switch-master` give announce addresses;
// - ioredis in Sentinel mode writes through the announce proxy of the master, and after a
//   SIGKILL of the master through the new master's announce proxy;
// - the replicas, set up by hand on r1's own address, count as following it (no ambiguity at
//   bootstrap); after the failover they are repointed to the new master's replication address
//   and the failover ends (no repointing loop).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { FailoverRig, type RigRedis } from '../helpers/failover-rig.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { freePorts } from '../helpers/ports.js';
import { sentinelClient } from '../helpers/sentinel-client.js';
import { redisQuery } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

after(async () => {
  await stopAllRedis();
});

test(
  'announce and replication addresses: clients are told and follow the announce proxies; replicas use the replication address',
  { timeout: 120_000 },
  async (t) => {
    const [a1, a2, a3, p1, p2, p3] = await freePorts(6);
    const announce: Record<string, number> = { r1: a1, r2: a2, r3: a3 };
    const replication: Record<string, number> = { r1: p1, r2: p2, r3: p3 };
    const rig = await FailoverRig.create({
      nodeExtras: (_shard, id) => ({
        announce: { host: '127.0.0.1', port: announce[id] },
        replicationAddress: { host: '127.0.0.1', port: replication[id] },
      }),
    });
    const proxies: FaultProxy[] = [];
    t.after(async () => {
      await rig.destroy();
      for (const p of proxies) await p.close();
    });
    const nodes = rig.shard().nodes;
    for (const r of nodes) {
      for (const port of [announce[r.id], replication[r.id]]) {
        proxies.push(await FaultProxy.start({ target: { host: '127.0.0.1', port: r.realPort }, port }));
      }
    }
    const announceProxy = (r: RigRedis): FaultProxy =>
      proxies.find((p) => p.port === announce[r.id]) as FaultProxy;
    const clientBytes = (r: RigRedis): number =>
      [...announceProxy(r).sources().values()].reduce((sum, s) => sum + s.bytesUp, 0);
    await rig.start();

    const sentinel = rig.nodes[0].options.node.sentinel.split(':');
    const sentinels = rig.nodes.map((n) => {
      const [host, port] = n.options.node.sentinel.split(':');
      return { host, port: Number(port) };
    });
    const addr = await redisQuery(Number(sentinel[1]), ['SENTINEL', 'get-master-addr-by-name', 'mymaster']);
    assert.deepEqual(addr, ['127.0.0.1', String(a1)]);
    const view = await rig.view();
    assert.equal(view.master?.port, a1);
    assert.deepEqual(
      view.replicas.map((r) => r.port).sort(),
      [a2, a3].sort(),
      'replicas by announce address',
    );

    const client = sentinelClient(sentinels);
    t.after(() => client.disconnect());
    await client.connect();
    const r1 = rig.redis('r1');
    const before = clientBytes(r1);
    assert.equal(await client.set('k', 'v1'), 'OK');
    assert.ok(clientBytes(r1) > before, "the write went through r1's announce proxy");

    const sub = new Redis({ host: sentinel[0], port: Number(sentinel[1]), lazyConnect: true });
    sub.on('error', () => undefined);
    t.after(() => sub.disconnect());
    await sub.connect();
    const switched = new Promise<string>((resolve) =>
      sub.on('message', (_c: string, m: string) => resolve(m)),
    );
    await sub.subscribe('+switch-master');

    await r1.kill();
    const message = await Promise.race([
      switched,
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no +switch-master')), 30_000)),
    ]);
    const v = await rig.waitView(
      'mymaster',
      (x) =>
        x.epoch >= 1 &&
        x.master !== null &&
        x.master.id !== 'r1' &&
        (x.state === 'ok' || x.state === 'cooldown'),
      'failover ended',
      30_000,
    );
    const next = rig.redis(v.master?.id ?? '?');
    assert.equal(message, `mymaster 127.0.0.1 ${a1} 127.0.0.1 ${announce[next.id]}`);
    assert.equal(v.master?.port, announce[next.id]);

    const beforeNext = clientBytes(next);
    const written = await waitFor(
      'a write after the failover',
      async () => ((await client.set('k', 'v2').catch(() => null)) === 'OK' ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    assert.ok(written);
    assert.ok(clientBytes(next) > beforeNext, `the write went through ${next.id}'s announce proxy`);

    const other = nodes.find((r) => r !== r1 && r !== next) as RigRedis;
    const role = await waitFor(
      `${other.id} replicates from ${next.id}'s replication address`,
      async () => {
        const r = await other.role();
        return r.role === 'slave' && r.masterPort === replication[next.id] && r.state === 'connected'
          ? r
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const history = await rig.history();
    t.diagnostic(
      `+switch-master: ${message}; ${other.id} follows ${role.masterHost}:${role.masterPort}; history ${history.map((e) => `${e.epoch}:${e.kind}:${e.result} repointed ${e.repointed.join(',')}`).join('; ')}`,
    );
    assert.deepEqual(
      history.map((e) => e.result),
      ['ended'],
    );
  },
);
