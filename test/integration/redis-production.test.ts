// Promotion on production-shaped Redis (docs/design.md 4.4): a renamed or disabled CONFIG and an
// ACL user without CONFIG must not stop REPLICAOF NO ONE; the preflight names each problem.
// Real redis-server processes; deadlines are hang guards.
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { DEFAULTS } from '../../src/config/defaults.js';
import { RedisAdmin, type ProbeTarget } from '../../src/monitor/index.js';
import { redisRole } from '../helpers/redis-query.js';
import { RedisServer, stopAllRedis } from '../helpers/redis-server.js';

after(() => stopAllRedis());

const ACL_USER = ['--user', 'raftinel', 'on', '>s3cret', '~*', '&*', '+@all', '-config'];

function target(port: number, extra: Partial<ProbeTarget> = {}): ProbeTarget {
  return {
    shard: 'cache',
    node: { id: `r${port}`, host: '127.0.0.1', port, priority: 100, noFailover: false },
    settings: { ...DEFAULTS.shard },
    auth: null,
    tls: null,
    isMaster: false,
    ...extra,
  };
}

async function replicaWith(t: TestContext, args: string[]): Promise<RedisServer> {
  const master = await RedisServer.start({});
  const replica = await RedisServer.start({ args, replicaOf: { host: master.host, port: master.port } });
  t.after(async () => {
    await replica.stop();
    await master.stop();
  });
  return replica;
}

const cases: [string, string[], Partial<ProbeTarget>][] = [
  ['CONFIG disabled (rename-command CONFIG "")', ['--rename-command', 'CONFIG', ''], {}],
  ['an ACL user without CONFIG', ACL_USER, { auth: { username: 'raftinel', password: 's3cret' } }],
];
for (const [name, args, extra] of cases) {
  test(`promote with ${name}: REPLICAOF NO ONE still runs`, { timeout: 30_000 }, async (t) => {
    const replica = await replicaWith(t, args);
    const admin = new RedisAdmin({ timeoutMs: 2000 });
    t.after(() => admin.close());
    const result = await admin.execute(target(replica.port, extra), { kind: 'promote' });
    assert.deepEqual(result, { ok: true });
    assert.equal((await redisRole(replica.port)).role, 'master');
  });
}
