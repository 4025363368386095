// Shared-secret peer authentication (docs/design.md 2, "Peer transport"): a node id is accepted
// only from a holder of the cluster secret; both sides prove it, proofs bind both nonces, both
// ids and the direction, and a node with a secret and one without refuse each other.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeProof, proofOf, type Transcript } from '../../../src/transport/peer-auth.js';
import {
  closedAfterEachTest,
  connectAll,
  findLine,
  heartbeat,
  sendUntil,
  untilDelivered,
  startNode,
  waitFor,
  type TestNode,
} from './helpers.js';

const SECRET = Buffer.from('correct horse battery staple 42');
const OTHER = Buffer.from('another cluster secret, 32 byte');

const opened = closedAfterEachTest();
const node = (id: string, secret: Uint8Array | null): Promise<TestNode> =>
  opened.node(id, { secret, allowUnknown: () => true });
const raw = opened.raw;

describe('peer authentication with a cluster secret', () => {
  test('two holders of the secret talk', async () => {
    const [a, b] = [await node('n1', SECRET), await node('n2', SECRET)];
    connectAll([a, b]);
    await untilDelivered('delivery', a, b);
    const secretText = SECRET.toString();
    for (const line of [...a.lines, ...b.lines]) assert.ok(!JSON.stringify(line).includes(secretText));
    assert.equal(findLine(a.lines, { event: 'listening' })?.peerAuth, 'secret');
  });

  const mismatches: [string, Uint8Array | null, Uint8Array | null, string][] = [
    ['different secrets', SECRET, OTHER, 'auth-failed'],
    ['a dialer without a secret', null, SECRET, 'auth-mismatch'],
    ['a listener without a secret', SECRET, null, 'auth-mismatch'],
  ];
  for (const [name, dialer, listener, reason] of mismatches) {
    test(`${name}: refused, nothing delivered`, async () => {
      const [a, b] = [await node('n1', dialer), await node('n2', listener)];
      a.transport.setMembers(new Map([['n2', b.transport.address]]));
      b.transport.setMembers(new Map([['n1', a.transport.address]]));
      await sendUntil(
        'the refusal',
        () => a.transport.send(heartbeat('n1', 'n2')),
        () =>
          [...a.lines, ...b.lines].some(
            (l) => l.event === 'peer-rejected' && String(l.reason).includes(reason),
          ),
      );
      assert.deepEqual(b.inbox, []);
      assert.equal(b.transport.peers().get('n1')?.addresses ?? null, null, 'n2 never accepted n1');
    });
  }

  test("an outsider claiming a member's id without the secret is refused before any frame counts", async () => {
    const b = await node('n2', SECRET);
    b.transport.setMembers(new Map([['n1', '127.0.0.1:1']]));
    const got: unknown[] = [];
    b.transport.onEnvelope('fwd', (_from, body) => got.push(body));
    for (const proof of [null, OTHER]) {
      const peer = raw(b);
      const answer = await peer.hello('n1', { secret: proof });
      assert.equal(answer.kind, 'hello-ok', 'the listener proves itself first');
      peer.send('fwd', { id: 1 });
      peer.send('raft', heartbeat('n1', 'n2'));
      await peer.closed;
      assert.equal(peer.received[1]?.kind, 'hello-reject');
    }
    assert.ok(findLine(b.lines, { event: 'peer-rejected', reason: 'auth-mismatch', claimed: 'n1' }));
    assert.ok(findLine(b.lines, { event: 'peer-rejected', reason: 'auth-failed', claimed: 'n1' }));
    assert.deepEqual(got, []);
    assert.deepEqual(b.inbox, []);
  });

  test('the real holder of the secret, raw, gets through', async () => {
    const b = await node('n2', SECRET);
    b.transport.setMembers(new Map([['n1', '127.0.0.1:1']]));
    const peer = raw(b);
    assert.equal((await peer.hello('n1', { secret: SECRET })).kind, 'hello-ok');
    peer.send('raft', heartbeat('n1', 'n2', 3));
    await waitFor('the heartbeat', () => b.inbox.length === 1);
  });

  test('a secret shorter than 16 bytes is refused at start', async () => {
    await assert.rejects(startNode('n1', { secret: Buffer.from('short') }), {
      code: 'bad_transport_options',
    });
  });
});

describe('proofs', () => {
  const t: Transcript = {
    cluster: 'c',
    dialerId: 'n1',
    listenerId: 'n2',
    dialerNonce: 'aa',
    listenerNonce: 'bb',
  };
  test("a listener's proof is no dialer's proof (no reflection)", () => {
    assert.equal(judgeProof(SECRET, 'dialer', t, proofOf(SECRET, 'listener', t)).ok, false);
    assert.equal(judgeProof(SECRET, 'dialer', t, proofOf(SECRET, 'dialer', t)).ok, true);
  });
  test('a proof is bound to both nonces, both ids and the cluster (no replay)', () => {
    const proof = proofOf(SECRET, 'dialer', t);
    for (const changed of [
      { ...t, dialerNonce: 'ab' },
      { ...t, listenerNonce: 'bc' },
      { ...t, dialerId: 'n3' },
      { ...t, listenerId: 'n3' },
      { ...t, cluster: 'd' },
    ]) {
      assert.equal(judgeProof(SECRET, 'dialer', changed, proof).ok, false, JSON.stringify(changed));
    }
  });
});

describe('membership gate for non-Raft kinds', () => {
  test('allowUnknown opens Raft to strangers, never observations or forwarded requests', async () => {
    const [a, b] = [await node('n1', null), await node('n2', null)];
    a.transport.setMembers(new Map([['n2', b.transport.address]]));
    const got: unknown[] = [];
    b.transport.onEnvelope('obs', (_from, body) => got.push(body));
    await untilDelivered('raft from the stranger', a, b);
    await sendUntil(
      'the obs drop to be logged',
      () => a.transport.sendEnvelope('n2', 'obs', { observations: [] }),
      () =>
        findLine(b.lines, {
          event: 'peer-frame-dropped',
          peer: 'n1',
          kind: 'obs',
          reason: 'not a member',
        }) !== undefined,
    );
    assert.deepEqual(got, []);
  });
});
