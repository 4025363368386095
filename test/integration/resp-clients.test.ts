// Real clients against the in-process RESP server (a fake source describing a real
// redis-server master and replica started here): ioredis, node-redis v5, redis-cli, redis-py.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient, createSentinel } from 'redis';
import type { SentinelRespServer } from '../../src/discovery/resp/server.js';
import { FakeSource, standardSource } from '../unit/discovery/support/fake-source.js';
import {
  haveBinary,
  runProcess,
  startRedis,
  tempDir,
  type RedisProcess,
} from '../unit/discovery/support/redis-procs.js';
import { startRespServer } from '../unit/discovery/support/servers.js';

const hasRedis = haveBinary('redis-server');
/** Which Redis node a client ended up on. */
async function tcpPort(redis: Redis): Promise<number> {
  const info = await redis.info('server');
  return Number(/tcp_port:(\d+)/.exec(info)?.[1]);
}

const hasPython = spawnSync('/usr/bin/python3', ['-c', 'import redis']).status === 0;

describe('real clients against the RESP server', { skip: !hasRedis && 'redis-server not installed' }, () => {
  const dir = tempDir('raftinel-resp-clients-');
  let master: RedisProcess;
  let replica: RedisProcess;
  let source: FakeSource;
  let server: SentinelRespServer;
  let port: number;

  before(async () => {
    master = await startRedis(dir.path);
    replica = await startRedis(dir.path, { replicaOf: master.port });
    source = standardSource(master.port, replica.port);
    ({ server, port } = await startRespServer(source));
  });

  after(async () => {
    await server?.close();
    await replica?.stop();
    await master?.stop();
    dir.remove();
  });

  test('ioredis in Sentinel mode finds the master and writes to it', async () => {
    const redis = new Redis({
      sentinels: [{ host: '127.0.0.1', port }],
      name: 'mymaster',
      lazyConnect: true,
    });
    try {
      await redis.connect();
      await redis.set('raftinel:ioredis', 'ok');
      assert.equal(await redis.get('raftinel:ioredis'), 'ok');
      assert.equal(await tcpPort(redis), master.port);
    } finally {
      redis.disconnect();
    }
  });

  test('ioredis role slave reads from the replica SENTINEL SLAVES lists', async () => {
    const redis = new Redis({
      sentinels: [{ host: '127.0.0.1', port }],
      name: 'mymaster',
      role: 'slave',
      lazyConnect: true,
    });
    try {
      await redis.connect();
      assert.equal(await tcpPort(redis), replica.port);
      assert.match(String(await redis.info('replication')), /role:slave/);
    } finally {
      redis.disconnect();
    }
  });

  test('ioredis skips a node without a fresh leader (IDONTKNOW) and asks the next one', async () => {
    const stale = standardSource(1, 2); // an address nobody listens on: must never be used
    stale.fresh = false;
    const staleServer = await startRespServer(stale);
    const redis = new Redis({
      sentinels: [
        { host: '127.0.0.1', port: staleServer.port },
        { host: '127.0.0.1', port },
      ],
      name: 'mymaster',
      lazyConnect: true,
    });
    try {
      await redis.connect();
      assert.equal(await tcpPort(redis), master.port);
      assert.equal(await redis.ping(), 'PONG');
    } finally {
      redis.disconnect();
      await staleServer.server.close();
    }
  });

  test('ioredis on the sentinel port: SENTINEL commands and a +switch-master subscription', async () => {
    const client = new Redis({ port, lazyConnect: true });
    const sub = new Redis({ port, lazyConnect: true });
    try {
      await client.connect();
      assert.deepEqual(await client.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'), [
        '127.0.0.1',
        String(master.port),
      ]);
      const masters = (await client.call('SENTINEL', 'MASTERS')) as string[][];
      assert.equal(masters[0][1], 'mymaster');
      await sub.connect();
      const got = new Promise<[string, string]>((resolve) =>
        sub.on('message', (channel: string, message: string) => resolve([channel, message])),
      );
      await sub.subscribe('+switch-master');
      server.publish('+switch-master', `mymaster 127.0.0.1 ${master.port} 127.0.0.1 ${replica.port}`);
      assert.deepEqual(await got, [
        '+switch-master',
        `mymaster 127.0.0.1 ${master.port} 127.0.0.1 ${replica.port}`,
      ]);
    } finally {
      client.disconnect();
      sub.disconnect();
    }
  });

  test('node-redis v5: sendCommand in RESP2 and RESP3, pSubscribe, and createSentinel', async () => {
    const c2 = createClient({ socket: { host: '127.0.0.1', port } });
    const c3 = createClient({ socket: { host: '127.0.0.1', port }, RESP: 3 });
    const ps = createClient({ socket: { host: '127.0.0.1', port } });
    for (const c of [c2, c3, ps]) c.on('error', () => undefined);
    try {
      await c2.connect();
      const masters = (await c2.sendCommand(['SENTINEL', 'MASTERS'])) as string[][];
      assert.deepEqual(masters[0].slice(0, 2), ['name', 'mymaster']);
      await c3.connect();
      const rec = (await c3.sendCommand(['SENTINEL', 'MASTER', 'mymaster'])) as Record<string, string>;
      assert.equal(rec.port, String(master.port));
      assert.equal(rec.flags, 'master');
      await ps.connect();
      const got = new Promise<string>(
        (resolve) => void ps.pSubscribe('[-+]sdown', (message) => resolve(message)),
      );
      await new Promise((r) => setTimeout(r, 50));
      server.publish('+sdown', `master mymaster 127.0.0.1 ${master.port}`);
      assert.equal(await got, `master mymaster 127.0.0.1 ${master.port}`);
    } finally {
      await Promise.allSettled([c2.close(), c3.close(), ps.close()]);
    }
    const sentinel = createSentinel({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port }] });
    sentinel.on('error', () => undefined);
    try {
      await sentinel.connect();
      await sentinel.set('raftinel:node-redis', 'ok');
      assert.equal(await sentinel.get('raftinel:node-redis'), 'ok');
    } finally {
      await sentinel.close();
    }
  });

  test(
    'redis-cli: SENTINEL MASTERS, GET-MASTER-ADDR-BY-NAME, RESP3, INFO, admin FAILOVER',
    { skip: !haveBinary('redis-cli') && 'no redis-cli' },
    async () => {
      const cli = async (...args: string[]): Promise<string> =>
        (await runProcess('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
      const masters = (await cli('SENTINEL', 'MASTERS')).split('\n');
      assert.deepEqual(masters.slice(0, 6), [
        'name',
        'mymaster',
        'ip',
        '127.0.0.1',
        'port',
        String(master.port),
      ]);
      assert.equal(
        await cli('sentinel', 'get-master-addr-by-name', 'mymaster'),
        `127.0.0.1\n${master.port}\n`,
      );
      assert.match(await cli('-3', 'SENTINEL', 'MASTER', 'mymaster'), /mymaster/);
      assert.match(await cli('INFO', 'sentinel'), /master0:name=mymaster,status=ok/);
      assert.match(await cli('SENTINEL', 'FAILOVER', 'mymaster'), /NOPERM/);
      const admin = await cli(
        '--user',
        'admin',
        '--pass',
        source.adminToken,
        '--no-auth-warning',
        'SENTINEL',
        'FAILOVER',
        'mymaster',
      );
      assert.equal(admin, 'OK\n');
      assert.deepEqual(source.failoverCalls.at(-1), 'mymaster');
    },
  );

  test(
    'redis-py: Sentinel.discover_master and discover_slaves',
    { skip: !hasPython && 'python3-redis not installed' },
    async () => {
      const script = [
        'import sys',
        'from redis.sentinel import Sentinel, MasterNotFoundError',
        `s = Sentinel([("127.0.0.1", int(sys.argv[1]))], socket_timeout=5)`,
        'print(s.discover_master("mymaster"))',
        'print(s.discover_slaves("mymaster"))',
        'try:',
        '    s.discover_master("nope")',
        'except MasterNotFoundError:',
        '    print("not found")',
      ].join('\n');
      const r = await runProcess('/usr/bin/python3', ['-c', script, String(port)]);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, `('127.0.0.1', ${master.port})\n[('127.0.0.1', ${replica.port})]\nnot found\n`);
    },
  );

  test(
    'redis-py: a node without a fresh leader is skipped (its master is flagged s_down)',
    { skip: !hasPython && 'python3-redis not installed' },
    async () => {
      const stale = standardSource(1, 2);
      stale.fresh = false;
      const staleServer = await startRespServer(stale);
      try {
        const script = [
          'import sys',
          'from redis.sentinel import Sentinel',
          's = Sentinel([("127.0.0.1", int(sys.argv[1])), ("127.0.0.1", int(sys.argv[2]))], socket_timeout=5)',
          'print(s.discover_master("mymaster"))',
        ].join('\n');
        const r = await runProcess('/usr/bin/python3', [
          '-c',
          script,
          String(staleServer.port),
          String(port),
        ]);
        assert.equal(r.stderr, '');
        assert.equal(r.stdout, `('127.0.0.1', ${master.port})\n`);
      } finally {
        await staleServer.server.close();
      }
    },
  );
});
