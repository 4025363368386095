// Transports talking over real loopback TCP: delivery both ways, reconnects, peer info.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PeerHello } from '../../../src/transport/index.js';
import {
  closedAfterEachTest,
  connectAll,
  findLine,
  freePort,
  heartbeat,
  sendUntil,
  untilDelivered,
  waitFor,
} from './helpers.js';

const { node } = closedAfterEachTest();

describe('TcpTransport', () => {
  test('two nodes exchange Raft messages both ways', async () => {
    const [a, b] = [await node('n1'), await node('n2')];
    connectAll([a, b]);
    // Sent while the link is still connecting: queued, then flushed in order.
    for (let term = 1; term <= 3; term++) a.transport.send(heartbeat('n1', 'n2', term));
    b.transport.send(heartbeat('n2', 'n1', 7));
    await waitFor('both inboxes', () => b.inbox.length === 3 && a.inbox.length === 1);
    assert.deepEqual(
      b.inbox.map((m) => m.term),
      [1, 2, 3],
    );
    assert.deepEqual(a.inbox, [heartbeat('n2', 'n1', 7)]);
  });

  test('three nodes, every pair, every direction', async () => {
    const nodes = [await node('n1'), await node('n2'), await node('n3')];
    connectAll(nodes);
    for (const from of nodes) {
      for (const to of nodes)
        if (from !== to) from.transport.send(heartbeat(from.id, to.id, 1, Number(to.id[1])));
    }
    await waitFor('two messages at each node', () => nodes.every((n) => n.inbox.length === 2));
    for (const n of nodes) {
      assert.deepEqual(
        n.inbox.map((m) => m.from).sort(),
        nodes.filter((o) => o !== n).map((o) => o.id),
      );
    }
  });

  test('peers() reports what the handshakes taught, and onPeerHello fires both ways', async () => {
    const [a, b] = [await node('n1'), await node('n2')];
    const hellos: PeerHello[] = [];
    a.transport.onPeerHello((hello) => hellos.push(hello));
    connectAll([a, b]);
    await waitFor('hellos both ways', () => hellos.length === 2);
    assert.deepEqual(hellos.map((h) => h.direction).sort(), ['inbound', 'outbound']);
    const info = a.transport.peers().get('n2');
    assert.ok(info);
    assert.deepEqual(info.addresses, {
      raft: b.transport.address,
      http: 'http-of-n2',
      sentinel: 'resp-of-n2',
    });
    assert.equal(info.connected, true);
    assert.equal(info.member, true);
    assert.equal(typeof info.lastContactMs, 'number');
    assert.equal(a.transport.peers().has('n1'), false, 'a node is not its own peer');
  });

  test('reconnects after the receiver closes and restarts on the same port', async () => {
    const port = await freePort();
    const a = await node('n1');
    let b = await node('n2', { listen: `127.0.0.1:${port}` });
    connectAll([a, b]);
    await untilDelivered('first delivery', a, b);

    await b.transport.close();
    await waitFor('n1 to notice', () => a.transport.peers().get('n2')?.connected === false);
    a.transport.send(heartbeat('n1', 'n2', 2)); // dropped or queued: either way not an error

    b = await node('n2', { listen: `127.0.0.1:${port}` });
    b.transport.setMembers(new Map([['n1', a.transport.address]]));
    const restarted = b;
    await sendUntil(
      'delivery after restart',
      () => a.transport.send(heartbeat('n1', 'n2', 3)),
      () => restarted.inbox.some((m) => m.term === 3),
    );
    assert.ok(findLine(a.lines, { event: 'peer-down', peer: 'n2' }));
    assert.equal(a.transport.peers().get('n2')?.connected, true);
  });

  test('custom envelope kinds travel beside Raft; reserved kinds are refused', async () => {
    const [a, b] = [await node('n1'), await node('n2')];
    const got: [string, unknown][] = [];
    b.transport.onEnvelope('obs', (from, body) => got.push([from, body]));
    connectAll([a, b]);
    assert.equal(a.transport.sendEnvelope('n2', 'obs', { shard: 's', up: true }), true);
    await waitFor('the observation', () => got.length === 1);
    assert.deepEqual(got, [['n1', { shard: 's', up: true }]]);
    assert.equal(a.transport.sendEnvelope('n9', 'obs', {}), false, 'not a member');
    for (const kind of ['raft', 'hello', 'hello-ok', 'hello-reject', 'Bad Kind', '']) {
      assert.throws(() => a.transport.sendEnvelope('n2', kind, {}), { code: 'bad_envelope_kind' }, kind);
      assert.throws(() => a.transport.onEnvelope(kind, () => undefined), { code: 'bad_envelope_kind' }, kind);
    }
  });

  test('a snapshot of several MiB arrives intact in one frame', async () => {
    const [a, b] = [await node('n1'), await node('n2')];
    connectAll([a, b]);
    const data = 'snapshot-'.repeat(400_000); // 3.6 MB, well past one TCP read
    const conf = { voters: ['n1', 'n2'], learners: [] };
    a.transport.send({
      type: 'Snap',
      from: 'n1',
      to: 'n2',
      term: 2,
      snapshot: { meta: { index: 9, term: 2, conf }, data },
    });
    await waitFor('the snapshot', () => b.inbox.length === 1);
    const got = b.inbox[0];
    assert.ok(got?.type === 'Snap');
    assert.equal(got.snapshot.data, data);
  });

  test('a message larger than the frame cap is not sent', async () => {
    const [a, b] = [await node('n1', { maxFrameBytes: 2048 }), await node('n2')];
    connectAll([a, b]);
    const entries = [{ index: 1, term: 1, kind: 'normal' as const, data: 'x'.repeat(4096) }];
    a.transport.send({
      type: 'App',
      from: 'n1',
      to: 'n2',
      term: 1,
      prevIndex: 0,
      prevTerm: 0,
      commit: 0,
      entries,
    });
    assert.ok(findLine(a.lines, { event: 'frame-too-large', peer: 'n2' }));
    await untilDelivered('a normal message', a, b);
    assert.equal(b.inbox[0]?.type, 'Heartbeat');
  });

  test('outgoing connections leave from sourceAddress', async () => {
    const [a, b] = [await node('n1', { sourceAddress: '127.0.0.2' }), await node('n2')];
    const hellos: PeerHello[] = [];
    b.transport.onPeerHello((hello) => hellos.push(hello));
    connectAll([a, b]);
    await waitFor('n1 to say hello to n2', () => hellos.some((h) => h.direction === 'inbound'));
    const inbound = hellos.find((h) => h.direction === 'inbound');
    assert.match(inbound?.remote ?? '', /^127\.0\.0\.2:\d+$/);
  });

  test('a removed member is no longer dialed, and its connection goes away', async () => {
    const [a, b] = [await node('n1'), await node('n2')];
    connectAll([a, b]);
    await waitFor('n1 -> n2 open', () => a.transport.peers().get('n2')?.connected === true);
    await waitFor('n2 sees n1 connected', () => b.transport.peers().get('n1')?.lastContactMs != null);
    // n2's own dial to n1 too: without it n1 would not know n2 at all after the removal.
    await waitFor('n2 -> n1 open', () => b.transport.peers().get('n1')?.connected === true);
    await waitFor(
      'n1 heard n2 on its inbound link',
      () => a.transport.peers().get('n2')?.lastContactMs != null,
    );
    a.transport.setMembers(new Map([['n1', a.transport.address]]));
    // n2 still dials n1, so it shows up as a connected stranger, no longer as a member.
    assert.deepEqual(
      { ...a.transport.peers().get('n2'), addresses: null, lastContactMs: null },
      { addresses: null, connected: false, lastContactMs: null, member: false },
    );
    assert.equal(a.transport.sendEnvelope('n2', 'obs', {}), false);
    // n2 still lists n1 as a member; its view of n1's inbound connection must end.
    await waitFor(
      'n1 -> n2 connection closed',
      () => findLine(b.lines, { event: 'peer-inbound-closed', peer: 'n1' }) !== undefined,
    );
  });

  test('an address change redials the new address', async () => {
    const [a, b, c] = [await node('n1'), await node('n2'), await node('n2')];
    b.transport.setMembers(new Map([['n1', a.transport.address]]));
    c.transport.setMembers(new Map([['n1', a.transport.address]]));
    a.transport.setMembers(new Map([['n2', b.transport.address]]));
    await untilDelivered('delivery to the first n2', a, b);
    a.transport.setMembers(new Map([['n2', c.transport.address]]));
    await untilDelivered('delivery to the moved n2', a, c);
  });

  test('close() is idempotent and silences the transport', async () => {
    const a = await node('n1');
    const first = a.transport.close();
    assert.equal(a.transport.close(), first);
    await first;
    a.transport.setMembers(new Map([['n2', '127.0.0.1:1']]));
    a.transport.send(heartbeat('n1', 'n2'));
    assert.equal(a.transport.peers().size, 0);
  });
});
