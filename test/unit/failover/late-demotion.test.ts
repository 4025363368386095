// A switchover's REPLICAOF that reaches the old master after the switchover was aborted (seed
// 9204817): a stopped Redis ran it when it resumed, after the leader had aborted on an INFO
// showing it still master. The committed master then follows the aborted target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import type { RedisObservation } from '../../../src/failover/types.js';
import { failoverStarted, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

/** Epoch 1: a switchover r1 -> r3, aborted; r3's promotion and r1's demotion both landed late. */
function afterLateDemotion(): Harness {
  const h = new Harness(topologyWithMaster());
  applyTopologyCommand(h.topo, failoverStarted('r3', { kind: 'switchover' }), 2);
  applyTopologyCommand(
    h.topo,
    { type: 'failoverAborted', shard: 'm', epoch: 1, reason: 'promotion of r3 timed out', at: 1_000_500 },
    2,
  );
  // r3 took a new history at REPLICAOF NO ONE; r1 resynced from it, r2 from r1 (chained).
  h.see(
    obs('r1', {
      role: 'slave',
      masterHost: 'h-r3',
      masterPort: 6379,
      linkUp: true,
      replId: 'hist-9',
      replId2: null,
    }),
    obs('r2', { replId: 'hist-9' }),
    obs('r3', {
      role: 'master',
      masterHost: null,
      masterPort: null,
      linkUp: null,
      replId: 'hist-9',
      replId2: 'hist-1',
    }),
  );
  return h;
}

test('a committed master demoted toward an aborted switchover target is made master again, and the shard converges', () => {
  const h = afterLateDemotion();
  h.run(1);
  assert.deepEqual(h.ops(), ['r1 promote'], 'the committed master is promoted back first, nothing else yet');
  assert.ok(h.events.some((e) => e.name === '-demotion-undone' && e.detail.node === 'r1'));
  // r2, chained below r1 all along, continues on r1's new history (PSYNC hands it the new id).
  h.see({ ...(h.truth.get('r2') as RedisObservation), replId: h.truth.get('r1')?.replId ?? null });
  h.run(40);
  const shard = h.topo.shards.m;
  assert.equal(shard.master, 'r1');
  assert.equal(shard.failover, null);
  assert.equal(h.truth.get('r1')?.role, 'master');
  for (const id of ['r2', 'r3']) {
    const v = h.truth.get(id);
    assert.equal(v?.role, 'slave', `${id} is a replica`);
    assert.equal(v?.masterHost, 'h-r1', `${id} follows the committed master`);
  }
  // The new history (r1's, after REPLICAOF NO ONE) is the shard's once every replica follows it.
  assert.equal(shard.replId, h.truth.get('r1')?.replId);
  assert.ok(h.proposed.includes('masterKept'));
  assert.deepEqual(
    h.proposed.filter((p) => p === 'failoverStarted' || p === 'failoverAborted'),
    [],
    'no failover attempt on the way',
  );
});

test('a committed master that follows a node no aborted attempt targeted is left to detect()', () => {
  const h = new Harness(topologyWithMaster());
  h.see(
    obs('r1', { role: 'slave', masterHost: 'h-r3', masterPort: 6379, linkUp: true }),
    obs('r2'),
    obs('r3', { role: 'master', masterHost: null, masterPort: null, linkUp: null }),
  );
  h.run(3);
  assert.equal(
    h.sent.filter((x) => x.node === 'r1' && x.op.kind === 'promote').length,
    0,
    'only the demotion of an aborted attempt is undone',
  );
});
