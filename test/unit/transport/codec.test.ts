// The pure border checks: Raft message shapes, envelopes, the handshake rules, addresses, backoff.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '../../../src/raft/types.js';
import { formatHostPort, parseHostPort } from '../../../src/transport/address.js';
import { decodeEnvelope, encodeEnvelopePayload } from '../../../src/transport/envelope.js';
import { checkHello, checkHelloOk, readRejectReason } from '../../../src/transport/handshake.js';
import { MESSAGE_TYPES, parseMessage } from '../../../src/transport/message-guard.js';
import { backoffDelayMs } from '../../../src/transport/peer-link.js';

const base = { from: 'n1', to: 'n2', term: 3 };
const valid: Message[] = [
  { ...base, type: 'PreVote', lastIndex: 5, lastTerm: 2 },
  { ...base, type: 'Vote', lastIndex: 5, lastTerm: 2, transfer: 'n2' },
  { ...base, type: 'PreVoteResp', reject: false },
  { ...base, type: 'VoteResp', reject: true },
  {
    ...base,
    type: 'App',
    prevIndex: 4,
    prevTerm: 2,
    commit: 4,
    entries: [
      { index: 5, term: 3, kind: 'noop', data: '' },
      { index: 6, term: 3, kind: 'normal', data: '{"op":"x"}' },
    ],
  },
  { ...base, type: 'AppResp', index: 6, reject: false, hintIndex: 0, hintTerm: 0 },
  { ...base, type: 'Heartbeat', commit: 6, readCtx: 2, seq: 3, quorumSeq: 2, leaderCommit: 8 },
  // From a node of an older version: no quorumSeq.
  { ...base, type: 'Heartbeat', commit: 6, readCtx: 2, seq: 4 },
  { ...base, type: 'HeartbeatResp', readCtx: 2, seq: 3 },
  {
    ...base,
    type: 'Snap',
    snapshot: { meta: { index: 9, term: 3, conf: { voters: ['n1', 'n2'], learners: [] } }, data: '{}' },
  },
  { ...base, type: 'TimeoutNow' },
  { ...base, type: 'ReadIndex', readId: 7 },
  { ...base, type: 'ReadIndexResp', readId: 7, index: -1 },
];

function roundTrip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe('parseMessage', () => {
  test('every message type is covered by a valid example', () => {
    assert.deepEqual(new Set(valid.map((m) => m.type)), new Set(MESSAGE_TYPES));
  });

  for (const message of valid) {
    test(`a valid ${message.type} survives the wire unchanged`, () => {
      assert.deepEqual(parseMessage(roundTrip(message)), { ok: true, value: message });
    });
  }

  test('unknown fields are not passed on', () => {
    const parsed = parseMessage({ ...base, type: 'TimeoutNow', extra: 1, __proto__x: { polluted: true } });
    assert.deepEqual(parsed, { ok: true, value: { ...base, type: 'TimeoutNow' } });
  });

  const invalid: [string, unknown, RegExp][] = [
    ['not an object', 'Heartbeat', /expected an object/],
    ['an array', [], /expected an object/],
    ['unknown type', { ...base, type: 'Gossip' }, /message\.type: expected one of/],
    ['negative term', { ...base, term: -1, type: 'TimeoutNow' }, /message\.term/],
    ['fractional term', { ...base, term: 1.5, type: 'TimeoutNow' }, /message\.term/],
    ['term as text', { ...base, term: '3', type: 'TimeoutNow' }, /message\.term/],
    ['huge term', { ...base, term: 2 ** 60, type: 'TimeoutNow' }, /message\.term/],
    ['empty from', { ...base, from: '', type: 'TimeoutNow' }, /message\.from/],
    ['numeric to', { ...base, to: 2, type: 'TimeoutNow' }, /message\.to/],
    ['long from', { ...base, from: 'n'.repeat(129), type: 'TimeoutNow' }, /message\.from/],
    ['missing reject', { ...base, type: 'VoteResp' }, /message\.reject: expected a boolean/],
    ['transfer not a node id', { ...base, type: 'Vote', lastIndex: 1, lastTerm: 1, transfer: 7 }, /transfer/],
    [
      'entry with a bad kind',
      {
        ...base,
        type: 'App',
        prevIndex: 0,
        prevTerm: 0,
        commit: 0,
        entries: [{ index: 1, term: 1, kind: 'x', data: '' }],
      },
      /entries\[0\]\.kind/,
    ],
    [
      'entries not a list',
      { ...base, type: 'App', prevIndex: 0, prevTerm: 0, commit: 0, entries: {} },
      /entries/,
    ],
    [
      'snapshot voter not a string',
      {
        ...base,
        type: 'Snap',
        snapshot: { meta: { index: 1, term: 1, conf: { voters: [1], learners: [] } }, data: '' },
      },
      /voters\[0\]/,
    ],
    ['read index below -1', { ...base, type: 'ReadIndexResp', readId: 1, index: -2 }, /message\.index/],
  ];
  for (const [name, value, reason] of invalid) {
    test(`refuses ${name}`, () => {
      const parsed = parseMessage(value);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    });
  }
});

describe('decodeEnvelope', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  test('reads what encodeEnvelopePayload wrote', () => {
    assert.deepEqual(decodeEnvelope(encodeEnvelopePayload('obs', { a: [1] })), {
      ok: true,
      value: { kind: 'obs', body: { a: [1] } },
    });
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
    ['invalid JSON', bytes('{"kind":'), /not valid JSON/],
    ['a JSON array', bytes('[1,2]'), /expected a JSON object/],
    ['a JSON string', bytes('"raft"'), /expected a JSON object/],
    ['no kind', bytes('{"body":{}}'), /envelope\.kind/],
    ['an odd kind', bytes('{"kind":"Raft Message"}'), /envelope\.kind/],
  ];
  for (const [name, payload, reason] of bad) {
    test(`refuses ${name}`, () => {
      const decoded = decodeEnvelope(payload);
      assert.equal(decoded.ok, false);
      if (!decoded.ok) assert.match(decoded.reason, reason);
    });
  }
});

describe('handshake checks', () => {
  const local = { cluster: 'c1', nodeId: 'n1' };
  const hello = {
    version: 2,
    cluster: 'c1',
    nodeId: 'n2',
    addresses: { raft: 'a:1', http: 'a:2', sentinel: 'a:3' },
    nonce: 'ab'.repeat(32),
  };

  test('a hello from another member of the cluster passes', () => {
    assert.deepEqual(checkHello(hello, local), { ok: true, hello });
  });

  const refusals: [string, unknown, string][] = [
    ['another version', { ...hello, version: 1, cluster: 42 }, 'version-mismatch'],
    ['no nonce', { ...hello, nonce: undefined }, 'bad-hello'],
    ['a short nonce', { ...hello, nonce: 'ab' }, 'bad-hello'],
    ['another cluster', { ...hello, cluster: 'c2' }, 'cluster-mismatch'],
    ['our own id', { ...hello, nodeId: 'n1' }, 'same-node-id'],
    ['no version', { cluster: 'c1' }, 'bad-hello'],
    ['no addresses', { ...hello, addresses: undefined }, 'bad-hello'],
    ['not an object', 'hello', 'bad-hello'],
  ];
  for (const [name, body, reason] of refusals) {
    test(`the listener refuses ${name}`, () => {
      const check = checkHello(body, local);
      assert.equal(check.ok, false);
      if (!check.ok) assert.equal(check.reason, reason);
    });
  }

  test('the dialer refuses an answer from a node other than the one it dialed', () => {
    const check = checkHelloOk({ ...hello, proof: null }, { cluster: 'c1', nodeId: 'n3' });
    assert.equal(check.ok, false);
    if (!check.ok) assert.equal(check.reason, 'node-id-mismatch');
    assert.equal(checkHelloOk({ ...hello, proof: null }, { cluster: 'c1', nodeId: 'n2' }).ok, true);
    assert.equal(checkHelloOk(hello, { cluster: 'c1', nodeId: 'n2' }).ok, false, 'proof: null must be said');
  });

  test('a reject reason is read defensively', () => {
    assert.equal(readRejectReason({ reason: 'cluster-mismatch' }), 'cluster-mismatch');
    assert.equal(readRejectReason(null), 'unreadable hello-reject');
  });
});

describe('addresses and backoff', () => {
  test('host:port forms', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:26381'), { host: '127.0.0.1', port: 26381 });
    assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseHostPort('node-1.example:7'), { host: 'node-1.example', port: 7 });
    assert.equal(formatHostPort('::1', 5), '[::1]:5');
    for (const bad of ['127.0.0.1', ':80', 'h:65536', 'h:-1', '::1:80', 'h:80x']) {
      assert.throws(() => parseHostPort(bad), { code: 'bad_address' }, bad);
    }
  });

  test('the redial delay doubles up to the cap, jittered within [half, full]', () => {
    const backoff = { initialMs: 50, maxMs: 2000 };
    assert.equal(
      backoffDelayMs(0, backoff, () => 0),
      25,
    );
    assert.equal(
      backoffDelayMs(0, backoff, () => 1),
      50,
    );
    assert.equal(
      backoffDelayMs(3, backoff, () => 1),
      400,
    );
    assert.equal(
      backoffDelayMs(10, backoff, () => 1),
      2000,
    );
    assert.equal(
      backoffDelayMs(1000, backoff, () => 0),
      1000,
    );
  });
});
