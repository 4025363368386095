// Issue 12: the fleet-sized views (/metrics' per-node series, SENTINEL MASTERS, /v1/shards) are
// computed once per change of topology or observations, not once per request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeCache, ViewChanges } from '../../../src/discovery/change-cache.js';
import { Metrics } from '../../../src/discovery/metrics.js';
import { obs, topologyWithMaster } from '../failover/fixtures.js';
import { leaderRuntime, statesOf } from './support/node-state-surfaces.js';

test('a cached view is computed again only after a change or when older than its max age', () => {
  const changes = new ViewChanges();
  let now = 0;
  let computed = 0;
  const cache = new ChangeCache(
    changes,
    () => ++computed,
    () => now,
    1000,
  );
  for (let i = 0; i < 50; i++) assert.equal(cache.get(), 1);
  changes.changed();
  assert.equal(cache.get(), 2);
  assert.equal(cache.get(), 2);
  now = 999;
  assert.equal(cache.get(), 2);
  now = 1000;
  assert.equal(cache.get(), 3);
  assert.equal(cache.computations, 3);
});

test('/metrics asks for each Redis node once per change, however often it is scraped', () => {
  const topo = topologyWithMaster();
  const nodes = Object.values(topo.shards).flatMap((s) =>
    s.nodes.map((n) => ({ shard: s.name, node: n.id })),
  );
  assert.ok(nodes.length >= 3);
  let asked = 0;
  const changes = new ViewChanges();
  const metrics = new Metrics({
    runtime: leaderRuntime,
    topology: () => topo,
    states: statesOf(topo, (shard, node) => {
      asked++;
      return obs(node, { shard });
    }),
    changes,
    now: () => 0,
  });
  try {
    const first = metrics.render();
    assert.match(first, /raftinel_redis_up\{shard="[^"]+",node="r1"\} 1/);
    const perRender = asked;
    assert.ok(perRender >= nodes.length && perRender <= nodes.length + 1);
    const redisSeries = (text: string): string[] =>
      text.split('\n').filter((l) => l.startsWith('raftinel_redis_'));
    for (let i = 0; i < 20; i++) assert.deepEqual(redisSeries(metrics.render()), redisSeries(first));
    assert.equal(asked, perRender, 'no node asked again without a change');
    changes.changed();
    metrics.render();
    assert.equal(asked, 2 * perRender);
    assert.equal(metrics.nodeSeriesComputations, 2);
  } finally {
    metrics.close();
  }
});
