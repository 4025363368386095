// A switchover fences the old master before it promotes the target (simulator seed 9433346): the
// write pause ends by itself, so a master stalled past its end wakes up unpaused and takes writes
// before the demotion reaches it. The fence (min-replicas-to-write at FENCE_MIN_REPLICAS) has no
// time limit; the target is promoted only once it holds what the master had when fenced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FENCE_MIN_REPLICAS } from '../../../src/failover/engine-types.js';
import { obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

const isFence = (op: { kind: string; minReplicas?: number | null }): boolean =>
  op.kind === 'write-safety' && op.minReplicas === FENCE_MIN_REPLICAS;

test('writes that slipped in before the fence are waited for: the target is promoted only once it holds them', () => {
  const h = new Harness(topologyWithMaster());
  h.roundMs = 10;
  h.see(obs('r1', { offset: 1000 }), obs('r2', { offset: 1000 }), obs('r3', { offset: 900 }));
  // r1 stalled past its pause's end and took 40 bytes of writes before the fence reached it.
  h.beforeOp = (node, op) => {
    if (node === 'r1' && isFence(op)) h.change('r1', { offset: 1040 });
  };
  h.engine.requestSwitchover(7, 'm', 'r2', h.now, 30_000);
  h.run(20);
  const fenceAt = h.sent.findIndex((s) => s.node === 'r1' && isFence(s.op));
  assert.ok(fenceAt >= 0, `the old master is fenced: ${h.ops().join(', ')}`);
  assert.ok(!h.ops().includes('r2 promote'), 'r2 (offset 1000) is not promoted while r1 holds 1040');
  assert.ok(h.ops().slice(fenceAt).includes('r2 inspect'), 'the target is polled for the fenced offset');
  h.change('r2', { offset: 1040 }); // replication brings it over: r1 still streams to r2
  h.run(20);
  const promoteAt = h.ops().indexOf('r2 promote');
  assert.ok(promoteAt > fenceAt, `r2 promoted after the fence: ${h.ops().join(', ')}`);
  h.run(60);
  assert.equal(h.topo.shards.m.master, 'r2');
  const [result] = h.switchoverResults;
  assert.equal(result?.ok, true, JSON.stringify(result?.error));
  assert.equal(result?.report.masterOffset, 1040, 'the report gives the offset the master was fenced at');
});

test('a switchover that cannot verify the fenced offset in time aborts, and the leader lifts the fence', () => {
  const h = new Harness(topologyWithMaster({ failoverTimeoutMs: 3000 }));
  h.roundMs = 50;
  h.refresh = true;
  h.see(obs('r1', { offset: 1000 }), obs('r2', { offset: 1000 }), obs('r3', { offset: 900 }));
  h.beforeOp = (node, op) => {
    if (node === 'r1' && isFence(op)) h.change('r1', { offset: 5000 }); // r2 never gets there
  };
  h.engine.requestSwitchover(8, 'm', 'r2', h.now, 30_000);
  h.run(200);
  assert.ok(!h.ops().includes('r2 promote'), `never promoted: ${h.ops().join(', ')}`);
  assert.equal(h.topo.shards.m.master, 'r1');
  assert.equal(h.topo.history.m.at(-1)?.result, 'aborted');
  const fenceAt = h.sent.findIndex((s) => s.node === 'r1' && isFence(s.op));
  const lift = h.sent.findIndex(
    (s, i) => i > fenceAt && s.node === 'r1' && s.op.kind === 'write-safety' && s.op.minReplicas === null,
  );
  assert.ok(fenceAt >= 0 && lift > fenceAt, `the fence is lifted after the abort: ${h.ops().join(', ')}`);
});
