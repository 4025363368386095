// The Sentinel events raftinel publishes beside its failover driver (docs/design.md 5.1):
// +slave, +sentinel, +tilt/-tilt, +odown on followers, +elected-leader on the leader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParityEvents } from '../../../src/discovery/parity-events.js';
import type { TopologyEvent } from '../../../src/failover/topology.js';
import { obs, topologyWithMaster } from '../failover/fixtures.js';

const topo = topologyWithMaster();
const shard = topo.shards.m;
const node = (id: string) => shard.nodes.find((n) => n.id === id)!;
const at = (id: string) => `${node(id).host} ${node(id).port}`;

function core(): ParityEvents {
  return new ParityEvents(
    () => topo,
    () => 2,
  );
}

test('+slave once per replica this node reaches, in Sentinel form', () => {
  const c = core();
  const r2 = node('r2');
  assert.deepEqual(c.observed([obs('r2', { role: 'slave', reachable: false })]), [], 'not reached yet');
  assert.deepEqual(c.observed([obs('r2', { role: 'slave' }), obs('r1', { role: 'master' })]), [
    { name: '+slave', message: `slave ${r2.host}:${r2.port} ${at('r2')} @ m ${at('r1')}` },
  ]);
  assert.deepEqual(c.observed([obs('r2', { role: 'slave' })]), [], 'once');
});

test('+tilt when any own report is unsure, -tilt when none is', () => {
  const c = core();
  assert.deepEqual(c.observed([obs('r1', { unsure: true, role: 'master' })]), [
    { name: '+tilt', message: '#tilt mode entered' },
  ]);
  assert.deepEqual(c.observed([obs('r2', { unsure: true, role: 'slave', reachable: false })]), []);
  assert.deepEqual(c.observed([obs('r1', { unsure: false, role: 'master' })]), [], 'r2 still unsure');
  assert.deepEqual(c.observed([obs('r2', { unsure: false, role: 'slave', reachable: false })]), [
    { name: '-tilt', message: '#tilt mode exited' },
  ]);
});

test('a committed failover: +odown on a follower, +elected-leader on the leader', () => {
  const started: TopologyEvent = {
    type: 'failover-started',
    shard: 'm',
    epoch: 2,
    to: node('r2'),
    kind: 'failover',
  };
  assert.deepEqual(core().applied([started], false), [
    { name: '+odown', message: `master m ${at('r1')} #quorum 2/2` },
  ]);
  assert.deepEqual(core().applied([started], true), [
    { name: '+elected-leader', message: `master m ${at('r1')}` },
  ]);
  const switchover: TopologyEvent = { ...started, kind: 'switchover' };
  assert.deepEqual(core().applied([switchover], false), [], 'no odown for a switchover');
  assert.deepEqual(core().applied([switchover], true), [
    { name: '+elected-leader', message: `master m ${at('r1')}` },
  ]);
});

test('+sentinel once per peer that is up, for each shard', () => {
  const c = core();
  const peer = { id: 'n2', host: '127.0.0.2', port: 26379, runId: 'c'.repeat(40), up: false };
  assert.deepEqual(c.peers([peer]), []);
  assert.deepEqual(c.peers([{ ...peer, up: true }]), [
    { name: '+sentinel', message: `sentinel ${'c'.repeat(40)} 127.0.0.2 26379 @ m ${at('r1')}` },
  ]);
  assert.deepEqual(c.peers([{ ...peer, up: true }]), []);
});

test('the periodic peer check walks the shards only after a change of peers or an applied entry', () => {
  let walks = 0;
  const c = new ParityEvents(
    () => {
      walks++;
      return topo;
    },
    () => 2,
  );
  const peer = { id: 'n2', host: '127.0.0.2', port: 26379, runId: 'c'.repeat(40), up: true };
  assert.equal(c.peers([peer]).length, 1);
  const after = walks;
  for (let i = 0; i < 5; i++) assert.deepEqual(c.peers([peer]), []);
  assert.equal(walks, after, 'the same peers, nothing applied: no walk');
  c.applied([], false);
  const applied = walks;
  c.peers([peer]);
  assert.ok(walks > applied, 'an applied entry: walked again');
  const before = walks;
  c.peers([peer, { ...peer, id: 'n3' }]);
  assert.ok(walks > before, 'another peer: walked again');
});

test('a replica reached before bootstrap adopted a master is announced once the master is applied', () => {
  // Found by the integration test: at a first start the probes answer before the shard has a master.
  let current: typeof topo = { ...topo, shards: { m: { ...shard, master: null } } };
  const c = new ParityEvents(
    () => current,
    () => 2,
  );
  const peer = { id: 'n2', host: '127.0.0.2', port: 26379, runId: 'c'.repeat(40), up: true };
  assert.deepEqual(c.observed([obs('r2', { role: 'slave' })]), []);
  assert.deepEqual(c.peers([peer]), []);
  current = topo;
  assert.deepEqual(
    c.applied([{ type: 'shard-changed', shard: 'm' }], false).map((e) => e.name),
    ['+slave'],
  );
  assert.deepEqual(
    c.peers([peer]).map((e) => e.name),
    ['+sentinel'],
  );
});
