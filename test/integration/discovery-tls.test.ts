// TLS on the discovery listeners of a real `raftinel node` (docs/design.md 5, 6a `tls`, 8): one node
// (a one-voter cluster) over one redis-server, certificates made by the openssl CLI for this run.
// The HTTP listener has {ca, cert, key}: HTTPS, and a client certificate of that CA is required.
// The RESP listener has {cert, key}: TLS that any client trusting the CA may use.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { CertMaker } from '../helpers/certs.js';
import { freePort } from '../helpers/ports.js';
import { RaftinelProcess } from '../helpers/raftinel-process.js';
import { RedisServer, stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
/** Hang guard for the node to elect itself and adopt the master (about a second expected). */
const READY_GUARD_MS = 20_000;

let dir = '';
let redis: RedisServer;
let node: RaftinelProcess;
let httpPort = 0;
let respPort = 0;
const pem = (name: string): Buffer => readFileSync(join(dir, name));

interface HttpsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** GET over HTTPS: the status and JSON body, or the error that ended the request. */
function httpsGet(path: string, o: HttpsOptions): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: httpPort,
        path,
        method: 'GET',
        agent: false,
        timeout: 3000,
        ...o,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Writes `payload` on a plain TCP connection; resolves with what came back before the close. */
function plainExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.setTimeout(3000, () => socket.destroy(new Error('no close within 3 s')));
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => resolve(got));
  });
}

/** A TLS handshake with the RESP listener: null when it was accepted, else the error code. */
function tlsHandshake(port: number, o: HttpsOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...o });
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
    socket.on('secureConnect', () => {
      socket.end();
      resolve(null);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

before(
  async () => {
    if (!hasOpenssl) return;
    dir = makeTempDir('raftinel-discovery-tls-');
    const certs = new CertMaker(dir);
    certs.ca('ca');
    certs.ca('other-ca');
    certs.leaf('server', 'ca', 'server');
    certs.leaf('client', 'ca', 'client');
    certs.leaf('stranger', 'other-ca', 'client');

    redis = await RedisServer.start();
    const [raft, http, sentinel] = [await freePort(), await freePort(), await freePort()];
    httpPort = http;
    respPort = sentinel;
    const addresses = {
      id: 'n1',
      raft: `127.0.0.1:${raft}`,
      http: `127.0.0.1:${http}`,
      sentinel: `127.0.0.1:${sentinel}`,
    };
    const file = (name: string): string => join(dir, name);
    node = new RaftinelProcess({
      node: addresses,
      cluster: 'tls-test',
      peers: [{ id: 'n1', raft: addresses.raft }],
      dir: join(dir, 'n1'),
      redisPort: redis.port,
      raft: { tickMs: 50, electionTicks: 10, heartbeatTicks: 1 },
      defaults: { downAfterMs: 500, pingIntervalMs: 100 },
      tls: {
        http: { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') },
        sentinel: { cert: file('server.pem'), key: file('server.key') },
      },
    });
    node.start();
  },
  { timeout: 60_000 },
);

after(async () => {
  await node?.stop();
  await stopAllRedis();
  if (dir) removeDir(dir);
});

const skip = !hasOpenssl && 'openssl not installed';
const trusted = (): HttpsOptions => ({ ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') });

test(
  'HTTPS: /readyz and /v1/shards answer a client that trusts the CA and presents its certificate',
  { skip },
  async (t) => {
    const ready = await waitFor(
      'n1 /readyz 200 over HTTPS',
      async () => {
        const r = await httpsGet('/readyz', trusted()).catch(() => null);
        return r?.status === 200 ? r : undefined;
      },
      { timeoutMs: READY_GUARD_MS },
    );
    assert.equal(ready.status, 200);
    const shards = await waitFor(
      '/v1/shards names r1 master over HTTPS',
      async () => {
        const r = await httpsGet('/v1/shards', trusted());
        const list = r.body as { name: string; master: { id: string; port: number } | null }[];
        return r.status === 200 && list[0]?.master?.id === 'r1' ? list : undefined;
      },
      { timeoutMs: READY_GUARD_MS },
    );
    assert.deepEqual(
      shards.map((s) => ({ name: s.name, master: s.master?.id, port: s.master?.port })),
      [{ name: 'mymaster', master: 'r1', port: redis.port }],
    );
    t.diagnostic(
      `HTTPS on :${httpPort}: /readyz ${ready.status}, /v1/shards ${JSON.stringify(shards[0].master)}`,
    );
  },
);

test(
  'HTTPS: plain HTTP, a client that does not trust the CA, and clients without a certificate of the CA are refused',
  { skip },
  async (t) => {
    // Plain HTTP on the TLS port: the server never answers with HTTP.
    const plain = await plainExchange(httpPort, 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.doesNotMatch(plain, /^HTTP\//, 'no HTTP answer to plain HTTP');
    // The client does not trust the server's certificate (no CA given: the system CAs only).
    await assert.rejects(
      httpsGet('/readyz', { cert: pem('client.pem'), key: pem('client.key') }),
      (err: NodeJS.ErrnoException) => {
        assert.match(String(err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
        return true;
      },
    );
    // The server refuses a client with no certificate, and one whose certificate another CA signed.
    const refused: string[] = [];
    for (const [what, o] of [
      ['no client certificate', { ca: pem('ca.pem') }],
      [
        'a certificate of another CA',
        { ca: pem('ca.pem'), cert: pem('stranger.pem'), key: pem('stranger.key') },
      ],
    ] as const) {
      const outcome = await httpsGet('/readyz', o).then(
        (r) => `HTTP ${r.status}`,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      assert.doesNotMatch(outcome, /^HTTP /, `${what}: the request was answered (${outcome})`);
      refused.push(`${what}: ${outcome}`);
    }
    // Refusals are per connection: the listener still serves a trusted client.
    assert.equal((await httpsGet('/readyz', trusted())).status, 200);
    t.diagnostic(`plain HTTP got ${plain.length} bytes, no HTTP status line; refused: ${refused.join('; ')}`);
  },
);

test(
  'RESP over TLS: a client that trusts the CA discovers the master; plain RESP and an untrusting client fail',
  { skip },
  async (t) => {
    const client = new Redis({
      host: '127.0.0.1',
      port: respPort,
      tls: { ca: pem('ca.pem'), servername: 'localhost' },
      lazyConnect: true,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      assert.equal(await client.ping(), 'PONG');
      const addr = await waitFor(
        'GET-MASTER-ADDR-BY-NAME over TLS names r1',
        async () => {
          const r = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[] | null;
          return r && Number(r[1]) === redis.port ? r : undefined;
        },
        { timeoutMs: READY_GUARD_MS },
      );
      assert.deepEqual(addr, ['127.0.0.1', String(redis.port)]);
    } finally {
      client.disconnect();
    }
    const plain = await plainExchange(respPort, 'PING\r\n');
    assert.doesNotMatch(plain, /PONG/, 'plain RESP on the TLS port');
    const untrusting = await tlsHandshake(respPort, {});
    assert.match(String(untrusting), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    t.diagnostic(
      `RESP over TLS on :${respPort}: GET-MASTER-ADDR-BY-NAME 127.0.0.1 ${redis.port}; without the CA: ${untrusting}`,
    );
  },
);
