// The committed master in a replication loop on a history that continues the shard's (simulator
// seed 10515639): a switchover demoted r1 toward r2 (r2 promoted from hist-1 onto hist-b), r1
// went down, a later leader aborted the switchover (r1 down, never seen demoted), and reconcile()
// demoted r2 toward r1 while r1 was still loading. r1 had PSYNCed from r2 and taken hist-b, so
// r1 -> r2 -> r1 took no writes: no replica is eligible (hist-b is not the shard's hist-1),
// lateDemotionForward() has no master to go forward to, and reinstateInPlace() asked for hist-1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { down, failoverStarted, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

/** r1, the committed master, a replica of r2 on hist-b (its link up, so SDOWN as a master). */
const r1InLoop = obs('r1', {
  role: 'slave',
  masterHost: 'h-r2',
  masterPort: 6379,
  linkUp: true,
  sdown: true,
  offset: 1200,
  replId: 'hist-b',
});
/** r2, the aborted target: promoted from hist-1 (master_replid2), then demoted toward r1. */
const r2InLoop = obs('r2', { offset: 1200, replId: 'hist-b', replId2: 'hist-1' });
const r3OnLoop = obs('r3', { offset: 1200, replId: 'hist-b' });

test('a committed master in a loop on a history continuing the shard: promoted again in place, verified on it', () => {
  const h = new Harness(topologyWithMaster());
  h.see(r1InLoop, r2InLoop, r3OnLoop);
  h.run(20);
  assert.deepEqual(h.proposed, ['failoverStarted', 'promoted', 'failoverEnded']);
  const started = h.commands[0];
  assert.ok(started.type === 'failoverStarted');
  assert.deepEqual(
    [started.from, started.to, started.inPlace, started.history],
    ['r1', 'r1', true, 'hist-b'],
  );
  assert.deepEqual(
    h.ops().filter((o) => !o.endsWith('inspect') && !o.endsWith('write-safety')),
    ['r1 promote'],
  );
  const shard = h.topo.shards.m;
  assert.equal(shard.master, 'r1');
  assert.equal(shard.failover, null);
  assert.equal(h.truth.get('r1')?.role, 'master');
  assert.equal(h.truth.get('r1')?.replId2, 'hist-b');
  assert.equal(shard.replId, h.truth.get('r1')?.replId, "r1's new history, continuing hist-b");
});

// With r3 unseen, hist-1 may be left on it: nothing proves hist-b continues it, and no history
// is adopted (with every node reported on hist-b, it is: the tests of seed 17070328 below).
test('no report shows the history born of the shard, and a node may still hold it: not promoted', () => {
  const h = new Harness(topologyWithMaster());
  h.see(r1InLoop, { ...r2InLoop, replId2: null }, down('r3'));
  h.run(10);
  assert.deepEqual(h.proposed, []);
  assert.ok(!h.ops().includes('r1 promote'));
});

test('a node on the history with more than the committed master: not promoted', () => {
  const h = new Harness(topologyWithMaster());
  h.see(r1InLoop, { ...r2InLoop, offset: 1300 }, r3OnLoop);
  h.run(10);
  assert.deepEqual(h.proposed, []);
});

test('the node it follows is a master: not this rule', () => {
  const h = new Harness(topologyWithMaster());
  h.see(
    r1InLoop,
    obs('r2', {
      role: 'master',
      masterHost: null,
      masterPort: null,
      linkUp: null,
      offset: 1200,
      replId: 'hist-b',
      replId2: 'hist-1',
    }),
    r3OnLoop,
  );
  h.run(10);
  assert.ok(!h.commands.some((c) => c.type === 'failoverStarted' && c.inPlace === true));
});

test('the committed master left that history before REPLICAOF NO ONE: the attempt is aborted', () => {
  const h = new Harness(topologyWithMaster());
  h.see(r1InLoop, r2InLoop, r3OnLoop);
  h.beforeOp = (node, op) => {
    if (node === 'r1' && op.kind === 'inspect') h.change('r1', { replId: 'hist-e', offset: 0 });
  };
  h.run(5);
  assert.deepEqual(h.proposed.slice(0, 2), ['failoverStarted', 'failoverAborted']);
  assert.ok(!h.ops().includes('r1 promote'));
});

test('the topology keeps the history of an in-place failover only', () => {
  const inPlace = topologyWithMaster();
  applyTopologyCommand(inPlace, failoverStarted('r1', { inPlace: true, history: 'hist-b' }), 2);
  assert.equal(inPlace.shards.m.failover?.history, 'hist-b');
  const other = topologyWithMaster();
  applyTopologyCommand(other, failoverStarted('r2', { history: 'hist-b' }), 2);
  assert.equal(other.shards.m.failover?.history, undefined);
});

// The loop on a history that replaced the shard's (simulator seed 17070328): a switchover r1 ->
// r3, then r3 and r1 restarted empty and r1 full-synced from r3's new hist-n (born of the restart:
// nothing names hist-1 as master_replid2); the switchover was aborted (r1 never seen demoted) and
// reconcile() demoted r3 toward r1 before any report of r1 came. r2 followed r1 onto hist-n too.
const r1InNewLoop = obs('r1', {
  role: 'slave',
  masterHost: 'h-r3',
  masterPort: 6379,
  linkUp: true,
  sdown: true,
  offset: 0,
  replId: 'hist-n',
});
const r3InNewLoop = obs('r3', { offset: 0, replId: 'hist-n' });
const r2OnNewLoop = obs('r2', { offset: 0, replId: 'hist-n' });

test('a committed master in a loop on a history that replaced the shard, which no node holds: promoted again in place, adopting it (seed 17070328)', () => {
  const h = new Harness(topologyWithMaster());
  h.see(r1InNewLoop, r2OnNewLoop, r3InNewLoop);
  h.run(20);
  assert.deepEqual(h.proposed, ['failoverStarted', 'promoted', 'failoverEnded']);
  const started = h.commands[0];
  assert.ok(started.type === 'failoverStarted');
  assert.deepEqual(
    [started.from, started.to, started.inPlace, started.adoptHistory, started.history],
    ['r1', 'r1', true, true, undefined],
  );
  assert.deepEqual(
    h.ops().filter((o) => !o.endsWith('inspect') && !o.endsWith('write-safety')),
    ['r1 promote'],
  );
  const shard = h.topo.shards.m;
  assert.equal(shard.master, 'r1');
  assert.equal(shard.failover, null);
  assert.equal(h.truth.get('r1')?.role, 'master');
  assert.equal(h.truth.get('r1')?.replId2, 'hist-n');
  assert.equal(shard.replId, h.truth.get('r1')?.replId, "r1's new history, continuing hist-n");
});

test('a node that may still hold the shard history (no report of it): no history adopted', () => {
  const h = new Harness(topologyWithMaster());
  h.see(r1InNewLoop, down('r2'), r3InNewLoop);
  h.run(10);
  assert.ok(!h.commands.some((c) => c.type === 'failoverStarted' && c.inPlace === true));
  assert.ok(!h.ops().includes('r1 promote'));
});

test('a node on the replacing history with more than the committed master: no history adopted', () => {
  const h = new Harness(topologyWithMaster());
  h.see(r1InNewLoop, r2OnNewLoop, { ...r3InNewLoop, offset: 100 });
  h.run(10);
  assert.deepEqual(h.proposed, []);
  assert.ok(!h.ops().includes('r1 promote'));
});

test('on a replacing history, the node it follows is a master: not this rule', () => {
  const h = new Harness(topologyWithMaster());
  h.see(
    r1InNewLoop,
    r2OnNewLoop,
    obs('r3', {
      role: 'master',
      masterHost: null,
      masterPort: null,
      linkUp: null,
      offset: 0,
      replId: 'hist-n',
    }),
  );
  h.run(10);
  assert.ok(!h.commands.some((c) => c.type === 'failoverStarted' && c.inPlace === true));
});
