// RedisAdmin against real redis-server processes: the failover engine's operations (promote,
// replicaof, inspect, pause, unpause) as docs/design.md 4.4, 4.5 and 4.7 describe them, including
// renamed commands and whom CLIENT KILL spares. Deadlines are hang
// guards, never speed claims.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { RedisAdmin } from '../../src/monitor/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { freePort } from '../helpers/ports.js';
import { probeTarget } from '../helpers/probe-target.js';
import { RedisServer, stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const GUARD_MS = 10_000;

after(() => stopAllRedis());

function admin(t: TestContext, timeoutMs = 2000): RedisAdmin {
  const a = new RedisAdmin({ timeoutMs });
  t.after(() => a.close());
  return a;
}

function client(t: TestContext, server: RedisServer, name = 'app'): Redis {
  const c = new Redis({
    port: server.port,
    host: server.host,
    disableClientInfo: true,
    connectionName: name,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => {});
  t.after(() => c.disconnect());
  return c;
}

async function role(server: RedisServer): Promise<unknown[]> {
  const c = new Redis({ port: server.port, disableClientInfo: true });
  try {
    return (await c.call('ROLE')) as unknown[];
  } finally {
    c.disconnect();
  }
}

/** The CLIENT LIST id of the admin connection (name raftinel-admin), or null. */
async function adminClientId(server: RedisServer): Promise<string | null> {
  const c = new Redis({ port: server.port, disableClientInfo: true });
  try {
    const line = String(await c.call('CLIENT', 'LIST'))
      .split('\n')
      .find((l) => l.includes('name=raftinel-admin'));
    return line ? (/\bid=(\d+)/.exec(line)?.[1] ?? null) : null;
  } finally {
    c.disconnect();
  }
}

function closed(c: Redis): Promise<true> {
  return new Promise((resolve) => {
    if (c.status === 'end' || c.status === 'close') resolve(true);
    else c.once('close', () => resolve(true));
  });
}

async function pair(t: TestContext): Promise<{ master: RedisServer; replica: RedisServer }> {
  const master = await RedisServer.start();
  const replica = await RedisServer.start({ replicaOf: master.address });
  t.after(() => Promise.all([master.stop(), replica.stop()]));
  const c = client(t, master, 'writer');
  for (let i = 0; i < 20; i++) await c.set(`key:${i}`, String(i));
  await waitFor(
    'replica in sync',
    async () => ((await role(replica))[3] === 'connected' ? true : undefined),
    { timeoutMs: GUARD_MS },
  );
  return { master, replica };
}

describe('RedisAdmin: inspect', () => {
  test('master and replica: role, offsets, one history, link, run ids', async (t) => {
    const { master, replica } = await pair(t);
    const a = admin(t);
    const m = await a.execute(probeTarget('m', master.port), { kind: 'inspect' });
    const r = await a.execute(probeTarget('r', replica.port), { kind: 'inspect' });
    assert.ok(m.ok && m.view && r.ok && r.view, JSON.stringify({ m, r }));
    assert.equal(m.view.role, 'master');
    assert.equal(r.view.role, 'slave');
    assert.equal(r.view.masterHost, '127.0.0.1');
    assert.equal(r.view.masterPort, master.port);
    assert.equal(r.view.linkUp, true);
    assert.equal(r.view.replId, m.view.replId);
    assert.notEqual(r.view.runId, m.view.runId);
    assert.ok((m.view.offset ?? 0) > 0);
    assert.equal(m.view.reachable, true);
    assert.equal(m.view.sdown, false);
    assert.equal(m.view.shard, 'cache');
    assert.equal(m.view.node, 'm');
  });
});

describe('RedisAdmin: inspect through an empty restart of the master', () => {
  test("a replica that full-synced from its master restarted empty reports the empty master's history, and carries it once promoted", async (t) => {
    const { master, replica } = await pair(t);
    const a = admin(t);
    const before = await a.execute(probeTarget('r', replica.port), { kind: 'inspect' });
    const history = before.view?.replId;
    assert.ok(history);
    await master.stop();
    const empty = await RedisServer.start({ port: master.port });
    t.after(() => empty.stop());
    // Redis replicas reconnect by themselves (replicationCron, once a second) and full-sync.
    const resynced = await waitFor(
      'the replica full-synced from the empty master',
      async () => {
        const r = await a.execute(probeTarget('r', replica.port), { kind: 'inspect' });
        return r.view?.linkUp === true && r.view.replId !== history ? r.view : undefined;
      },
      { timeoutMs: GUARD_MS },
    );
    const m = await a.execute(probeTarget('m', empty.port), { kind: 'inspect' });
    assert.equal(resynced.replId, m.view?.replId, "the empty master's history");
    assert.equal(resynced.replId2, null, 'a full sync keeps nothing of the old history');
    assert.equal(await client(t, replica).dbsize(), 0, 'and its data is gone');
    await a.execute(probeTarget('r', replica.port), { kind: 'promote' });
    const after = await a.execute(probeTarget('r', replica.port), { kind: 'inspect' });
    assert.equal(after.view?.role, 'master');
    assert.equal(
      after.view?.replId2,
      m.view?.replId,
      "promoted, it continues the empty master's history, not the old one",
    );
  });
});

describe('RedisAdmin: promote and repoint', () => {
  test('promote: the replica becomes master; CONFIG REWRITE without a config file is not a failure', async (t) => {
    const { master, replica } = await pair(t);
    const a = admin(t);
    const before = await a.execute(probeTarget('r', replica.port), { kind: 'inspect' });
    const app = client(t, replica, 'app');
    await app.get('key:1');
    const appClosed = closed(app);
    const res = await a.execute(probeTarget('r', replica.port), { kind: 'promote' });
    assert.deepEqual(res, { ok: true });
    const r = await role(replica);
    assert.equal(r[0], 'master');
    const after = await a.execute(probeTarget('r', replica.port), { kind: 'inspect' });
    assert.equal(after.view?.role, 'master');
    assert.notEqual(after.view?.replId, before.view?.replId, 'a promoted replica starts a new history');
    // The history it continued: what the failover verifies after REPLICAOF NO ONE (promotion.ts).
    assert.equal(before.view?.replId2, null);
    assert.equal(
      after.view?.replId2,
      before.view?.replId,
      'its master_replid2 is the one it had as a replica',
    );
    assert.equal(after.view?.offset, before.view?.offset, 'and keeps its offset');
    assert.equal(await appClosed, true, 'CLIENT KILL TYPE normal dropped the application client');
    assert.equal((await role(master))[0], 'master');
  });

  test('CLIENT KILL TYPE normal spares the admin connection itself (SKIPME yes by default)', async (t) => {
    const { replica } = await pair(t);
    const a = admin(t);
    await a.execute(probeTarget('r', replica.port), { kind: 'inspect' });
    const id = await adminClientId(replica);
    assert.ok(id);
    assert.deepEqual(await a.execute(probeTarget('r', replica.port), { kind: 'promote' }), { ok: true });
    assert.equal(await adminClientId(replica), id, 'same admin connection after the kill');
    assert.equal((await a.execute(probeTarget('r', replica.port), { kind: 'inspect' })).ok, true);
    assert.equal(await adminClientId(replica), id);
  });

  test('replicaof: demote a master to a replica of another, read-only, clients dropped, and back', async (t) => {
    const { master, replica } = await pair(t);
    const a = admin(t);
    assert.deepEqual(await a.execute(probeTarget('r', replica.port), { kind: 'promote' }), { ok: true });
    // Now two masters: demote the old one under the new one, as after a failover (4.5).
    const writer = client(t, master, 'writer2');
    await writer.set('before-demotion', '1');
    const writerClosed = closed(writer);
    const id = await adminClientId(master);
    const res = await a.execute(probeTarget('m', master.port), {
      kind: 'replicaof',
      host: '127.0.0.1',
      port: replica.port,
      killClients: true,
    });
    assert.deepEqual(res, { ok: true });
    assert.equal(await writerClosed, true);
    if (id !== null) assert.equal(await adminClientId(master), id);
    const view = await waitFor(
      'old master following the new one',
      async () => {
        const v = await a.execute(probeTarget('m', master.port), { kind: 'inspect' });
        return v.view?.role === 'slave' && v.view.linkUp === true ? v.view : undefined;
      },
      { timeoutMs: GUARD_MS },
    );
    assert.equal(view.masterPort, replica.port);
    const direct = new Redis({ port: master.port, disableClientInfo: true });
    t.after(() => direct.disconnect());
    assert.deepEqual(await direct.call('CONFIG', 'GET', 'replica-read-only'), ['replica-read-only', 'yes']);
    await assert.rejects(direct.set('x', '1'), /READONLY/);
    // And back: the original topology.
    assert.deepEqual(await a.execute(probeTarget('m', master.port), { kind: 'promote' }), { ok: true });
    assert.deepEqual(
      await a.execute(probeTarget('r', replica.port), {
        kind: 'replicaof',
        host: '127.0.0.1',
        port: master.port,
        killClients: false,
      }),
      { ok: true },
    );
    const r = await role(replica);
    assert.equal(r[0], 'slave');
    assert.equal(r[2], master.port);
  });

  test('with a config file, CONFIG REWRITE saves the new role', async (t) => {
    const dir = makeTempDir('raftinel-conf-');
    t.after(() => removeDir(dir));
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const conf = join(dir, 'redis.conf');
    writeFileSync(conf, `replicaof 127.0.0.1 ${master.port}\n`);
    const replica = await RedisServer.start({ configFile: conf });
    t.after(() => replica.stop());
    const a = admin(t);
    assert.deepEqual(await a.execute(probeTarget('r', replica.port), { kind: 'promote' }), { ok: true });
    assert.doesNotMatch(readFileSync(conf, 'utf8'), /^replicaof /m);
    assert.deepEqual(
      await a.execute(probeTarget('r', replica.port), {
        kind: 'replicaof',
        host: '127.0.0.1',
        port: master.port,
        killClients: false,
      }),
      { ok: true },
    );
    assert.match(readFileSync(conf, 'utf8'), new RegExp(`^replicaof 127\\.0\\.0\\.1 ${master.port}$`, 'm'));
  });
});

describe('RedisAdmin: pause and unpause', () => {
  test('CLIENT PAUSE WRITE holds writes of other clients (reads go on) until CLIENT UNPAUSE', async (t) => {
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const a = admin(t);
    const app = client(t, master);
    const reader = client(t, master, 'reader');
    await app.set('k', 'before');
    assert.deepEqual(await a.execute(probeTarget('m', master.port), { kind: 'pause', ms: 10_000 }), {
      ok: true,
    });
    let done = false;
    const write = app.set('k', 'after').then(() => {
      done = true;
    });
    assert.equal(await reader.get('k'), 'before', 'reads are not paused');
    await sleep(300);
    assert.equal(done, false, 'the write waits while paused');
    const released = performance.now();
    assert.deepEqual(await a.execute(probeTarget('m', master.port), { kind: 'unpause' }), { ok: true });
    await write;
    t.diagnostic(`write completed ${Math.round(performance.now() - released)} ms after unpause`);
    assert.equal(await reader.get('k'), 'after');
  });
});

describe('RedisAdmin: failures are results, never throws', () => {
  test('nothing listening: ok false within the deadline', async (t) => {
    const port = await freePort();
    const a = admin(t, 500);
    const started = performance.now();
    const res = await a.execute(probeTarget('x', port), { kind: 'promote' });
    assert.equal(res.ok, false);
    assert.match(res.error ?? '', /not connected within 500 ms.*ECONNREFUSED/);
    assert.ok(performance.now() - started < GUARD_MS);
  });

  test('a node that never answers: ok false at the deadline, and the next operation is not stuck', async (t) => {
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const a = admin(t, 400);
    assert.equal((await a.execute(probeTarget('m', master.port), { kind: 'inspect' })).ok, true);
    master.pause();
    t.after(() => master.resume());
    const res = await a.execute(probeTarget('m', master.port), { kind: 'inspect' });
    assert.deepEqual(res, { ok: false, error: 'no answer within 400 ms' });
    master.resume();
    const again = await waitFor(
      'admin works again',
      async () => {
        const r = await a.execute(probeTarget('m', master.port), { kind: 'inspect' });
        return r.ok ? r : undefined;
      },
      { timeoutMs: GUARD_MS },
    );
    assert.equal(again.view?.role, 'master');
  });

  test('a path that accepts and drops connections: ok false, and operations work again once it heals', async (t) => {
    // Regression: a connection closed before ioredis's own CLIENT SETNAME was answered left the
    // client "ready" on a closed stream, so every later operation failed at once, for good.
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const proxy = await FaultProxy.start({ target: master.address, resetDelayMs: 20 });
    t.after(() => proxy.close());
    const a = admin(t, 400);
    proxy.cut('drop');
    const res = await a.execute(probeTarget('m', proxy.port), { kind: 'inspect' });
    assert.equal(res.ok, false);
    proxy.heal();
    let tries = 0;
    const again = await waitFor(
      'admin works again',
      async () => {
        tries++;
        const r = await a.execute(probeTarget('m', proxy.port), { kind: 'inspect' });
        return r.ok ? r : undefined;
      },
      { timeoutMs: GUARD_MS },
    );
    t.diagnostic(`first failure: ${res.error}; ok again after ${tries} operation(s)`);
    assert.equal(again.view?.role, 'master');
    assert.ok(tries <= 2, `at most one more failed operation after the heal (${tries})`);
  });

  test('junk and wrong passwords are reported, with the reason', async (t) => {
    const port = await freePort();
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('data', () => s.write('+HELLO WORLD\r\n'));
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    t.after(() => {
      server.close();
      for (const s of sockets) s.destroy();
    });
    const locked = await RedisServer.start({ requirePass: 'sesame' });
    t.after(() => locked.stop());
    const a = admin(t, 1000);
    const junk = await a.execute(probeTarget('j', port), { kind: 'inspect' });
    assert.equal(junk.ok, false);
    assert.match(junk.error ?? '', /garbage INFO/);
    const pause = await a.execute(probeTarget('j', port), { kind: 'pause', ms: 100 });
    assert.deepEqual(pause, { ok: false, error: 'unexpected reply HELLO WORLD' });
    const wrong = await a.execute(
      probeTarget('l', locked.port, { auth: { username: null, password: 'open barley' } }),
      { kind: 'promote' },
    );
    assert.equal(wrong.ok, false);
    assert.match(wrong.error ?? '', /^AUTH refused: WRONGPASS/);
    assert.doesNotMatch(wrong.error ?? '', /barley/);
    const right = await a.execute(
      probeTarget('l', locked.port, { auth: { username: null, password: 'sesame' } }),
      { kind: 'inspect' },
    );
    assert.equal(right.ok, true, right.error);
  });

  test('a renamed REPLICAOF: refused under its old name (nothing ran), promoted under renameCommands', async (t) => {
    const args = ['--rename-command', 'REPLICAOF', 'MYREPLICAOF', '--rename-command', 'CONFIG', ''];
    const master = await RedisServer.start({ args });
    t.after(() => master.stop());
    const replica = await RedisServer.start({ replicaOf: master.address, args });
    t.after(() => replica.stop());
    const a = admin(t);
    const res = await a.execute(probeTarget('r', replica.port), { kind: 'promote' });
    assert.equal(res.ok, false);
    assert.match(res.error ?? '', /REPLICAOF NO ONE: .*unknown command 'REPLICAOF'/);
    assert.equal((await role(replica))[0], 'slave', 'REPLICAOF NO ONE did not run');
    const renamed = probeTarget('r', replica.port, {
      renameCommands: { REPLICAOF: 'MYREPLICAOF', CONFIG: '' },
    });
    assert.deepEqual(await a.execute(renamed, { kind: 'promote' }), { ok: true });
    assert.equal((await role(replica))[0], 'master');
  });
});

describe('RedisAdmin: write-safety', () => {
  async function config(server: RedisServer, name: string): Promise<string> {
    const c = new Redis({ port: server.port, disableClientInfo: true });
    try {
      return String(((await c.call('CONFIG', 'GET', name)) as string[])[1]);
    } finally {
      c.disconnect();
    }
  }

  test('both settings in one MULTI; a fence lifted; an operator value left alone', async (t) => {
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const a = admin(t);
    const set = { kind: 'write-safety', minReplicas: 1_000_000, maxLagS: 3, persist: false } as const;
    assert.deepEqual(await a.execute(probeTarget('m', master.port), set), { ok: true });
    assert.equal(await config(master, 'min-replicas-to-write'), '1000000');
    assert.equal(await config(master, 'min-replicas-max-lag'), '3');
    const lift = { kind: 'write-safety', minReplicas: null, maxLagS: 10, persist: false } as const;
    assert.deepEqual(await a.execute(probeTarget('m', master.port), lift), { ok: true });
    assert.equal(await config(master, 'min-replicas-to-write'), '0');
    assert.equal(await config(master, 'min-replicas-max-lag'), '10');
    const own = { ...set, minReplicas: 2, maxLagS: 7 };
    assert.deepEqual(await a.execute(probeTarget('m', master.port), own), { ok: true });
    assert.deepEqual(await a.execute(probeTarget('m', master.port), lift), { ok: true });
    assert.equal(await config(master, 'min-replicas-to-write'), '2', 'not a fence: kept');
  });

  test('CONFIG SET refused at queue time (an ACL rule): neither setting changes, and the refusal is named', async (t) => {
    const args = ['--user', 'raftinel', 'on', '>s3cret', '~*', '&*', '+@all', '-config|set'];
    const master = await RedisServer.start({ args });
    t.after(() => master.stop());
    const a = admin(t);
    const target = probeTarget('m', master.port, { auth: { username: 'raftinel', password: 's3cret' } });
    const res = await a.execute(target, { kind: 'write-safety', minReplicas: 1, maxLagS: 3, persist: false });
    assert.equal(res.ok, false);
    assert.match(res.error ?? '', /^CONFIG SET min-replicas-max-lag: NOPERM .*\(EXECABORT /);
    assert.equal(await config(master, 'min-replicas-max-lag'), '10');
    assert.equal(await config(master, 'min-replicas-to-write'), '0');
    // The connection is not left inside a transaction.
    assert.equal((await a.execute(target, { kind: 'inspect' })).ok, true);
  });
});
