// Malformed input on the HTTP port (docs/design.md 5.2, 9): random methods, paths, queries and bodies
// through the Router, and random bytes over raw sockets at a real startHttpServer on port 0. The
// router always answers (never rejects, never a 500 for a client's mistake); the server keeps
// answering /livez afterwards, and a body over the cap is refused with 413.
import assert from 'node:assert/strict';
import type http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import {
  errorReply,
  MAX_BODY_BYTES,
  Router,
  startHttpServer,
  type HttpRequest,
} from '../../../src/node/http-server.js';
import { silentLogger } from '../../../src/util/log.js';
import { runs } from './runs.js';

/** Routes of the same shapes as the node's: parameters, health pairs, an admin POST with a body. */
function makeRouter(): Router {
  const r = new Router();
  r.on('GET', '/livez', () => ({ status: 200, body: { ok: true } }));
  r.on('GET', '/v1/shards/{name}', (_req, p) =>
    p.name === 'mymaster'
      ? { status: 200, body: { name: p.name } }
      : errorReply(404, 'shard_not_found', `no shard named ${p.name}`),
  );
  r.on('GET', '/health/primary/{shard}/{node}', (_req, p) =>
    errorReply(503, 'not_primary', `${p.node} is not the up master of ${p.shard}`),
  );
  r.on('POST', '/v1/shards/{name}/switchover', (req, p) => {
    const body = req.body;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
      return errorReply(400, 'bad_request', 'expected an object');
    return { status: 200, body: { shard: p.name, to: (body as { to?: unknown } | undefined)?.to ?? null } };
  });
  r.on('GET', '/metrics', () => ({
    status: 200,
    body: null,
    text: { contentType: 'text/plain; version=0.0.4', content: 'x 1\n' },
  }));
  return r;
}

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'get',
  'BREW',
  '',
];

/** Path segments: route words, percent-escapes valid and broken, unicode, dot segments, long. */
const segment = fc.oneof(
  fc.constantFrom(
    'v1',
    'shards',
    'mymaster',
    'health',
    'primary',
    'r1',
    'switchover',
    'livez',
    'metrics',
    '..',
    '.',
    '',
  ),
  fc.constantFrom(
    '%',
    '%2',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    '%FF',
    '%00',
    '%2F',
    '%25',
    'a%20b',
    '\u00e9',
    '\ud83d\ude00',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ minLength: 200, maxLength: 400 }),
);
const randomPath = fc.array(segment, { maxLength: 6 }).map((s) => '/' + s.join('/'));
/** Route templates with their parameters filled by random segments (the routes' own shapes). */
const routedPath = fc
  .tuple(
    fc.constantFrom('/v1/shards/{}', '/health/primary/{}/{}', '/v1/shards/{}/switchover'),
    segment,
    segment,
  )
  .map(([t, a, b]) => t.replace('{}', a).replace('{}', b));
const path = fc.oneof(randomPath, routedPath);

test('Router: random methods, paths, queries and bodies always get an answer, never a 500', async () => {
  const router = makeRouter();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...METHODS),
      path,
      fc.string({ maxLength: 40 }),
      fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 })),
      async (method, p, query, body) => {
        const req: HttpRequest = {
          method,
          path: p,
          query: new URLSearchParams(query),
          headers: {},
          body,
          remoteAddress: '127.0.0.1',
        };
        let reply;
        try {
          reply = await router.handle(req);
        } catch (err) {
          assert.fail(
            `${method} ${JSON.stringify(p)} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
          );
        }
        assert.ok(
          Number.isInteger(reply.status) && reply.status >= 200 && reply.status < 600 && reply.status !== 500,
          `${method} ${JSON.stringify(p)}: ${reply.status} ${JSON.stringify(reply.body)}`,
        );
      },
    ),
    { numRuns: runs() },
  );
});

let server: http.Server;
let port = 0;

before(async () => {
  server = await startHttpServer({ host: '127.0.0.1', port: 0 }, makeRouter(), silentLogger());
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends bytes on a fresh connection, half-closes, and collects what comes back (bounded). */
function exchange(bytes: Buffer, timeoutMs = 2000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
    s.on('connect', () => {
      s.write(bytes);
      s.end();
    });
  });
}

async function livez(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/livez`, { signal: AbortSignal.timeout(2000) });
  await r.text();
  return r.status;
}

const rawRequest = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
  fc
    .tuple(
      fc.constantFrom(...METHODS, 'GET\x00', 'G ET'),
      path,
      fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', '', 'HTTP/1.1 extra'),
      fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })), { maxLength: 5 }),
      fc.oneof(
        fc.constant(''),
        fc.string({ maxLength: 200 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      ),
      fc.constantFrom('\r\n', '\n', '\r'),
    )
    .map(([m, p, v, hs, body, nl]) => {
      const headers = hs.map(([k, val]) => `${k}: ${val}`);
      const lines = [
        `${m} ${p} ${v}`.trimEnd(),
        'Host: x',
        ...headers,
        `Content-Length: ${Buffer.byteLength(body)}`,
      ];
      return Buffer.from(lines.join(nl) + nl + nl + body, 'utf8');
    }),
  // Framing lies: a Content-Length larger than the body, chunked garbage, duplicated lengths.
  fc
    .constantFrom(
      'POST /v1/shards/mymaster/switchover HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"to":',
      'POST /v1/shards/mymaster/switchover HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
      'POST /v1/shards/mymaster/switchover HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      'GET /v1/shards/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX: ' + 'a'.repeat(20_000) + '\r\n\r\n',
    )
    .map((s) => Buffer.from(s, 'latin1')),
);

test('a real HTTP server: random bytes over raw sockets never stop it; /livez answers after each batch', async () => {
  let answered = 0;
  let server500 = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(rawRequest, { minLength: 1, maxLength: 4 }), async (batch) => {
      const results = await Promise.all(batch.map((b) => exchange(b)));
      for (const r of results) {
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(r.text);
        if (status) {
          answered++;
          if (Number(status[1]) === 500) server500++;
        }
        // Every exchange ends: an answer, a close, or (half-closed by us) nothing within the guard.
        assert.ok(r.closed || r.text.length > 0, 'the server neither answered nor closed within 2 s');
      }
      assert.equal(await livez(), 200);
    }),
    { numRuns: runs(0.25) },
  );
  assert.equal(server500, 0, 'no request made the server fail (500 internal)');
  assert.ok(answered > 0);
});

test('a real HTTP server: a body over the cap is refused with 413 and the server goes on', async () => {
  const body = '{"to":"' + 'x'.repeat(MAX_BODY_BYTES + 10) + '"}';
  const r = await fetch(`http://127.0.0.1:${port}/v1/shards/mymaster/switchover`, {
    method: 'POST',
    body,
    signal: AbortSignal.timeout(5000),
  }).catch((err: unknown) => err);
  if (r instanceof Response) assert.equal(r.status, 413);
  else assert.ok(r instanceof Error, String(r)); // the server may close before the client sent it all
  assert.equal(await livez(), 200);
});

test('a real HTTP server: a 405 names the methods the path allows in Allow', async () => {
  const get = await fetch(`http://127.0.0.1:${port}/v1/shards/mymaster/switchover`, {
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  const del = await fetch(`http://127.0.0.1:${port}/livez`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(del.status, 405);
  assert.equal(del.headers.get('allow'), 'GET, HEAD');
  assert.equal((await fetch(`http://127.0.0.1:${port}/nowhere`)).headers.get('allow'), null);
});
