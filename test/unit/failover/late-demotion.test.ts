// A switchover's REPLICAOF that reaches the old master after the switchover was aborted (seed
// 9204817): a stopped Redis ran it when it resumed, after the leader had aborted on an INFO
// showing it still master. The committed master then follows the aborted target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { down, failoverStarted, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

/**
 * Epoch 1: a switchover r1 -> r3, aborted; r3's promotion and r1's demotion both landed late.
 * Epoch 2: the failover detect() started toward r2, aborted because r2, chained below r1, had
 * left the history.
 */
function afterLateDemotion(targetReplId2: string, r2ReplId = 'hist-9'): Harness {
  const h = new Harness(topologyWithMaster());
  applyTopologyCommand(h.topo, failoverStarted('r3', { kind: 'switchover' }), 2);
  const aborted = { type: 'failoverAborted', shard: 'm', at: 1_000_500 } as const;
  applyTopologyCommand(h.topo, { ...aborted, epoch: 1, reason: 'promotion of r3 timed out' }, 2);
  applyTopologyCommand(h.topo, failoverStarted('r2', { epoch: 2 }), 2);
  applyTopologyCommand(
    h.topo,
    { ...aborted, epoch: 2, reason: 'r2 left the history', lostHistory: ['r2'] },
    2,
  );
  // r3 took a new history at REPLICAOF NO ONE; r1 resynced from it, r2 from r1.
  h.see(
    obs('r1', { role: 'slave', masterHost: 'h-r3', masterPort: 6379, linkUp: true, replId: 'hist-9' }),
    obs('r2', { replId: r2ReplId }),
    obs('r3', {
      role: 'master',
      masterHost: null,
      masterPort: null,
      linkUp: null,
      replId: 'hist-9',
      replId2: targetReplId2,
    }),
  );
  return h;
}

test('a committed master demoted toward an aborted switchover target: the switchover goes forward, and the shard converges', () => {
  const h = afterLateDemotion('hist-1');
  h.run(40);
  assert.deepEqual(h.proposed, ['failoverStarted', 'promoted', 'failoverEnded']);
  const shard = h.topo.shards.m;
  assert.equal(shard.master, 'r3');
  assert.equal(shard.epoch, 3);
  assert.equal(shard.replId, 'hist-9', "r3's history, which continues the shard's");
  assert.equal(shard.failover, null);
  assert.equal(
    h.sent.filter((x) => x.op.kind === 'promote').length,
    0,
    'no REPLICAOF NO ONE: r3 is master already',
  );
  for (const id of ['r1', 'r2']) {
    const v = h.truth.get(id);
    assert.equal(v?.role, 'slave', `${id} is a replica`);
    assert.equal(v?.masterHost, 'h-r3', `${id} follows the committed master`);
  }
});

test('the aborted target on another history is not committed while a node may still hold the shard history', () => {
  const h = afterLateDemotion('hist-other', 'hist-1');
  h.run(10);
  assert.deepEqual(h.proposed, []);
  assert.equal(h.topo.shards.m.master, 'r1');
});

test('the aborted target lost its data and no node holds the shard history: its new history is adopted (seed 10443929)', () => {
  // r3 restarted empty after its promotion; r1, demoted toward it, full-synced from it, r2 below r1.
  const h = afterLateDemotion('hist-other');
  h.run(40);
  assert.deepEqual(h.proposed, ['failoverStarted', 'promoted', 'failoverEnded']);
  const started = h.commands.find((c) => c.type === 'failoverStarted');
  assert.equal(started?.type === 'failoverStarted' ? started.adoptHistory : null, true);
  const shard = h.topo.shards.m;
  assert.equal(shard.master, 'r3');
  assert.equal(shard.replId, 'hist-9', "r3's history becomes the shard's");
  assert.equal(shard.failover, null);
});

test('a committed master that follows a node no aborted attempt targeted is left to detect()', () => {
  const h = new Harness(topologyWithMaster());
  h.see(
    obs('r1', { role: 'slave', masterHost: 'h-r3', masterPort: 6379, linkUp: true }),
    obs('r2'),
    obs('r3', { role: 'master', masterHost: null, masterPort: null, linkUp: null, replId2: 'hist-1' }),
  );
  h.run(10);
  assert.deepEqual(h.proposed, []);
});

test('a replica still on the shard history and ahead of the aborted target is promoted instead (seed 9300143)', () => {
  const h = new Harness(topologyWithMaster());
  applyTopologyCommand(h.topo, failoverStarted('r3', { kind: 'switchover' }), 2);
  applyTopologyCommand(
    h.topo,
    { type: 'failoverAborted', shard: 'm', epoch: 1, at: 1_000_500, reason: 'the write pause ran out' },
    2,
  );
  // r3 was promoted at offset 300 and r1 demoted toward it late; r1 had taken writes up to 500
  // after r3's promotion, which r2, still replicating the shard's history, holds.
  h.see(
    obs('r1', {
      role: 'slave',
      masterHost: 'h-r3',
      masterPort: 6379,
      linkUp: true,
      replId: 'hist-9',
      sdown: true,
    }),
    obs('r2', { offset: 500, linkUp: false, linkDownMs: 100 }),
    obs('r3', {
      role: 'master',
      masterHost: null,
      masterPort: null,
      linkUp: null,
      offset: 300,
      replId: 'hist-9',
      replId2: 'hist-1',
    }),
  );
  h.run(10);
  const started = h.commands.find((c) => c.type === 'failoverStarted');
  assert.equal(
    started?.type === 'failoverStarted' ? started.to : null,
    'r2',
    'the replica with the most of the history',
  );
});

test('a view of the aborted target older than the REPLICAOF this leader sent it does not start a failover to it (seed 10464868)', () => {
  const h = new Harness(topologyWithMaster());
  applyTopologyCommand(h.topo, failoverStarted('r3', { kind: 'switchover' }), 2);
  applyTopologyCommand(
    h.topo,
    {
      type: 'failoverAborted',
      shard: 'm',
      epoch: 1,
      at: 1_000_500,
      reason: 'r1 is down and was never seen demoted',
    },
    2,
  );
  // r3, the aborted target, answers as master on a history continuing the shard's; the
  // committed master r1 is unreachable (not down long enough for SDOWN): reconcile() demotes
  // r3 toward r1.
  const r3Master = obs('r3', {
    role: 'master',
    masterHost: null,
    masterPort: null,
    linkUp: null,
    offset: 52,
    replId: 'hist-9',
    replId2: 'hist-1',
  });
  h.see({ ...down('r1'), sdown: false }, obs('r2', { offset: 52, linkUp: false, linkDownMs: 100 }), r3Master);
  h.run(1);
  assert.deepEqual(h.ops(), ['r3 replicaof h-r1']);
  assert.deepEqual(h.proposed, []);
  // Then r1 restarts as a replica of r3 (its config since the switchover demoted it), and an
  // observer reports it along with an INFO of r3 taken before the REPLICAOF landed.
  const r1 = obs('r1', {
    role: 'slave',
    masterHost: 'h-r3',
    masterPort: 6379,
    linkUp: false,
    offset: 52,
    replId: 'hist-9',
  });
  h.truth.set('r1', r1);
  h.table.record('n1', [r1, r3Master], h.now);
  h.table.record('n2', [r1, r3Master], h.now);
  h.run(3);
  const toR3 = h.commands.filter((c) => c.type === 'failoverStarted' && c.to === 'r3');
  assert.deepEqual(toR3, [], 'r3 is a replica of r1 now: the leader demoted it itself');
});
