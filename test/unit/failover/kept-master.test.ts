// A master that restarted empty is kept only when every replica provably copied it (simulator
// seed 1203512): a replica whose latest INFO shows an older history (taken while it was still
// syncing to the shard's current master) may hold the shard's data, and the failover waits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepRestartedMaster, resyncedReplicas } from '../../../src/failover/promotion.js';
import type { CandidateReport, RedisObservation } from '../../../src/failover/types.js';
import { obs, topologyWithMaster } from './fixtures.js';

const report: CandidateReport = { selection: 'least-lag', masterOffset: null, chosen: null, rows: [] };

function views(r2: string, r3: string): Map<string, RedisObservation | null> {
  // r1 restarted empty: a new run on a new history; the shard's history is hist-1.
  return new Map([
    ['r1', obs('r1', { replId: 'hist-new', offset: 7, runId: 'run-b' })],
    ['r2', obs('r2', { replId: r2 })],
    ['r3', obs('r3', { replId: r3 })],
  ]);
}

test('a replica reported on an older history is not taken for one that copied the restarted master', () => {
  const shard = topologyWithMaster().shards.m;
  const stale = views('hist-new', 'hist-0');
  assert.deepEqual(resyncedReplicas(shard, stale, true), ['r2']);
  assert.equal(keepRestartedMaster(shard, stale, report, 0, 0), null, 'r3 may still hold the data');
});

test('the restarted master is kept once every replica shows its new history', () => {
  const shard = topologyWithMaster().shards.m;
  const copied = views('hist-new', 'hist-new');
  assert.deepEqual(resyncedReplicas(shard, copied, true), ['r2', 'r3']);
  assert.deepEqual(keepRestartedMaster(shard, copied, report, 0, 0)?.resynced, ['r2', 'r3']);
  assert.deepEqual(resyncedReplicas(shard, copied, false), [], 'without a restart, nothing is inferred');
});
