// The prober against real redis-server processes (docs/design.md 4.1, 4.2): what it reports of a
// master and a replica, and of nodes that stall, die, restart empty, answer garbage or refuse
// AUTH. downAfterMs 500 and pingIntervalMs 100 (docs/design.md 9). Deadlines are hang guards, never
// speed claims; lower bounds (nothing is called down early) are asserted where they matter.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import type { RedisObservation } from '../../src/failover/types.js';
import { Prober, type ProbeTarget } from '../../src/monitor/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { freePort } from '../helpers/ports.js';
import { PROBE_SETTINGS, probeTarget } from '../helpers/probe-target.js';
import { RedisServer, stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const GUARD_MS = 10_000;

after(() => stopAllRedis());

function prober(t: TestContext, targets: ProbeTarget[], sourceAddress: string | null = null): Prober {
  const p = new Prober({ sourceAddress });
  t.after(() => p.close());
  p.setTargets(targets);
  return p;
}

function obsOf(p: Prober, node: string): RedisObservation {
  const o = p.observations().find((x) => x.node === node);
  assert.ok(o, `no observation of ${node}`);
  return o;
}

/** Waits until the node's observation satisfies `ok`, and returns it. */
function until(
  p: Prober,
  node: string,
  what: string,
  ok: (o: RedisObservation) => boolean,
): Promise<RedisObservation> {
  return waitFor(
    `${node}: ${what}`,
    () => {
      const o = obsOf(p, node);
      return ok(o) ? o : undefined;
    },
    { timeoutMs: GUARD_MS, intervalMs: 10 },
  );
}

function client(t: TestContext, server: RedisServer, password?: string): Redis {
  const c = new Redis({
    port: server.port,
    host: server.host,
    password,
    disableClientInfo: true,
    maxRetriesPerRequest: 1,
  });
  c.on('error', () => {});
  t.after(() => c.disconnect());
  return c;
}

/** A master with a replica in sync, and some data written. */
async function pair(t: TestContext): Promise<{ master: RedisServer; replica: RedisServer }> {
  const master = await RedisServer.start();
  const replica = await RedisServer.start({ replicaOf: master.address });
  t.after(() => Promise.all([master.stop(), replica.stop()]));
  const c = client(t, master);
  for (let i = 0; i < 20; i++) await c.set(`key:${i}`, 'x'.repeat(i));
  return { master, replica };
}

/** A TCP server that answers every chunk it receives with `reply`. */
async function junkServer(t: TestContext, reply: string): Promise<number> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => socket.write(reply));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => {
    server.close();
    for (const s of sockets) s.destroy();
  });
  return port;
}

describe('prober: a healthy master and replica', () => {
  test('roles, offsets, one replication history, link up', async (t) => {
    const { master, replica } = await pair(t);
    const p = prober(t, [probeTarget('m', master.port, { isMaster: true }), probeTarget('r', replica.port)]);
    const m = await until(
      p,
      'm',
      'master with a replication id',
      (o) => o.role === 'master' && o.replId !== null,
    );
    const r = await until(
      p,
      'r',
      'replica caught up, link up',
      (o) => o.role === 'slave' && o.linkUp === true && o.offset === m.offset && o.replId !== null,
    );
    assert.equal(r.replId, m.replId);
    assert.equal(r.masterHost, '127.0.0.1');
    assert.equal(r.masterPort, master.port);
    assert.ok((m.offset ?? 0) > 0);
    assert.notEqual(r.runId, m.runId);
    for (const o of [m, r]) {
      assert.equal(o.sdown, false);
      assert.equal(o.reachable, true);
      assert.equal(o.unsure, false);
      assert.equal(o.error, null);
      assert.ok(o.runId && /^[0-9a-f]{40}$/.test(o.runId));
    }
    assert.equal(m.linkUp, null);
  });

  test('offsets move without change events; a change of meaning is reported', async (t) => {
    const { master, replica } = await pair(t);
    const p = prober(t, [probeTarget('m', master.port, { isMaster: true }), probeTarget('r', replica.port)]);
    await until(p, 'r', 'replica link up', (o) => o.linkUp === true && o.replId !== null);
    await until(p, 'm', 'master known', (o) => o.replId !== null);
    await sleep(300);
    const events: RedisObservation[] = [];
    p.onChange((changed) => events.push(...changed));
    const before = obsOf(p, 'm').offset ?? 0;
    const c = client(t, master);
    for (let i = 0; i < 50; i++) {
      await c.set(`busy:${i}`, 'y'.repeat(100));
      await sleep(10);
    }
    await until(p, 'r', 'replica offset moved', (o) => (o.offset ?? 0) > before);
    assert.equal(events.length, 0, `offset changes alone must not be reported: ${JSON.stringify(events)}`);
    p.setTargets([
      probeTarget('m', master.port, { isMaster: true }),
      probeTarget('r', replica.port, { isMaster: true }),
    ]);
    await waitFor(
      'a change event for r',
      () => (events.some((e) => e.node === 'r' && e.sdown) ? true : undefined),
      { timeoutMs: GUARD_MS },
    );
  });

  test('outgoing connections use the source address, named raftinel-probe; removal closes them', async (t) => {
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const p = prober(t, [probeTarget('m', master.port)], '127.0.0.2');
    await until(p, 'm', 'reachable', (o) => o.reachable);
    const c = client(t, master);
    const list = String(await c.call('CLIENT', 'LIST'));
    const ours = list.split('\n').filter((l) => l.includes('name=raftinel-probe'));
    assert.equal(ours.length, 1, list);
    assert.match(ours[0], /addr=127\.0\.0\.2:\d+/);
    p.setTargets([]);
    await waitFor(
      'probe connection closed',
      async () => (String(await c.call('CLIENT', 'LIST')).includes('raftinel-probe') ? undefined : true),
      { timeoutMs: GUARD_MS },
    );
    assert.deepEqual(p.observations(), []);
  });

  test('fastInfo makes INFO as frequent as ROLE, and back', async (t) => {
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const p = prober(t, [probeTarget('m', master.port)]);
    await until(p, 'm', 'reachable', (o) => o.reachable && o.replId !== null);
    const c = client(t, master);
    const infoCalls = async (): Promise<number> => {
      const text = String(await c.call('INFO', 'commandstats'));
      return Number(/cmdstat_info:calls=(\d+)/.exec(text)?.[1] ?? 0);
    };
    const rate = async (): Promise<number> => {
      const a = await infoCalls();
      await sleep(1000);
      return (await infoCalls()) - a - 1; // our own INFO commandstats
    };
    assert.ok((await rate()) <= 2, 'about one INFO per infoIntervalMs normally');
    p.fastInfo('cache', true);
    assert.ok((await rate()) >= 5, 'about one INFO per pingIntervalMs when fast');
    p.fastInfo('cache', false);
    await sleep(200);
    assert.ok((await rate()) <= 2);
  });
});

describe('prober: faults', () => {
  test('SIGSTOP of the master: sdown after downAfterMs, back after SIGCONT', async (t) => {
    const { master, replica } = await pair(t);
    const p = prober(t, [probeTarget('m', master.port, { isMaster: true }), probeTarget('r', replica.port)]);
    const before = await until(p, 'm', 'master known', (o) => o.reachable && o.runId !== null);
    master.pause();
    const stoppedAt = performance.now();
    await until(p, 'm', 'unreachable', (o) => !o.reachable);
    const down = await until(p, 'm', 'sdown', (o) => o.sdown);
    const elapsed = performance.now() - stoppedAt;
    t.diagnostic(`sdown ${Math.round(elapsed)} ms after SIGSTOP (downAfterMs ${PROBE_SETTINGS.downAfterMs})`);
    assert.ok(
      elapsed >= PROBE_SETTINGS.downAfterMs - PROBE_SETTINGS.pingIntervalMs,
      `sdown too early: ${elapsed} ms`,
    );
    assert.equal(down.role, 'master', 'the last known role is kept');
    assert.equal(down.offset, before.offset);
    master.resume();
    const back = await until(p, 'm', 'back', (o) => !o.sdown && o.reachable && o.runId !== null);
    assert.equal(back.runId, before.runId);
    assert.equal(obsOf(p, 'r').sdown, false);
  });

  test('SIGSTOP past the probe and handshake timeouts (3 x downAfterMs): back at once after SIGCONT', async (t) => {
    // Regression: a reconnect whose CLIENT SETNAME timed out left the ioredis client "ready" on a
    // closed stream for good, so the node stayed down for this observer after it woke.
    const { master } = await pair(t);
    const p = prober(t, [probeTarget('m', master.port, { isMaster: true })]);
    const before = await until(p, 'm', 'master known', (o) => o.reachable && o.runId !== null);
    master.pause();
    await until(p, 'm', 'sdown', (o) => o.sdown);
    await sleep(3 * PROBE_SETTINGS.downAfterMs);
    master.resume();
    const contAt = performance.now();
    const back = await until(p, 'm', 'back', (o) => !o.sdown && o.reachable && o.runId !== null);
    const ms = performance.now() - contAt;
    t.diagnostic(`back ${Math.round(ms)} ms after SIGCONT`);
    assert.equal(back.runId, before.runId);
    assert.ok(ms < 10 * PROBE_SETTINGS.pingIntervalMs, `back ${Math.round(ms)} ms after SIGCONT`);
  });

  test('a path that accepts and drops connections (a proxy with a dead backend): back at once when it heals', async (t) => {
    // Regression: a connection closed before ioredis's own CLIENT SETNAME was answered left the
    // client "ready" on a closed stream for good (ioredis 5.9, enableReadyCheck off).
    const { master } = await pair(t);
    // The reset comes a little after the accept, so the client has sent its handshake (with the
    // proxy in this same process, an immediate reset can beat the client's own connect event).
    const proxy = await FaultProxy.start({ target: master.address, resetDelayMs: 20 });
    t.after(() => proxy.close());
    const p = prober(t, [probeTarget('m', proxy.port, { isMaster: true })]);
    await until(p, 'm', 'master known', (o) => o.reachable && o.runId !== null);
    proxy.cut('drop');
    await until(p, 'm', 'sdown', (o) => o.sdown);
    proxy.heal();
    const healedAt = performance.now();
    await until(p, 'm', 'back', (o) => !o.sdown && o.reachable && o.runId !== null);
    const ms = performance.now() - healedAt;
    const stats = proxy.sources().get('127.0.0.1');
    t.diagnostic(
      `back ${Math.round(ms)} ms after the heal; ${stats?.refused ?? 0} connections reset while cut`,
    );
    assert.ok((stats?.refused ?? 0) > 1, 'the prober kept reconnecting while the path dropped it');
    assert.ok(ms < 10 * PROBE_SETTINGS.pingIntervalMs, `back ${Math.round(ms)} ms after the heal`);
  });

  test('SIGKILL: unreachable at once, sdown after downAfterMs; a restart is a new run id with an empty offset', async (t) => {
    const { master, replica } = await pair(t);
    const p = prober(t, [probeTarget('m', master.port, { isMaster: true }), probeTarget('r', replica.port)]);
    await until(
      p,
      'r',
      'replica in sync',
      (o) => o.linkUp === true && o.offset !== null && o.offset === obsOf(p, 'm').offset,
    );
    const before = await until(
      p,
      'm',
      'master known',
      (o) => o.reachable && o.runId !== null && (o.offset ?? 0) > 0,
    );
    master.kill();
    await master.exited;
    await until(p, 'm', 'unreachable', (o) => !o.reachable);
    const down = await until(p, 'm', 'sdown', (o) => o.sdown);
    assert.equal(
      down.runId,
      before.runId,
      'last known values are kept for the leader (the dead master’s offset)',
    );
    await until(p, 'r', 'replica sees its link down', (o) => o.linkUp === false && o.offset !== null);
    const r = obsOf(p, 'r');
    assert.ok((r.linkDownMs ?? -1) >= 0);
    assert.equal(r.offset, before.offset, 'a replica keeps its processed offset while the link is down');

    const again = await RedisServer.start({ port: master.port });
    t.after(() => again.stop());
    const fresh = await until(
      p,
      'm',
      'restarted',
      (o) => o.reachable && !o.sdown && o.runId !== null && o.runId !== before.runId,
    );
    assert.ok(
      (fresh.offset ?? Infinity) < (before.offset ?? 0),
      `offset went back: ${fresh.offset} < ${before.offset}`,
    );
    assert.notEqual(fresh.replId, before.replId);
  });

  test('a port that answers junk: error set, sdown, and the prober carries on', async (t) => {
    const hello = await junkServer(t, '+HELLO WORLD\r\n');
    const huge = await junkServer(t, '$999999999999\r\n');
    const http = await junkServer(t, 'HTTP/1.1 400 Bad Request\r\n\r\n');
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const p = prober(t, [
      probeTarget('hello', hello),
      probeTarget('huge', huge),
      probeTarget('http', http),
      probeTarget('m', master.port),
    ]);
    const a = await until(p, 'hello', 'garbage error', (o) => o.error !== null);
    // Whichever of INFO and ROLE got the junk first: both refuse it.
    assert.match(a.error ?? '', /^garbage (reply: ROLE reply|INFO: INFO line 1) is "HELLO WORLD"/);
    const b = await until(p, 'huge', 'garbage error', (o) => o.error !== null);
    assert.match(b.error ?? '', /^garbage reply: bulk length 999999999999 over the cap/);
    const c = await until(p, 'http', 'garbage error', (o) => o.error !== null);
    // The reply reader (resp-reply.ts) is the framing check: it refuses the first byte.
    assert.match(c.error ?? '', /^garbage reply: unexpected reply type byte 0x48/);
    for (const node of ['hello', 'huge', 'http']) {
      const o = await until(p, node, 'sdown', (x) => x.sdown);
      assert.equal(o.reachable, false);
      assert.equal(o.role, 'unknown');
      assert.notEqual(o.error, null);
    }
    const m = obsOf(p, 'm');
    assert.equal(m.role, 'master');
    assert.equal(m.sdown, false);
    assert.equal(m.reachable, true);
  });

  test('AUTH: a wrong password is reported as refused; the right one works', async (t) => {
    const server = await RedisServer.start({ requirePass: 'correct horse' });
    t.after(() => server.stop());
    const p = prober(t, [
      probeTarget('wrong', server.port, { auth: { username: null, password: 'battery staple' } }),
      probeTarget('none', server.port),
      probeTarget('acl', server.port, { auth: { username: 'default', password: 'correct horse' } }),
      probeTarget('right', server.port, { auth: { username: null, password: 'correct horse' } }),
    ]);
    const wrong = await until(p, 'wrong', 'AUTH error', (o) => o.error !== null);
    assert.match(wrong.error ?? '', /^AUTH refused: WRONGPASS/);
    assert.doesNotMatch(wrong.error ?? '', /battery/);
    const none = await until(p, 'none', 'AUTH error', (o) => o.error !== null);
    assert.match(none.error ?? '', /^AUTH refused: NOAUTH/);
    for (const node of ['acl', 'right']) {
      const o = await until(p, node, 'master', (x) => x.role === 'master' && x.replId !== null);
      assert.equal(o.error, null);
    }
    await until(p, 'wrong', 'sdown', (o) => o.sdown);
    assert.match(obsOf(p, 'wrong').error ?? '', /^AUTH refused/);
  });

  test('TILT: a stall of the observer’s own loop makes it unsure, never sdown', async (t) => {
    const master = await RedisServer.start();
    t.after(() => master.stop());
    const p = prober(t, [probeTarget('m', master.port, { isMaster: true })]);
    await until(p, 'm', 'reachable', (o) => o.reachable);
    const events: RedisObservation[] = [];
    p.onChange((changed) => events.push(...changed));
    const end = performance.now() + 700; // > downAfterMs: any observer would call it down
    while (performance.now() < end) {
      // busy: the event loop is stalled
    }
    const o = obsOf(p, 'm');
    assert.equal(o.unsure, true);
    assert.equal(o.sdown, false);
    await until(p, 'm', 'sure again', (x) => !x.unsure);
    assert.ok(!events.some((e) => e.sdown), 'no sdown was reported during or after the stall');
    assert.equal(obsOf(p, 'm').sdown, false);
  });
});

describe('prober: TLS', () => {
  test('a TLS-only Redis is probed with the shard’s CA', async (t) => {
    const dir = makeTempDir('raftinel-tls-');
    t.after(() => removeDir(dir));
    const file = (name: string): string => join(dir, name);
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { stdio: 'ignore' });
    };
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=raftinel test CA',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      file('redis.key'),
      '-out',
      file('redis.csr'),
    );
    writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      'x509',
      '-req',
      '-in',
      file('redis.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      file('ext.cnf'),
      '-out',
      file('redis.crt'),
    );
    const server = await RedisServer.start({
      tls: { cert: file('redis.crt'), key: file('redis.key'), ca: file('ca.crt') },
    });
    t.after(() => server.stop());
    const port = server.port;
    const p = prober(t, [
      probeTarget('tls', port, { tls: { ca: file('ca.crt') } }),
      probeTarget('no-tls', port),
      probeTarget('missing-ca', port, { tls: { ca: file('nope.crt') } }),
    ]);
    const o = await until(p, 'tls', 'master over TLS', (x) => x.role === 'master' && x.replId !== null);
    assert.equal(o.error, null);
    assert.equal(obsOf(p, 'no-tls').reachable, false);
    const missing = obsOf(p, 'missing-ca');
    assert.equal(missing.reachable, false);
    assert.match(missing.error ?? '', /^cannot connect: ENOENT/);
  });
});
