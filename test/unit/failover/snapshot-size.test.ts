// Issue 12: the Raft snapshot (the applied state as JSON) stays small at 1000 shards: what it
// holds per shard is the shard's spec and state, nothing per observation or per probe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand, emptyTopology } from '../../../src/failover/topology.js';
import { spec } from './fixtures.js';

test('1000 shards of three Redis nodes make a snapshot under 1 MiB (about 0.7 KiB a shard)', () => {
  const topo = emptyTopology();
  const shards = Array.from({ length: 1000 }, (_, i) => {
    const s = spec();
    const name = `shard-${String(i).padStart(4, '0')}`;
    return {
      ...s,
      name,
      nodes: s.nodes.map((n) => ({ ...n, id: `${name}-${n.id}`, host: `10.0.${i >> 8}.${i & 255}` })),
    };
  });
  applyTopologyCommand(topo, { type: 'bootstrapShards', shards }, 1);
  for (const s of shards)
    applyTopologyCommand(
      topo,
      { type: 'masterAdopted', shard: s.name, master: s.nodes[0].id, replId: 'h' },
      1,
    );
  assert.equal(Object.keys(topo.shards).length, 1000);
  const bytes = Buffer.byteLength(JSON.stringify(topo));
  assert.ok(bytes < 1024 * 1024, `snapshot of 1000 shards is ${bytes} bytes`);
  // And it grows linearly: 2000 shards would not be more than twice as large.
  assert.ok(bytes / 1000 < 1024, `${bytes / 1000} bytes a shard`);
});
