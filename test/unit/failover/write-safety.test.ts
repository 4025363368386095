// minReplicasToWrite managed by raftinel (docs/design.md 4.8), the engine stepped by hand
// (harness.ts): the committed master gets min-replicas-to-write once, the new master after a
// failover gets it too (with Promoted, whatever it carried), and an unmanaged shard gets nothing
// but the fence lift at promotion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { down, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

const writeSafetyOps = (h: Harness): string[] =>
  h.sent
    .filter((x) => x.op.kind === 'write-safety')
    .map((x) => (x.op.kind === 'write-safety' ? `${x.node} ${x.op.minReplicas} ${x.op.maxLagS}` : ''));

test('managed: the master gets min-replicas-to-write once; after a failover the new master gets it', () => {
  const h = new Harness(topologyWithMaster({ minReplicasToWrite: 1, minReplicasMaxLagMs: 2500 }));
  h.see(obs('r1'), obs('r2', { offset: 900 }), obs('r3', { offset: 990 }));
  h.run(20);
  assert.deepEqual(writeSafetyOps(h), ['r1 1 3']);
  h.see(down('r1'));
  h.run(60);
  assert.equal(h.topo.shards.m.master, 'r3');
  const after = writeSafetyOps(h).slice(1);
  assert.ok(after.length >= 1 && after.every((x) => x === 'r3 1 3'), JSON.stringify(after));
});

test('unmanaged: nothing but a fence lift (minReplicas null) on the promoted node', () => {
  const h = new Harness(topologyWithMaster());
  h.see(down('r1'), obs('r2', { offset: 900 }), obs('r3', { offset: 990 }));
  h.run(60);
  assert.equal(h.topo.shards.m.master, 'r3');
  assert.deepEqual(writeSafetyOps(h), ['r3 null 10']);
});
