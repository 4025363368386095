// Bad input at the peer port: other clusters, strangers, garbage, oversized frames, spoofing.
// Each case closes (or ignores) one connection while a good peer keeps being served.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { createTcpTransport } from '../../../src/transport/index.js';
import type { RawPeer } from '../../helpers/raw-peer.js';
import {
  captureLog,
  closedAfterEachTest,
  connectAll,
  findLine,
  heartbeat,
  sendUntil,
  untilDelivered,
  waitFor,
  type TestNode,
} from './helpers.js';

const { node, raw } = closedAfterEachTest();

/** n1 and n2 connected and exchanging; the node under attack is n2. */
async function goodPair(): Promise<[TestNode, TestNode]> {
  const [a, b] = [await node('n1'), await node('n2')];
  connectAll([a, b]);
  await untilDelivered('warm-up delivery', a, b);
  b.inbox.length = 0;
  return [a, b];
}

async function stillServesGoodPeer(a: TestNode, b: TestNode): Promise<void> {
  const before = b.inbox.length;
  await sendUntil(
    'delivery from the good peer',
    () => a.transport.send(heartbeat('n1', 'n2', 9)),
    () => b.inbox.length > before,
  );
}

describe('peer border', () => {
  test('a node of another cluster is refused, logged on both sides, and delivers nothing', async () => {
    const b = await node('n2');
    const a = await node('n1', { cluster: 'other-cluster' });
    a.transport.setMembers(new Map([['n2', b.transport.address]]));
    b.transport.setMembers(new Map([['n1', a.transport.address]]));
    for (let i = 0; i < 5; i++) a.transport.send(heartbeat('n1', 'n2'));
    await waitFor(
      'the refusal',
      () => findLine(b.lines, { event: 'peer-rejected', reason: 'cluster-mismatch' }) !== undefined,
    );
    const line = findLine(b.lines, { event: 'peer-rejected', reason: 'cluster-mismatch' });
    assert.match(String(line?.remote), /^127\.0\.0\.1:\d+$/);
    assert.equal(line?.level, 'warn');
    await waitFor('the dialer to hear why', () =>
      a.lines.some((l) => l.event === 'peer-rejected' && String(l.reason).includes('cluster-mismatch')),
    );
    assert.equal(a.transport.peers().get('n2')?.connected, false);
    assert.deepEqual(b.inbox, []);
  });

  test('a peer of another protocol version gets hello-reject and is closed', async () => {
    const b = await node('n2');
    const peer = raw(b);
    const answer = await peer.hello('n1', { version: 1 });
    assert.deepEqual(answer, { kind: 'hello-reject', body: { reason: 'version-mismatch', version: 2 } });
    await peer.closed;
    assert.ok(findLine(b.lines, { event: 'peer-rejected', reason: 'version-mismatch' }));
  });

  test("an unknown node's messages are dropped until setMembers adds it", async () => {
    const [a, b] = [await node('n1'), await node('n2')];
    a.transport.setMembers(new Map([['n2', b.transport.address]]));
    await sendUntil(
      'the drop to be logged',
      () => a.transport.send(heartbeat('n1', 'n2')),
      () =>
        findLine(b.lines, { event: 'peer-frame-dropped', peer: 'n1', reason: 'not a member' }) !== undefined,
    );
    assert.equal(b.inbox.length, 0);
    assert.equal(b.transport.peers().get('n1')?.member, false, 'a connected stranger is listed as such');

    b.transport.setMembers(new Map([['n1', a.transport.address]]));
    await untilDelivered('delivery once a member', a, b, 2);
    assert.equal(b.inbox[0]?.term, 2);
  });

  test('allowUnknown lets a node without a membership hear from strangers', async () => {
    const a = await node('n1');
    const b = await node('n2', { allowUnknown: (id) => id === 'n1' });
    a.transport.setMembers(new Map([['n2', b.transport.address]]));
    await untilDelivered('delivery', a, b);
  });

  test('garbage bytes close that connection only', async () => {
    const [a, b] = await goodPair();
    const peer = raw(b);
    peer.sendBytes(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await peer.closed;
    const line = findLine(b.lines, { event: 'peer-protocol-error' });
    assert.match(String(line?.reason), /exceeds the cap/);
    assert.match(String(line?.remote), /^127\.0\.0\.1:\d+$/);
    await stillServesGoodPeer(a, b);
  });

  test('an oversized length prefix after the handshake closes the connection', async () => {
    const [a, b] = await goodPair();
    const peer = raw(b);
    assert.equal((await peer.hello('n3')).kind, 'hello-ok');
    peer.sendBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await peer.closed;
    assert.ok(
      b.lines.some((l) => l.event === 'peer-protocol-error' && /4294967295 bytes/.test(String(l.reason))),
    );
    await stillServesGoodPeer(a, b);
  });

  test('a client that never says hello is cut at the handshake deadline', async () => {
    const b = await node('n2', { handshakeTimeoutMs: 50 });
    const peer = raw(b);
    await peer.closed;
    assert.ok(findLine(b.lines, { event: 'peer-rejected', reason: 'handshake-timeout' }));
  });

  test('before the handshake, frames are capped small', async () => {
    const b = await node('n2');
    const peer = raw(b);
    peer.send('hello', { version: 2, cluster: 'test-cluster', nodeId: 'n1', pad: 'x'.repeat(100_000) });
    await peer.closed;
    assert.ok(
      b.lines.some((l) => l.event === 'peer-protocol-error' && /cap of 65536/.test(String(l.reason))),
    );
  });

  const brokenAfterHello: [string, (peer: RawPeer) => void, RegExp][] = [
    ['a zero-length frame', (p) => p.sendBytes(new Uint8Array(4)), /length 0/],
    [
      'a payload that is not JSON',
      (p) => p.sendBytes(new Uint8Array([0, 0, 0, 3, 0x6e, 0x6f, 0x21])),
      /not valid JSON/,
    ],
    [
      'a malformed raft message',
      (p) => p.send('raft', { ...heartbeat('n1', 'n2'), term: -1 }),
      /message\.term/,
    ],
    [
      'a raft message claiming another sender',
      (p) => p.send('raft', heartbeat('n3', 'n2')),
      /claims to be from "n3"/,
    ],
    ['a second hello', (p) => p.send('hello', {}), /hello frame after the handshake/],
  ];
  for (const [name, act, reason] of brokenAfterHello) {
    test(`${name} from a member closes its connection`, async () => {
      const [a, b] = await goodPair();
      const peer = raw(b);
      assert.equal((await peer.hello('n1')).kind, 'hello-ok');
      act(peer);
      await peer.closed;
      assert.ok(
        b.lines.some((l) => l.event === 'peer-protocol-error' && reason.test(String(l.reason))),
        `expected a protocol error matching ${reason}`,
      );
      assert.equal(b.inbox.length, 0);
      await stillServesGoodPeer(a, b);
    });
  }

  test('an unknown envelope kind is ignored, not fatal (room for newer peers)', async () => {
    const b = await node('n2');
    b.transport.setMembers(new Map([['n1', '127.0.0.1:1']]));
    const peer = raw(b);
    assert.equal((await peer.hello('n1')).kind, 'hello-ok');
    peer.send('future-kind', { anything: true });
    peer.send('raft', heartbeat('n1', 'n2', 4));
    await waitFor('the raft message after it', () => b.inbox.length === 1);
    assert.equal(peer.isClosed, false);
  });

  test('the dialer refuses a listener that answers with another node id', async () => {
    const [a, b] = [await node('n1'), await node('n2')];
    a.transport.setMembers(new Map([['n3', b.transport.address]]));
    await waitFor(
      'the refusal',
      () => findLine(a.lines, { event: 'peer-rejected', reason: 'node-id-mismatch' }) !== undefined,
    );
    assert.equal(a.transport.peers().get('n3')?.connected, false);
  });

  test('a port in use fails with listen_failed naming the address', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    assert.ok(address !== null && typeof address !== 'string');
    const listen = `127.0.0.1:${address.port}`;
    try {
      await assert.rejects(
        createTcpTransport({ cluster: 'c', nodeId: 'n1', listen, logger: captureLog().logger }),
        (err: Error & { code?: string }) => err.code === 'listen_failed' && err.message.includes(listen),
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('bad options are refused before anything listens', async () => {
    const logger = captureLog().logger;
    await assert.rejects(createTcpTransport({ cluster: 'c', nodeId: 'n1', listen: 'nowhere', logger }), {
      code: 'bad_address',
    });
    await assert.rejects(
      createTcpTransport({
        cluster: '',
        nodeId: 'n1',
        listen: '127.0.0.1:0',
        sourceAddress: 'localhost',
        logger,
      }),
      { code: 'bad_transport_options' },
    );
  });
});
