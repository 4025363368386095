// GET-MASTER-ADDR-BY-NAME answered from its learned bytes (src/discovery/resp/known-requests.ts,
// issue 12 item 4): the shortcut must give exactly what dispatch gives, whatever changed since
// it was learned (the master, the leader's freshness, the shard itself), and must not skip the
// checks that apply before it (AUTH, subscribed mode); a request cut anywhere still works. The
// costs that must not grow: no shard view built per request, a bounded number of learned requests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KnownRequests } from '../../src/discovery/resp/known-requests.js';
import { IDONTKNOW, notInSubscribedContext } from '../../src/discovery/resp/texts.js';
import type { SentinelSource } from '../../src/discovery/resp/source.js';
import { standardSource, type FakeSource } from '../unit/discovery/support/fake-source.js';
import { encodeCommand, RawClient } from '../unit/discovery/support/raw-client.js';
import type { RespValue } from '../unit/discovery/support/resp-decode.js';
import { startRespServer } from '../unit/discovery/support/servers.js';

const REQUEST = encodeCommand(['SENTINEL', 'get-master-addr-by-name', 'mymaster']);
const address = (port: number): RespValue => ({
  t: 'array',
  v: [
    { t: 'bulk', v: '127.0.0.1' },
    { t: 'bulk', v: String(port) },
  ],
});

/** A source with the fast path, counting the full views built (shards()) and the lookups. */
function countingSource(): {
  source: FakeSource;
  views: () => number;
  lookups: () => number;
  setMasterPort: (p: number) => void;
} {
  const source = standardSource(16379, 16380);
  let views = 0;
  let lookups = 0;
  let masterPort = 16379;
  let exists = true;
  const shards = source.shards.bind(source);
  source.shards = () => {
    views++;
    return shards();
  };
  const fast: NonNullable<SentinelSource['masterAddress']> = (name) => {
    lookups++;
    return name === 'mymaster' && exists ? { host: '127.0.0.1', port: masterPort } : undefined;
  };
  source.masterAddress = fast;
  return {
    source,
    views: () => views,
    lookups: () => lookups,
    setMasterPort: (p) => {
      if (p === 0) exists = false;
      else masterPort = p;
    },
  };
}

describe('GET-MASTER-ADDR-BY-NAME from learned bytes', () => {
  test('answers follow the master, the freshness and the shard; no view is built per request', async () => {
    const { source, views, setMasterPort } = countingSource();
    const { server, port } = await startRespServer(source);
    try {
      const c = await RawClient.connect(port);
      assert.deepEqual(await c.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'), address(16379));
      // Pipelined, in one write: 64 learned requests and a PING between them keep their order.
      c.send(
        Buffer.concat([...Array(32).fill(REQUEST), encodeCommand(['PING']), ...Array(32).fill(REQUEST)]),
      );
      const replies = await c.read(65);
      assert.deepEqual(replies[32], { t: 'simple', v: 'PONG' });
      for (const [i, r] of replies.entries()) if (i !== 32) assert.deepEqual(r, address(16379), `reply ${i}`);
      setMasterPort(16380);
      c.send(REQUEST);
      assert.deepEqual(await c.read(), [address(16380)]);
      source.fresh = false;
      c.send(REQUEST);
      assert.deepEqual(await c.read(), [{ t: 'error', v: IDONTKNOW }]);
      source.fresh = true;
      setMasterPort(0);
      c.send(REQUEST);
      assert.deepEqual(await c.read(), [{ t: 'null-array' }]);
      assert.equal(views(), 0, 'shards() built per GET-MASTER-ADDR-BY-NAME');
      c.close();
    } finally {
      await server.close();
    }
  });

  test('a pipeline of the learned request is answered once per read, not once per request', async () => {
    const { source, lookups } = countingSource();
    const { server, port } = await startRespServer(source);
    try {
      const c = await RawClient.connect(port);
      assert.deepEqual(await c.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'), address(16379));
      const before = lookups();
      c.send(Buffer.concat(Array(256).fill(REQUEST)));
      const replies = await c.read(256);
      for (const [i, r] of replies.entries()) assert.deepEqual(r, address(16379), `reply ${i}`);
      // 256 requests (~12 KiB, one write): one lookup per read of the server, whatever the
      // kernel's chunking; a lookup per request would be 256.
      assert.ok(lookups() - before <= 16, `${lookups() - before} lookups for 256 pipelined requests`);
      c.close();
    } finally {
      await server.close();
    }
  });

  test('before AUTH and in subscribed mode the learned bytes get the same errors as dispatch gives', async () => {
    const { source } = countingSource();
    source.clientAuth = { username: null, password: 'pw' };
    const { server, port } = await startRespServer(source);
    try {
      const authed = await RawClient.connect(port);
      assert.deepEqual(await authed.call('AUTH', 'pw'), { t: 'simple', v: 'OK' });
      assert.deepEqual(await authed.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'), address(16379));
      const stranger = await RawClient.connect(port);
      stranger.send(REQUEST);
      assert.deepEqual(await stranger.read(), [{ t: 'error', v: 'NOAUTH Authentication required.' }]);
      await authed.call('SUBSCRIBE', '+switch-master');
      authed.send(REQUEST);
      assert.deepEqual(await authed.read(), [
        { t: 'error', v: notInSubscribedContext('sentinel|get-master-addr-by-name') },
      ]);
      authed.close();
      stranger.close();
    } finally {
      await server.close();
    }
  });

  test('a learned request cut into single bytes, or followed by half of the next, is answered once', async () => {
    const { source } = countingSource();
    const { server, port } = await startRespServer(source);
    try {
      const c = await RawClient.connect(port);
      assert.deepEqual(await c.call('SENTINEL', 'get-master-addr-by-name', 'mymaster'), address(16379));
      for (const byte of REQUEST) {
        c.send(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      assert.deepEqual(await c.read(), [address(16379)]);
      const half = Math.floor(REQUEST.length / 2);
      c.send(Buffer.concat([REQUEST, REQUEST.subarray(0, half)]));
      assert.deepEqual(await c.read(), [address(16379)]);
      c.send(REQUEST.subarray(half));
      assert.deepEqual(await c.read(), [address(16379)]);
      c.close();
    } finally {
      await server.close();
    }
  });

  test('at most 16 learned requests; a partial request or another name is no match', () => {
    const known = new KnownRequests();
    const args = (name: string): Buffer[] =>
      ['SENTINEL', 'get-master-addr-by-name', name].map((x) => Buffer.from(x));
    for (let i = 0; i < 100; i++) known.learn(args(`shard-${i}`), `shard-${i}`);
    assert.equal(known.size, 16);
    known.learn(args('shard-99'), 'shard-99');
    assert.equal(known.size, 16, 'a request already known is not kept twice');
    const bytes = encodeCommand(['SENTINEL', 'get-master-addr-by-name', 'shard-99']);
    assert.equal(known.match(Buffer.concat([bytes, Buffer.from('*1\r\n')]), 0)?.name, 'shard-99');
    assert.equal(known.match(bytes.subarray(0, bytes.length - 1), 0), null, 'a partial request');
    assert.equal(known.match(encodeCommand(['SENTINEL', 'get-master-addr-by-name', 'shard-0']), 0), null);
  });
});
