// Shard names are chosen by operators and asked for by clients: names that are also members of
// Object.prototype (`constructor`, `__proto__`, `toString`) must behave like any other name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand, emptyTopology } from '../../../src/failover/topology.js';
import { ClusterState } from '../../../src/node/cluster-state.js';
import { spec } from './fixtures.js';

const shardSpec = (name: string) => ({ ...spec(), name });

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

test('an unknown shard named like an Object.prototype member is not found', () => {
  const topo = emptyTopology();
  for (const name of PROTOTYPE_NAMES) {
    assert.equal(topo.shards[name], undefined, name);
    assert.equal(topo.history[name], undefined, name);
    applyTopologyCommand(topo, { type: 'pause', shard: name }, 1);
    applyTopologyCommand(topo, { type: 'ack', shard: name }, 1);
    assert.equal(topo.shards[name], undefined, `${name} after pause and ack`);
  }
});

test('a shard named like an Object.prototype member can be added, and survives a snapshot', () => {
  const topo = emptyTopology();
  for (const name of PROTOTYPE_NAMES) {
    const events = applyTopologyCommand(topo, { type: 'addShard', shard: shardSpec(name) }, 1);
    assert.deepEqual(events, [{ type: 'shard-changed', shard: name }], name);
    assert.equal(topo.shards[name]?.name, name);
  }
  assert.deepEqual(Object.keys(topo.shards).sort(), [...PROTOTYPE_NAMES].sort());

  const state = new ClusterState();
  for (const [index, name] of PROTOTYPE_NAMES.entries())
    state.apply({
      term: 1,
      index: index + 1,
      kind: 'normal',
      data: JSON.stringify({ type: 'topology', command: { type: 'addShard', shard: shardSpec(name) } }),
    });
  const copy = new ClusterState();
  copy.restore(state.snapshot());
  for (const name of PROTOTYPE_NAMES) assert.equal(copy.topology().shards[name]?.name, name, name);
  assert.equal(copy.topology().shards.valueOf, undefined, 'no inherited members after a restore');
});
