// Maintenance of one Redis node (issue 13, item 3): never promoted, and while it is the master no
// automatic failover of its shard starts, unless the master came back empty.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { down, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

const maintenance = (node: string, on: boolean) => ({ type: 'maintenance', shard: 'm', node, on }) as const;

test('maintenance on and off is applied per node; an unknown node is ignored; a node removed leaves the list', () => {
  const topo = topologyWithMaster();
  assert.deepEqual(applyTopologyCommand(topo, maintenance('r3', true), 1), [
    { type: 'shard-changed', shard: 'm' },
  ]);
  applyTopologyCommand(topo, maintenance('r2', true), 1);
  applyTopologyCommand(topo, maintenance('r2', true), 1);
  assert.deepEqual(topo.shards.m.maintenance, ['r2', 'r3']);
  assert.deepEqual(applyTopologyCommand(topo, maintenance('r9', true), 1), []);
  applyTopologyCommand(topo, maintenance('r3', false), 1);
  assert.deepEqual(topo.shards.m.maintenance, ['r2']);
  const nodes = topo.shards.m.nodes.filter((n) => n.id !== 'r2');
  applyTopologyCommand(topo, { type: 'setShard', name: 'm', nodes }, 1);
  assert.deepEqual(topo.shards.m.maintenance, []);
});

test('a replica in maintenance is never the candidate, though it is the least lagged', () => {
  const h = new Harness(topologyWithMaster());
  applyTopologyCommand(h.topo, maintenance('r2', true), 1);
  h.see(down('r1'), obs('r2', { offset: 2000 }), obs('r3', { offset: 1000 }));
  h.run(20);
  const started = h.commands.find((c) => c.type === 'failoverStarted');
  assert.equal(started?.type === 'failoverStarted' ? started.to : null, 'r3');
  const row =
    started?.type === 'failoverStarted' ? started.report.rows.find((r) => r.id === 'r2') : undefined;
  assert.equal(row?.eligible, false);
  assert.match(row?.reason ?? '', /maintenance/);
});

test('no automatic failover while the master is in maintenance; one starts once it is off', () => {
  const h = new Harness(topologyWithMaster());
  h.refresh = true;
  applyTopologyCommand(h.topo, maintenance('r1', true), 1);
  h.see(down('r1'), obs('r2'), obs('r3'));
  h.run(40);
  assert.deepEqual(h.proposed, []);
  applyTopologyCommand(h.topo, maintenance('r1', false), 1);
  h.run(20);
  assert.equal(h.proposed[0], 'failoverStarted');
});

test('a switchover to a node in maintenance is refused', () => {
  const h = new Harness(topologyWithMaster());
  h.refresh = true;
  applyTopologyCommand(h.topo, maintenance('r2', true), 1);
  h.see(obs('r1'), obs('r2'), obs('r3'));
  h.engine.requestSwitchover(1, 'm', 'r2', h.now, 30_000);
  h.run(20);
  assert.equal(h.switchoverResults[0]?.ok, false);
  assert.match(JSON.stringify(h.switchoverResults[0]), /maintenance/);
  assert.ok(!h.proposed.includes('failoverStarted'));
});
