// Promotion on production-shaped Redis (docs/design.md 4.4): a renamed or disabled CONFIG and an
// ACL user without CONFIG must not stop REPLICAOF NO ONE; the preflight names each problem.
// Real redis-server processes; deadlines are hang guards.
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { DEFAULTS } from '../../src/config/defaults.js';
import { Redis } from 'ioredis';
import { RedisAdmin, type ProbeTarget } from '../../src/monitor/index.js';
import { preflight } from '../../src/monitor/preflight.js';
import type { RespValue } from '../../src/monitor/resp-reply.js';
import { FailoverRig } from '../helpers/failover-rig.js';
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

test(
  'preflight: one line per problem (renamed or disabled CONFIG, an ACL user without CONFIG)',
  { timeout: 30_000 },
  async (t) => {
    const renamed = await replicaWith(t, ['--rename-command', 'CONFIG', '']);
    const acl = await replicaWith(t, ACL_USER);
    const lines = async (tgt: ProbeTarget): Promise<string[]> => {
      const conn = new Redis({
        port: tgt.node.port,
        username: tgt.auth?.username ?? undefined,
        password: tgt.auth?.password,
        lazyConnect: true,
      });
      t.after(() => conn.disconnect());
      await conn.connect();
      // The preflight takes our client's promise form; ioredis's call() gives the same replies.
      const send = (args: readonly string[]): Promise<RespValue> =>
        conn.call(args[0], ...args.slice(1)) as Promise<RespValue>;
      const result = await preflight({ send }, tgt);
      assert.match(result.version ?? '', /^\d+\.\d+/);
      return result.problems.map((p) => `${p.severity}: ${p.message}`);
    };
    const unset = await lines(target(renamed.port));
    assert.equal(unset.length, 1, unset.join('\n'));
    assert.match(
      unset.join('\n'),
      /warn: CONFIG is not a command on this node \(renamed\? set renameCommands\.CONFIG\)/,
    );
    const declared = await lines(target(renamed.port, { renameCommands: { CONFIG: '' } }));
    assert.match(declared.join('\n'), /warn: CONFIG is disabled \(renameCommands CONFIG: ""\)/);
    const denied = await lines(target(acl.port, { auth: { username: 'raftinel', password: 's3cret' } }));
    assert.deepEqual(
      denied.map((l) => l.replace(/:.*/, '') + ': ' + (/may not run ([A-Z]+ [A-Za-z-]+)/.exec(l)?.[1] ?? l)),
      // CONFIG SET twice: replica-read-only (repoint) and min-replicas-to-write (fence, write safety).
      ['warn: CONFIG REWRITE', 'warn: CONFIG SET', 'warn: CONFIG SET', 'warn: CONFIG GET'],
    );
  },
);

test(
  'a switchover and a failover promote on Redis nodes without CONFIG, and /v1/shards shows the preflight',
  { timeout: 90_000 },
  async (t) => {
    const rig = await FailoverRig.create({ redisArgs: ['--rename-command', 'CONFIG', ''] });
    t.after(() => rig.destroy());
    await rig.start();
    const shown = await rig.waitView(
      'mymaster',
      (v) => (v.preflight?.length ?? 0) === 3,
      'preflight lines in /v1/shards',
      20_000,
    );
    assert.ok(
      shown.preflight?.every((p) => /CONFIG is not a command/.test(p.message)),
      JSON.stringify(shown.preflight),
    );
    // No fence without CONFIG: the switchover runs on the write pause alone, as the preflight says.
    const sw = await rig.post<{ ok: boolean; error?: unknown }>('/v1/shards/mymaster/switchover', {
      to: 'r2',
    });
    assert.equal(sw.status, 200, JSON.stringify(sw.body));
    assert.equal(sw.body.ok, true, JSON.stringify(sw.body));
    assert.equal((await redisRole(rig.redis('r2').realPort)).role, 'master');
    await rig.redis('r2').kill();
    const v = await rig.waitView(
      'mymaster',
      (x) => x.epoch > 1 && x.master?.id !== 'r2' && (x.state === 'ok' || x.state === 'cooldown'),
      'the failover done',
      30_000,
    );
    const promoted = rig.redis(v.master?.id ?? '');
    assert.equal((await redisRole(promoted.realPort)).role, 'master', await rig.dump());
  },
);
