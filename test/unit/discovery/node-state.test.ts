// One source of each Redis node's and shard's state (src/discovery/node-state.ts, docs/design.md
// 5.3): a killed replica is unreachable with its link and lag unknown (never its last answer),
// the shard state follows the master through unreachable, sdown, odown, failover and cooldown,
// and the JSON view, the CLI table and /metrics say the same of the same input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderShards } from './support/node-state-surfaces.js';
import { shardNodeStates, type ShardStateInput } from '../../../src/discovery/node-state.js';
import { ShardStates } from '../../../src/discovery/shard-states.js';
import { shardView } from '../../../src/discovery/shard-view.js';
import type { RedisObservation, ShardState } from '../../../src/failover/types.js';
import { down, inFlight, obs, topologyWithMaster } from '../failover/fixtures.js';

const WALL = 1_000_000;

function shardOf(fields: Partial<ShardState> = {}): ShardState {
  return { ...topologyWithMaster().shards.m, ...fields };
}

function input(
  views: Record<string, RedisObservation | null>,
  fields: Partial<ShardStateInput> = {},
): ShardStateInput {
  return {
    shard: shardOf(),
    pausedAll: false,
    own: (node) => views[node] ?? null,
    sdownBy: () => null,
    quorum: 2,
    selfId: 'n1',
    wallNow: WALL,
    ...fields,
  };
}

const healthy = (): Record<string, RedisObservation> => ({
  r1: obs('r1', { offset: 5000 }),
  r2: obs('r2', { offset: 4000 }),
  r3: obs('r3', { offset: 5000 }),
});

test('all up: ok, lag from the master offset, links up', () => {
  const s = shardNodeStates(input(healthy()));
  assert.equal(s.status, 'ok');
  assert.equal(s.odown, false);
  assert.equal(s.cooldownUntil, null);
  assert.equal(s.master?.status, 'up');
  assert.deepEqual(
    s.replicas.map((r) => [r.id, r.status, r.linkUp, r.lagBytes]),
    [
      ['r2', 'up', true, 1000],
      ['r3', 'up', true, 0],
    ],
  );
});

test('a killed replica: unreachable, its last link and offset are not shown as current', () => {
  // What the prober reports right after a kill: no reply, the last ROLE still said "connected".
  const views = { ...healthy(), r3: obs('r3', { reachable: false, linkUp: true, offset: 5000 }) };
  const s = shardNodeStates(input(views));
  const r3 = s.replicas.find((r) => r.id === 'r3');
  assert.equal(r3?.status, 'unreachable');
  assert.equal(r3?.reachable, false);
  assert.equal(r3?.linkUp, null, 'the link of a node that does not answer is unknown');
  assert.equal(r3?.lagBytes, null);
  assert.equal(r3?.probeRttMs, null);
  assert.equal(s.status, 'ok', 'a replica down does not make the shard not ok');
  // After downAfterMs: SDOWN here, and this node counts itself among those that see it down.
  const later = shardNodeStates(input({ ...healthy(), r3: down('r3') }));
  const r3Down = later.replicas.find((r) => r.id === 'r3');
  assert.equal(r3Down?.status, 'sdown');
  assert.deepEqual(r3Down?.sdownBy, ['n1']);
  assert.equal(later.odown, false, 'replicas are never ODOWN');
});

test('the master through unreachable, sdown, odown', () => {
  const unreachable = { ...healthy(), r1: obs('r1', { reachable: false, offset: 5000 }) };
  assert.equal(shardNodeStates(input(unreachable)).status, 'unreachable');

  const sdownHere = shardNodeStates(input({ ...healthy(), r1: down('r1') }, { sdownBy: () => [] }));
  assert.equal(sdownHere.status, 'sdown');
  assert.deepEqual(sdownHere.master?.sdownBy, ['n1'], 'the own verdict counts before the digest has it');
  assert.equal(sdownHere.odown, false);

  // The leader's digest: n2 and n3 see it down, this node still gets answers (a partition).
  const quorum = shardNodeStates(
    input(healthy(), { sdownBy: (node) => (node === 'r1' ? ['n2', 'n3'] : []) }),
  );
  assert.equal(quorum.status, 'odown');
  assert.equal(quorum.odown, true);
  assert.equal(quorum.master?.status, 'odown');
  assert.equal(quorum.master?.sdown, false, 'sdown stays this node own view');
});

test('holistic mode: no ODOWN while a replica still has its link to the master up', () => {
  const holistic = shardOf({ settings: { ...shardOf().settings, holistic: true } });
  const quorum = { shard: holistic, sdownBy: (node: string) => (node === 'r1' ? ['n2', 'n3'] : []) };
  assert.equal(shardNodeStates(input(healthy(), quorum)).status, 'sdown');
  const linksDown = {
    r1: obs('r1'),
    r2: obs('r2', { linkUp: false }),
    r3: obs('r3', { reachable: false }),
  };
  assert.equal(shardNodeStates(input(linksDown, quorum)).status, 'odown');
});

test('an unsure observer (TILT) vouches for nothing', () => {
  const s = shardNodeStates(
    input({ ...healthy(), r1: obs('r1', { unsure: true, reachable: false }) }, { sdownBy: () => [] }),
  );
  assert.equal(s.master?.status, 'unsure');
  assert.deepEqual(s.master?.sdownBy, []);
});

test('failover in flight, then cooldown, then ok; odown outranks cooldown', () => {
  const inFlightShard = (step: 'started' | 'promoted') => shardOf({ failover: inFlight(step) });
  const started = shardNodeStates(input(healthy(), { shard: inFlightShard('started') }));
  assert.equal(started.status, 'failover');
  assert.equal(started.odown, true, 'o_down until the new master is promoted');
  const promoted = shardNodeStates(input(healthy(), { shard: inFlightShard('promoted') }));
  assert.equal(promoted.status, 'failover');
  assert.equal(promoted.odown, false, 'o_down cleared at Promoted');

  const cooling = shardNodeStates(input(healthy(), { shard: shardOf({ cooldownUntil: WALL + 30_000 }) }));
  assert.equal(cooling.status, 'cooldown');
  assert.equal(cooling.cooldownUntil, WALL + 30_000);
  const over = shardNodeStates(input(healthy(), { shard: shardOf({ cooldownUntil: WALL }) }));
  assert.equal(over.status, 'ok');
  assert.equal(over.cooldownUntil, null);
  const downInCooldown = shardNodeStates(
    input(
      { ...healthy(), r1: down('r1') },
      { shard: shardOf({ cooldownUntil: WALL + 30_000 }), sdownBy: () => ['n2', 'n3'] },
    ),
  );
  assert.equal(downInCooldown.status, 'odown');
  assert.equal(downInCooldown.cooldownUntil, WALL + 30_000, 'and says why no failover starts');
});

test('no master, ambiguous, paused', () => {
  assert.equal(shardNodeStates(input(healthy(), { shard: shardOf({ master: null }) })).status, 'no-master');
  const ambiguous = shardOf({ master: null, problem: 'ambiguous topology: two masters' });
  assert.equal(shardNodeStates(input(healthy(), { shard: ambiguous })).status, 'ambiguous');
  assert.equal(shardNodeStates(input(healthy(), { pausedAll: true })).paused, true);
  assert.equal(shardNodeStates(input(healthy(), { shard: shardOf({ paused: true }) })).paused, true);
});

test('ShardStates: the quorum floor, the digest, and the observers the JSON view lists', () => {
  const topo = topologyWithMaster();
  const views: Record<string, RedisObservation> = { ...healthy(), r3: down('r3') };
  let digest: Record<string, string[]> | null = null;
  const states = new ShardStates({
    selfId: 'n1',
    topology: () => topo,
    ownView: (_shard, node) => views[node] ?? null,
    observers: () => (digest ? { observedBy: ['n1', 'n2', 'n3'], sdownBy: digest, unsureBy: {} } : null),
    voters: () => 3,
    wallNow: () => WALL,
  });
  assert.equal(states.of('nope'), null);
  assert.equal(states.of('constructor'), null);
  const alone = states.of('m');
  assert.ok(alone);
  assert.equal(alone.quorum, 2);
  assert.deepEqual(states.observersOf('m', alone), {
    observedBy: ['n1'],
    sdownBy: { r3: ['n1'] },
    unsureBy: {},
  });
  digest = { r1: ['n2'], r3: ['n2', 'n3'] };
  const withDigest = states.of('m');
  assert.ok(withDigest);
  assert.equal(withDigest.status, 'sdown', 'one observer of three: sdown, not odown');
  assert.deepEqual(states.observersOf('m', withDigest).sdownBy, { r1: ['n2'], r3: ['n1', 'n2', 'n3'] });
});

test('every surface says the same of a killed replica and a killed master', () => {
  const topo = topologyWithMaster();
  const views: Record<string, RedisObservation> = { ...healthy() };
  const states = new ShardStates({
    selfId: 'n1',
    topology: () => topo,
    ownView: (_shard, node) => views[node] ?? null,
    observers: () => null,
    voters: () => 1,
    wallNow: () => WALL,
  });
  views.r3 = obs('r3', { reachable: false, linkUp: true });
  let out = renderShards(topo, states);
  assert.match(out.table, /r3 +replica +unreachable +h-r3:6379 +- +\?/);
  assert.match(out.metrics, /raftinel_redis_up\{shard="m",node="r3"\} 0/);
  assert.doesNotMatch(out.metrics, /raftinel_replica_lag_bytes\{shard="m",node="r3"\}/);
  assert.match(out.metrics, /raftinel_shard_state\{shard="m",state="ok"\} 1/);
  const r3 = out.json.replicas.find((r) => r.id === 'r3');
  assert.deepEqual([r3?.status, r3?.reachable, r3?.linkUp, r3?.lagBytes], ['unreachable', false, null, null]);

  views.r1 = down('r1');
  out = renderShards(topo, states);
  // One voter: its own SDOWN is the quorum.
  assert.equal(out.json.state, 'odown');
  assert.match(out.table, /^m +0 +odown +no +r1 +master +odown 1\/1 /m);
  assert.match(out.metrics, /raftinel_shard_state\{shard="m",state="odown"\} 1/);
  assert.match(out.metrics, /raftinel_redis_sdown\{shard="m",node="r1"\} 1/);
  const plain = shardView(topo.shards.m, states.of('m') ?? assert.fail('no state'));
  assert.deepEqual(plain.master, {
    id: 'r1',
    host: 'h-r1',
    port: 6379,
    status: 'odown',
    reachable: false,
    sdown: true,
    reportedRole: 'unknown',
    maintenance: false,
  });
});
