// Issue 13, item 8: histograms for the failover steps (from each finished failover's timeline)
// and for every probe's round trip, in the Prometheus text format.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from '../../../src/discovery/histogram.js';
import { Metrics, PROBE_BUCKETS } from '../../../src/discovery/metrics.js';
import type { HistoryEntry } from '../../../src/failover/types.js';
import { obs, topologyWithMaster } from '../failover/fixtures.js';
import { leaderRuntime, statesOf } from './support/node-state-surfaces.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('a histogram counts each observation in every bucket at or above it, with sum and count', () => {
  const h = new Histogram([0.1, 1]);
  h.observe(0.05, 'a="x"');
  h.observe(0.5, 'a="x"');
  h.observe(3, 'a="x"');
  h.observe(0.01);
  const text = h.samples('m').join('\n');
  assert.equal(sample(text, 'm_bucket{a="x",le="0.1"}'), 1);
  assert.equal(sample(text, 'm_bucket{a="x",le="1"}'), 2);
  assert.equal(sample(text, 'm_bucket{a="x",le="+Inf"}'), 3);
  assert.equal(sample(text, 'm_sum{a="x"}'), 3.55);
  assert.equal(sample(text, 'm_count{a="x"}'), 3);
  assert.equal(sample(text, 'm_bucket{le="0.1"}'), 1);
  assert.equal(sample(text, 'm_count'), 1);
});

test('/metrics: each finished failover adds its steps, from one timeline mark to the next; probes their round trips', () => {
  const topo = topologyWithMaster();
  const probeLatency = new Histogram(PROBE_BUCKETS);
  const metrics = new Metrics({
    runtime: leaderRuntime,
    topology: () => topo,
    states: statesOf(topo, (shard, node) => obs(node, { shard })),
    probeLatency,
  });
  try {
    const entry: HistoryEntry = {
      shard: 'm',
      epoch: 1,
      kind: 'failover',
      from: 'r1',
      to: 'r2',
      result: 'ended',
      reason: null,
      at: 0,
      timeline: { detected: 0, committed: 40, promoted: 90, published: 90, repointed: 420, ended: 420 },
      report: { selection: 'least-lag', masterOffset: null, chosen: 'r2', rows: [] },
      repointed: ['r3'],
    };
    metrics.topologyApplied([{ type: 'failover-ended', shard: 'm', epoch: 1, entry }]);
    metrics.topologyApplied([
      { type: 'failover-ended', shard: 'm', epoch: 2, entry: { ...entry, epoch: 2 } },
    ]);
    probeLatency.observe(0.0003);
    probeLatency.observe(0.02);
    const text = metrics.render();
    const step = (name: string): string => `shard="m",kind="failover",step="${name}"`;
    assert.equal(sample(text, `raftinel_failover_step_seconds_sum{${step('decide')}}`), 0.08);
    assert.equal(sample(text, `raftinel_failover_step_seconds_sum{${step('promote')}}`), 0.1);
    assert.equal(sample(text, `raftinel_failover_step_seconds_sum{${step('repoint')}}`), 0.66);
    assert.equal(sample(text, `raftinel_failover_step_seconds_count{${step('repoint')}}`), 2);
    assert.equal(sample(text, `raftinel_failover_step_seconds_bucket{${step('promote')},le="0.05"}`), 2);
    assert.equal(sample(text, `raftinel_failover_step_seconds_count{${step('publish')}}`), undefined);
    assert.equal(sample(text, `raftinel_failover_duration_seconds_count{shard="m",kind="failover"}`), 2);
    assert.equal(sample(text, 'raftinel_probe_duration_seconds_bucket{le="0.0005"}'), 1);
    assert.equal(sample(text, 'raftinel_probe_duration_seconds_bucket{le="0.025"}'), 2);
    assert.equal(sample(text, 'raftinel_probe_duration_seconds_count'), 2);
    assert.match(text, /# TYPE raftinel_probe_duration_seconds histogram/);
  } finally {
    metrics.close();
  }
});
