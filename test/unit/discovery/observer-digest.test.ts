// Who sees which Redis node down (src/discovery/observer-digest.ts): the leader answers from its
// table, a follower from the leader's digest while it is recent, and a malformed or foreign
// digest is ignored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ObserverDigest,
  type ObserverDigestDeps,
  type Sighting,
} from '../../../src/discovery/observer-digest.js';
import type { Topology } from '../../../src/failover/topology.js';
import type { RaftRuntime } from '../../../src/runtime/raft-runtime.js';

function rig(role: 'leader' | 'follower') {
  let now = 0;
  const handlers = new Map<string, (from: string, body: unknown) => void>();
  const sent: { to: string; body: unknown }[] = [];
  const status = {
    id: 'n1',
    role,
    leader: role === 'leader' ? 'n1' : 'n2',
    conf: { voters: ['n1', 'n2', 'n3'], learners: [] },
  };
  const topology = {
    shards: { s: { name: 's', nodes: [{ id: 'r1' }, { id: 'r2' }] } },
  } as unknown as Topology;
  const sightings: Record<string, Sighting[]> = {
    r1: [
      { observer: 'n1', sdown: true, unsure: false },
      { observer: 'n3', sdown: true, unsure: false },
      { observer: 'n2', sdown: false, unsure: true },
    ],
    r2: [{ observer: 'n1', sdown: false, unsure: false }],
  };
  const deps: ObserverDigestDeps = {
    runtime: { status: () => status } as unknown as RaftRuntime,
    topology: () => topology,
    sightings: (_shard, node) => sightings[node] ?? [],
    sendEnvelope: (to, _kind, body) => (sent.push({ to, body }), true),
    onEnvelope: (kind, handler) => void handlers.set(kind, handler),
    now: () => now,
  };
  const digest = new ObserverDigest(deps);
  return {
    digest,
    sent,
    deliver: (from: string, body: unknown) => handlers.get('observers')?.(from, body),
    advance: (ms: number) => (now += ms),
  };
}

test('the leader answers from its own table: who reported, who sees each node down or is unsure', (t) => {
  const r = rig('leader');
  t.after(() => r.digest.close());
  assert.deepEqual(r.digest.of('s'), {
    observedBy: ['n1', 'n2', 'n3'],
    sdownBy: { r1: ['n1', 'n3'] },
    unsureBy: { r1: ['n2'] },
  });
});

test("a follower answers from its leader's recent digest, and from nothing else", (t) => {
  const r = rig('follower');
  t.after(() => r.digest.close());
  assert.equal(r.digest.of('s'), null, 'no digest yet');
  const body = { reporting: ['n1', 'n2'], sdown: { 's/r2': ['n2'] }, unsure: {} };
  r.deliver('n3', body);
  assert.equal(r.digest.of('s'), null, 'not from a node that is not the leader');
  r.deliver('n2', { reporting: 'n1', sdown: {}, unsure: {} });
  assert.equal(r.digest.of('s'), null, 'not a malformed digest');
  r.deliver('n2', body);
  assert.deepEqual(r.digest.of('s'), { observedBy: ['n1', 'n2'], sdownBy: { r2: ['n2'] }, unsureBy: {} });
  r.advance(5000);
  assert.equal(r.digest.of('s'), null, 'an old digest says nothing');
});
