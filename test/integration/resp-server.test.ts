// The RESP server over real sockets with raw bytes: framing, protocol errors, caps and limits
// (docs/design.md 8), request ordering around an awaited FAILOVER, pub/sub delivery, TLS, listen errors.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SentinelRespServer } from '../../src/discovery/resp/server.js';
import { RaftinelError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { standardSource } from '../unit/discovery/support/fake-source.js';
import { encodeCommand, RawClient } from '../unit/discovery/support/raw-client.js';
import { haveBinary, tempDir } from '../unit/discovery/support/redis-procs.js';
import { selfSignedCert, startRespServer } from '../unit/discovery/support/servers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('RESP server on a socket', async () => {
  const source = standardSource(16379, 16380);
  const { server, port } = await startRespServer(source);
  after(() => server.close());

  test('inline and multibulk commands, 1000 pipelined in one write, answered in order', async () => {
    const c = await RawClient.connect(port);
    c.send('PING\r\n');
    assert.deepEqual(await c.read(), [{ t: 'simple', v: 'PONG' }]);
    const batch = Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeCommand(['PING', String(i)])));
    c.send(batch);
    const replies = await c.read(1000);
    assert.deepEqual(
      replies.map((r) => (r.t === 'bulk' ? r.v : '?')),
      Array.from({ length: 1000 }, (_, i) => String(i)),
    );
    c.close();
  });

  test("a bad frame: Redis's protocol error, then that connection only is closed", async () => {
    const bad = await RawClient.connect(port);
    const good = await RawClient.connect(port);
    bad.send('PING\r\n*1\r\n$abc\r\n');
    assert.deepEqual(await bad.rawUntilClose(), {
      bytes: '+PONG\r\n-ERR Protocol error: invalid bulk length\r\n',
      closed: true,
    });
    assert.deepEqual(await good.call('PING'), { t: 'simple', v: 'PONG' });
    good.close();
  });

  test('bulk length cap (512 KiB) and argument count cap (1024)', async () => {
    const a = await RawClient.connect(port);
    a.send(`*1\r\n$${512 * 1024 + 1}\r\n`);
    assert.deepEqual(await a.rawUntilClose(), {
      bytes: '-ERR Protocol error: invalid bulk length\r\n',
      closed: true,
    });
    const b = await RawClient.connect(port);
    b.send('*1025\r\n');
    assert.deepEqual(await b.rawUntilClose(), {
      bytes: '-ERR Protocol error: invalid multibulk length\r\n',
      closed: true,
    });
  });

  test('an admin FAILOVER is awaited; later pipelined commands wait for its reply', async () => {
    let release = (): void => undefined;
    source.failoverGate = new Promise((r) => (release = r));
    const c = await RawClient.connect(port);
    c.send(
      Buffer.concat([
        encodeCommand(['AUTH', 'admin', source.adminToken]),
        encodeCommand(['SENTINEL', 'FAILOVER', 'mymaster']),
        encodeCommand(['PING']),
      ]),
    );
    assert.deepEqual(await c.read(), [{ t: 'simple', v: 'OK' }]);
    assert.equal(await c.rawFor(200), '', 'nothing before the failover finishes');
    release();
    assert.deepEqual(await c.read(2), [
      { t: 'simple', v: 'OK' },
      { t: 'simple', v: 'PONG' },
    ]);
    source.failoverGate = null;
    c.close();
  });

  test('SUBSCRIBE receives a published +switch-master (RESP2 and RESP3 framing)', async () => {
    const r2 = await RawClient.connect(port);
    const r3 = await RawClient.connect(port);
    await r2.call('SUBSCRIBE', '+switch-master');
    await r3.call('HELLO', '3');
    await r3.call('PSUBSCRIBE', '*');
    const msg = 'mymaster 127.0.0.1 16379 127.0.0.1 16380';
    assert.equal(server.publish('+switch-master', msg), 2);
    assert.deepEqual(await r2.read(), [
      {
        t: 'array',
        v: [
          { t: 'bulk', v: 'message' },
          { t: 'bulk', v: '+switch-master' },
          { t: 'bulk', v: msg },
        ],
      },
    ]);
    assert.deepEqual(await r3.read(), [
      {
        t: 'push',
        v: [
          { t: 'bulk', v: 'pmessage' },
          { t: 'bulk', v: '*' },
          { t: 'bulk', v: '+switch-master' },
          { t: 'bulk', v: msg },
        ],
      },
    ]);
    r2.close();
    r3.close();
    await sleep(50);
    assert.equal(server.publish('+switch-master', msg), 0, 'closed connections are unsubscribed');
  });

  test('listening on a port in use: RaftinelError listen_failed naming the address', async () => {
    const clash = new SentinelRespServer(source, { logger: silentLogger() });
    await assert.rejects(clash.listen('127.0.0.1', port), (err: unknown) => {
      assert.ok(err instanceof RaftinelError);
      assert.equal(err.code, 'listen_failed');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}.*address already in use`));
      return true;
    });
  });
});

describe('RESP server limits', () => {
  test('before AUTH: 10 arguments of 16 KiB at most; after AUTH the normal caps', async () => {
    const source = standardSource();
    source.clientAuth = { username: null, password: 'pw' };
    const { server, port } = await startRespServer(source);
    try {
      const a = await RawClient.connect(port);
      a.send('*11\r\n');
      assert.deepEqual(await a.rawUntilClose(), {
        bytes: '-ERR Protocol error: unauthenticated multibulk length\r\n',
        closed: true,
      });
      const b = await RawClient.connect(port);
      b.send('*2\r\n$16385\r\n');
      assert.deepEqual(await b.rawUntilClose(), {
        bytes: '-ERR Protocol error: unauthenticated bulk length\r\n',
        closed: true,
      });
      const c = await RawClient.connect(port);
      assert.deepEqual(await c.call('AUTH', 'pw'), { t: 'simple', v: 'OK' });
      const args = Array.from({ length: 20 }, () => 'x'.repeat(20_000));
      assert.deepEqual(await c.call('PING', ...args.slice(0, 1)), { t: 'bulk', v: args[0] });
      assert.match(JSON.stringify(await c.call('FOO', ...args)), /unknown command 'FOO'/);
      c.close();
    } finally {
      await server.close();
    }
  });

  test("max clients: the next connection gets Redis's error and is closed", async () => {
    const { server, port } = await startRespServer(standardSource(), { maxClients: 2 });
    try {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      await a.call('PING');
      await b.call('PING');
      const c = await RawClient.connect(port);
      assert.deepEqual(await c.rawUntilClose(), {
        bytes: '-ERR max number of clients reached\r\n',
        closed: true,
      });
      a.close();
      await sleep(50);
      const d = await RawClient.connect(port);
      assert.deepEqual(await d.call('PING'), { t: 'simple', v: 'PONG' });
      b.close();
      d.close();
    } finally {
      await server.close();
    }
  });

  test('idle connections are closed; subscribers are not', async () => {
    const { server, port } = await startRespServer(standardSource(), { idleTimeoutMs: 150 });
    try {
      const idle = await RawClient.connect(port);
      const sub = await RawClient.connect(port);
      await sub.call('SUBSCRIBE', '+sdown');
      await idle.closed;
      await sleep(400);
      assert.equal(sub.isClosed, false);
      assert.equal(server.publish('+sdown', 'x'), 1);
      sub.close();
    } finally {
      await server.close();
    }
  });

  test('a connection that does not authenticate in time is closed, however busy it is', async () => {
    const source = standardSource();
    source.clientAuth = { username: null, password: 'pw' };
    const { server, port } = await startRespServer(source, { authTimeoutMs: 300, idleTimeoutMs: 0 });
    try {
      const lazy = await RawClient.connect(port);
      const authed = await RawClient.connect(port);
      await authed.call('AUTH', 'pw');
      // NOAUTH answers do not extend the deadline.
      const pinger = setInterval(() => lazy.send('PING\r\n'), 50);
      await lazy.closed;
      clearInterval(pinger);
      await sleep(400);
      assert.equal(authed.isClosed, false);
      authed.close();
    } finally {
      await server.close();
    }
  });

  test('a subscriber that stops reading is dropped at the output limit; others go on', async () => {
    const { server, port } = await startRespServer(standardSource(), {
      limits: { maxOutputBytes: 256 * 1024 },
    });
    try {
      const slow = await RawClient.connect(port);
      const fast = await RawClient.connect(port);
      await slow.call('SUBSCRIBE', '+sdown');
      await fast.call('SUBSCRIBE', '+sdown');
      slow.pause();
      const payload = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 2000 && server.connectionCount === 2; i++) {
        server.publish('+sdown', payload);
        await fast.read(1, 10_000);
        if (i % 50 === 0) await sleep(1);
      }
      assert.equal(server.connectionCount, 1);
      assert.equal(fast.isClosed, false);
      fast.close();
      slow.close();
    } finally {
      await server.close();
    }
  });

  test('too much unparsed input closes the connection', async () => {
    const { server, port } = await startRespServer(standardSource(), { limits: { maxInputBytes: 1000 } });
    try {
      const c = await RawClient.connect(port);
      c.send(`*1\r\n$900\r\n${'x'.repeat(500)}`);
      c.send('y'.repeat(600));
      assert.deepEqual(await c.rawUntilClose(), {
        bytes: '-ERR Protocol error: too big request\r\n',
        closed: true,
      });
    } finally {
      await server.close();
    }
  });

  test('close() ends every client connection', async () => {
    const { server, port } = await startRespServer(standardSource());
    const c = await RawClient.connect(port);
    await c.call('PING');
    await server.close();
    await c.closed;
  });
});

describe('RESP over TLS', { skip: !haveBinary('openssl') && 'openssl not installed' }, () => {
  test('TLS clients are served; plain-text clients are not', async () => {
    const dir = tempDir('raftinel-resp-tls-');
    const { cert, key } = selfSignedCert(dir.path);
    const { server, port } = await startRespServer(standardSource(16379), { tls: { cert, key } });
    try {
      const c = await RawClient.connect(port, { tls: { ca: cert, servername: 'localhost' } });
      assert.deepEqual(await c.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'), {
        t: 'array',
        v: [
          { t: 'bulk', v: '127.0.0.1' },
          { t: 'bulk', v: '16379' },
        ],
      });
      c.close();
      const plain = await RawClient.connect(port);
      plain.send('PING\r\n');
      const { bytes } = await plain.rawUntilClose(15_000);
      assert.ok(!bytes.includes('PONG'));
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
