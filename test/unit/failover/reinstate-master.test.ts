// The committed master made a replica by a REPLICAOF of an earlier epoch that reached it late
// (simulator seed 9955418): epoch 3's leader demoted r1 toward r2 over a slow link; the command
// landed 1.8 s later, after epoch 4 had promoted r1 again. r2 and r3 were down, so no replica
// was eligible, and nothing promoted r1 again: once r2 came back (empty), r1 full-synced from
// it, the shard's history was gone from every node, and the committed master stayed a replica.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { down, failoverStarted, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

/** r1, the committed master, answers as a replica of r2, link down, still on the shard's hist-1. */
const demotedLate = obs('r1', {
  role: 'slave',
  masterHost: 'h-r2',
  masterPort: 6379,
  linkUp: false,
  linkDownMs: 300,
  sdown: true,
  offset: 1200,
});

test('a committed master demoted late, still on the history, with no replica eligible: promoted again in place', () => {
  const h = new Harness(topologyWithMaster());
  h.see(demotedLate, down('r2'), down('r3'));
  h.run(20);
  assert.deepEqual(h.proposed, ['failoverStarted', 'promoted', 'failoverEnded']);
  const started = h.commands[0];
  assert.ok(started.type === 'failoverStarted');
  assert.deepEqual([started.from, started.to, started.inPlace], ['r1', 'r1', true]);
  assert.equal(started.report.rows.find((r) => r.id === 'r1')?.eligible, true);
  assert.deepEqual(
    h.ops().filter((o) => !o.endsWith('inspect') && !o.endsWith('write-safety')),
    ['r1 promote'],
  );
  const shard = h.topo.shards.m;
  assert.equal(shard.master, 'r1');
  assert.equal(shard.epoch, 1);
  assert.equal(shard.failover, null);
  assert.equal(shard.replId, h.truth.get('r1')?.replId, "r1's new history, continuing hist-1");
  assert.equal(h.truth.get('r1')?.replId2, 'hist-1');
  assert.equal(h.truth.get('r1')?.role, 'master');
});

test('then the node it followed, back as a master, is demoted toward it', () => {
  const h = new Harness(topologyWithMaster());
  h.see(demotedLate, down('r2'), down('r3'));
  h.run(20);
  h.see(
    obs('r2', {
      role: 'master',
      masterHost: null,
      masterPort: null,
      linkUp: null,
      replId: 'hist-e',
      offset: 0,
    }),
  );
  h.run(5);
  assert.equal(h.truth.get('r2')?.role, 'slave');
  assert.equal(h.truth.get('r2')?.masterHost, 'h-r1');
});

test('a committed master that already left the history is not promoted again', () => {
  const h = new Harness(topologyWithMaster());
  h.see({ ...demotedLate, replId: 'hist-e', linkUp: true }, down('r2'), down('r3'));
  h.run(10);
  assert.deepEqual(h.proposed, []);
  assert.ok(!h.ops().includes('r1 promote'));
});

test('with an eligible replica, detect() fails over to it as before', () => {
  const h = new Harness(topologyWithMaster());
  h.see(demotedLate, obs('r2', { linkUp: false, linkDownMs: 300 }), down('r3'));
  h.run(5);
  const started = h.commands.find((c) => c.type === 'failoverStarted');
  assert.equal(started?.type === 'failoverStarted' ? started.to : null, 'r2');
});

test('the topology takes a failover to the master itself only when it says it is one in place', () => {
  const stale = topologyWithMaster();
  applyTopologyCommand(stale, failoverStarted('r1'), 2);
  assert.equal(stale.shards.m.failover, null, 'a proposal from a stale view');
  const inPlace = topologyWithMaster();
  applyTopologyCommand(inPlace, failoverStarted('r1', { inPlace: true }), 2);
  assert.deepEqual([inPlace.shards.m.failover?.from, inPlace.shards.m.failover?.to], ['r1', 'r1']);
  const wrongFrom = topologyWithMaster();
  applyTopologyCommand(wrongFrom, failoverStarted('r1', { inPlace: true, from: 'r2' }), 2);
  assert.equal(wrongFrom.shards.m.failover, null);
});
