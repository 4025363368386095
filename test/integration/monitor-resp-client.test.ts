// Our Redis client (src/monitor/resp-client.ts) against real redis-server processes and against
// small net.Servers that misbehave on purpose: handshake, replies in order, AUTH, a node killed
// and replaced on the same port, connect timeouts, garbage, TLS, and close(). Deadlines are hang
// guards, never speed claims.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test, type TestContext } from 'node:test';
import { classifyError, ReplyError } from '../../src/monitor/classify.js';
import type { ConnectionOptions } from '../../src/monitor/connection.js';
import { RespClient, RespTransportError } from '../../src/monitor/resp-client.js';
import type { RespValue } from '../../src/monitor/resp-reply.js';
import { CertMaker } from '../helpers/certs.js';
import { freePort } from '../helpers/ports.js';
import { RedisServer, stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const GUARD_MS = 10_000;

after(() => stopAllRedis());

type Seen = { event: 'connect' | 'ready' | 'close' } | { event: 'error'; err: Error };

/** A client whose events are recorded in order; closed after the test. */
function open(
  t: TestContext,
  port: number,
  extra: Partial<ConnectionOptions> = {},
): { c: RespClient; seen: Seen[]; count: (e: Seen['event']) => number } {
  const c = new RespClient({
    host: '127.0.0.1',
    port,
    auth: null,
    tls: null,
    sourceAddress: null,
    connectTimeoutMs: 2000,
    retryDelayMs: 50,
    name: 'raftinel-test',
    ...extra,
  });
  t.after(() => c.close());
  const seen: Seen[] = [];
  c.on('connect', () => seen.push({ event: 'connect' }));
  c.on('ready', () => seen.push({ event: 'ready' }));
  c.on('close', () => seen.push({ event: 'close' }));
  c.on('error', (err) => seen.push({ event: 'error', err }));
  return { c, seen, count: (e) => seen.filter((s) => s.event === e).length };
}

function until(what: string, ok: () => boolean, timeoutMs = GUARD_MS): Promise<true> {
  return waitFor(what, () => (ok() ? true : undefined), { timeoutMs, intervalMs: 5 });
}

async function ready(c: RespClient): Promise<void> {
  await until('ready', () => c.ready);
}

/** The callback form, as a settled outcome. */
function call(c: RespClient, args: string[]): Promise<{ err: Error | null; reply: RespValue | undefined }> {
  return new Promise((resolve) => c.call(args, (err, reply) => resolve({ err, reply })));
}

/** A TCP server of ours: `onSocket` decides what it does with each connection. */
async function tcpServer(
  t: TestContext,
  onSocket: (s: net.Socket) => void,
): Promise<{ port: number; accepted: () => number }> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => {
    server.close();
    for (const s of sockets) s.destroy();
  });
  return { port, accepted: () => accepted };
}

describe('resp client: a healthy node', () => {
  test('connect, then ready; replies decoded as strings, numbers, nulls and arrays', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c, seen } = open(t, server.port);
    await ready(c);
    assert.deepEqual(
      seen.map((s) => s.event),
      ['connect', 'ready'],
    );
    const role = await c.send(['ROLE']);
    assert.deepEqual(role, ['master', 0, []]);
    const info = await c.send(['INFO', 'replication']);
    assert.equal(typeof info, 'string');
    assert.match(info as string, /^role:master$/m);
    assert.deepEqual(await c.send(['CONFIG', 'GET', 'maxmemory-policy']), ['maxmemory-policy', 'noeviction']);
    assert.equal(await c.send(['SET', 'k', 'grüße 🙂']), 'OK');
    assert.equal(await c.send(['GET', 'k']), 'grüße 🙂');
    assert.equal(await c.send(['STRLEN', 'k']), Buffer.byteLength('grüße 🙂'));
    assert.equal(await c.send(['GET', 'missing']), null);
    assert.deepEqual(await c.send(['MGET', 'k', 'missing']), ['grüße 🙂', null]);
  });

  test('an error reply is a ReplyError with the server message; the connection goes on', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c, count } = open(t, server.port);
    await ready(c);
    const { err, reply } = await call(c, ['NOSUCHCOMMAND', 'x']);
    assert.ok(err instanceof ReplyError);
    assert.equal(err.name, 'ReplyError');
    assert.equal(err.code, 'ERR');
    assert.match(err.message, /^ERR unknown command 'NOSUCHCOMMAND'/);
    assert.equal(reply, undefined);
    assert.equal(classifyError(err).kind, 'fault');
    assert.deepEqual(await c.send(['PING']), 'PONG');
    assert.equal(count('close'), 0);
  });

  test('pipelined commands are answered in order', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c } = open(t, server.port);
    await ready(c);
    const n = 500;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) => (i % 7 === 3 ? call(c, ['NOPE']) : call(c, ['ECHO', `m${i}`]))),
    );
    replies.forEach(({ err, reply }, i) => {
      if (i % 7 === 3) assert.ok(err instanceof ReplyError, `reply ${i}`);
      else assert.deepEqual({ err, reply }, { err: null, reply: `m${i}` }, `reply ${i}`);
    });
  });

  test('a large reply split over many chunks (a 1 MiB bulk string and a long array)', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c } = open(t, server.port);
    await ready(c);
    const big = 'é'.repeat(400_000); // 800 000 bytes
    await c.send(['SET', 'big', big]);
    assert.equal(await c.send(['GET', 'big']), big);
    await c.send(['RPUSH', 'list', ...Array.from({ length: 5000 }, (_, i) => String(i))]);
    const list = (await c.send(['LRANGE', 'list', '0', '-1'])) as string[];
    assert.equal(list.length, 5000);
    assert.equal(list[4999], '4999');
  });

  test('CLIENT SETNAME is visible in CLIENT LIST; the source address is used', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c } = open(t, server.port, { name: 'raftinel-probe', sourceAddress: '127.0.0.2' });
    await ready(c);
    const list = String(await c.send(['CLIENT', 'LIST']));
    const line = list.split('\n').find((l) => / name=raftinel-probe /.test(l));
    assert.ok(line, list);
    assert.match(line, / addr=127\.0\.0\.2:\d+ /);
  });

  test('a node where CLIENT is disabled still becomes ready', async (t) => {
    const server = await RedisServer.start({ args: ['--rename-command', 'CLIENT', ''] });
    t.after(() => server.stop());
    const { c, count } = open(t, server.port);
    await ready(c);
    assert.equal(await c.send(['PING']), 'PONG');
    assert.equal(count('error'), 0);
  });

  test('a command before ready fails on a later tick with a transport error', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c } = open(t, server.port);
    let sync = true;
    const failed = new Promise<Error | null>((resolve) =>
      c.call(['PING'], (err) => {
        assert.equal(sync, false, 'never called synchronously');
        resolve(err);
      }),
    );
    sync = false;
    const err = await failed;
    assert.ok(err instanceof RespTransportError);
    assert.equal(err.code, 'ENOTREADY');
    assert.equal(classifyError(err).kind, 'transport');
  });
});

describe('resp client: AUTH', () => {
  test('an ACL user logs in; a wrong password is refused, never ready, retried, and not in any message', async (t) => {
    const server = await RedisServer.start({
      args: ['--user', 'prober', 'on', '>s3cret-pass', '~*', '&*', '+@all'],
    });
    t.after(() => server.stop());
    const right = open(t, server.port, { auth: { username: 'prober', password: 's3cret-pass' } });
    await ready(right.c);
    assert.equal(await right.c.send(['ACL', 'WHOAMI']), 'prober');

    const wrong = open(t, server.port, { auth: { username: 'prober', password: 'open barley' } });
    await until('two refusals', () => wrong.count('close') >= 2);
    assert.equal(wrong.count('ready'), 0);
    assert.equal(wrong.c.ready, false);
    const errors = wrong.seen.flatMap((s) => (s.event === 'error' ? [s.err] : []));
    assert.ok(errors.length >= 2);
    for (const err of errors) {
      assert.ok(err instanceof ReplyError);
      assert.equal(err.code, 'WRONGPASS');
      assert.match(classifyError(err).reason, /^AUTH refused: WRONGPASS/);
      assert.doesNotMatch(`${err.message} ${err.stack}`, /barley/);
    }
  });

  test('requirepass: the password alone; no password is NOAUTH on the first command', async (t) => {
    const server = await RedisServer.start({ requirePass: 'correct horse' });
    t.after(() => server.stop());
    const right = open(t, server.port, { auth: { username: null, password: 'correct horse' } });
    await ready(right.c);
    assert.equal(await right.c.send(['PING']), 'PONG');
    const none = open(t, server.port);
    await ready(none.c);
    const { err } = await call(none.c, ['ROLE']);
    assert.match(classifyError(err).reason, /^AUTH refused: NOAUTH/);
  });

  test('a password for a node that needs none: ready (as with ioredis)', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c } = open(t, server.port, { auth: { username: null, password: 'unneeded' } });
    await ready(c);
    assert.equal(await c.send(['PING']), 'PONG');
  });
});

describe('resp client: failures and recovery', () => {
  test('SIGKILL: the pending command fails as transport, close, and a new server on the port is found', async (t) => {
    const server = await RedisServer.start();
    const port = server.port;
    const { c, count } = open(t, port);
    await ready(c);
    const pending = call(c, ['BLPOP', 'nothing', '0']); // blocks until the connection goes
    await sleep(50);
    server.kill();
    const { err } = await pending;
    assert.ok(err instanceof RespTransportError);
    assert.equal(err.code, 'ECLOSED');
    assert.equal(classifyError(err).kind, 'transport');
    await until('close', () => count('close') >= 1);
    assert.equal(c.ready, false);
    // Refused meanwhile: every attempt closes again, a retryDelayMs apart.
    await until('refused reconnects', () => count('close') >= 3);
    const again = await RedisServer.start({ port });
    t.after(() => again.stop());
    await until('ready again', () => c.ready);
    assert.equal(count('ready'), 2);
    assert.equal(await c.send(['PING']), 'PONG');
  });

  test('a listener that accepts and never answers: connect ETIMEDOUT, then a new attempt', async (t) => {
    const silent = await tcpServer(t, () => {});
    const started = performance.now();
    const { c, seen, count } = open(t, silent.port, { connectTimeoutMs: 200, retryDelayMs: 20 });
    await until('a timeout', () => count('close') >= 1);
    assert.ok(performance.now() - started >= 190, 'not before connectTimeoutMs');
    const timeout = seen.find((s) => s.event === 'error');
    assert.ok(timeout && timeout.event === 'error');
    assert.ok(timeout.err instanceof RespTransportError);
    assert.equal(timeout.err.code, 'ETIMEDOUT');
    assert.equal(classifyError(timeout.err).kind, 'transport');
    assert.deepEqual(
      seen.slice(0, 3).map((s) => s.event),
      ['connect', 'error', 'close'],
    );
    await until('a second connection', () => silent.accepted() >= 2);
    assert.equal(c.ready, false);
  });

  test('nothing listening: ECONNREFUSED as a transport error, again every retryDelayMs', async (t) => {
    const port = await freePort();
    const { seen, count } = open(t, port, { retryDelayMs: 20 });
    await until('three refusals', () => count('close') >= 3);
    const first = seen.find((s) => s.event === 'error');
    assert.ok(first && first.event === 'error');
    assert.match(first.err.message, /ECONNREFUSED/);
    assert.equal(classifyError(first.err).kind, 'transport');
    assert.equal(count('connect'), 0);
  });

  test('garbage closes the connection with a GarbageReplyError; pending commands fail', async (t) => {
    const junk = await tcpServer(t, (s) => {
      let n = 0;
      // The handshake is answered; the first command after it gets garbage.
      s.on('data', () => s.write(n++ === 0 ? '+OK\r\n' : 'HTTP/1.1 400 Bad Request\r\n\r\n'));
    });
    const { c, seen, count } = open(t, junk.port, { retryDelayMs: 1000 });
    await ready(c);
    const { err } = await call(c, ['ROLE']);
    assert.ok(err instanceof RespTransportError);
    const garbage = seen.find((s) => s.event === 'error');
    assert.ok(garbage && garbage.event === 'error');
    assert.equal(garbage.err.name, 'GarbageReplyError');
    assert.match(classifyError(garbage.err).reason, /^garbage reply: unexpected reply type byte 0x48/);
    assert.equal(count('close'), 1);
  });

  test('a reply nobody asked for is garbage too', async (t) => {
    const chatty = await tcpServer(t, (s) => s.on('data', () => s.write('+OK\r\n+EXTRA\r\n')));
    const { seen, count } = open(t, chatty.port, { retryDelayMs: 1000 });
    await until('close', () => count('close') >= 1);
    const err = seen.find((s) => s.event === 'error');
    assert.ok(err && err.event === 'error');
    assert.match(classifyError(err.err).reason, /^garbage reply: a reply to no command/);
  });

  test('close(): no event, no reply and no reconnect afterwards', async (t) => {
    const server = await RedisServer.start();
    t.after(() => server.stop());
    const { c, seen } = open(t, server.port);
    await ready(c);
    let answered = 0;
    c.call(['BLPOP', 'nothing', '0'], () => answered++);
    c.close();
    c.call(['PING'], () => answered++);
    const before = seen.length;
    await sleep(200);
    assert.equal(answered, 0);
    assert.equal(seen.length, before);
    assert.equal(c.ready, false);
    c.close(); // twice is fine
  });

  test('close() while waiting to reconnect: no further connection attempt', async (t) => {
    const counter = await tcpServer(t, (s) => s.destroy());
    const { c, count } = open(t, counter.port, { retryDelayMs: 50 });
    await until('a close', () => count('close') >= 1);
    c.close();
    const accepted = counter.accepted();
    await sleep(300);
    assert.equal(counter.accepted(), accepted);
  });
});

describe('resp client: TLS', () => {
  test('a TLS-only node with the CA; without TLS it is never ready; a missing CA file throws', async (t) => {
    const dir = makeTempDir('raftinel-resp-tls-');
    t.after(() => removeDir(dir));
    const certs = new CertMaker(dir);
    certs.ca('ca');
    const leaf = certs.leaf('redis', 'ca', 'server');
    const server = await RedisServer.start({ tls: leaf });
    t.after(() => server.stop());
    const secure = open(t, server.port, { tls: { ca: leaf.ca } });
    await ready(secure.c);
    assert.deepEqual(await secure.c.send(['ROLE']), ['master', 0, []]);
    // By host name: SNI is sent, and the certificate names localhost.
    const named = open(t, server.port, { host: 'localhost', tls: { ca: leaf.ca } });
    await ready(named.c);
    const plain = open(t, server.port, { connectTimeoutMs: 300 });
    await until('a failed plain attempt', () => plain.count('close') >= 1);
    assert.equal(plain.count('ready'), 0);
    assert.throws(() => open(t, server.port, { tls: { ca: `${dir}/nope.pem` } }), /ENOENT/);
  });
});
