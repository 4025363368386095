import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectOdown } from '../../../src/failover/detect.js';
import { ObservationTable } from '../../../src/failover/observations.js';
import { down, obs, topologyWithMaster } from './fixtures.js';

test('ODOWN needs a quorum of fresh observers; the leader alone is never enough', () => {
  const shard = topologyWithMaster().shards.m;
  const table = new ObservationTable();
  table.record('n1', [down('r1')], 0);
  assert.equal(detectOdown(shard, table, 10, 3).odown, false);
  table.record('n2', [down('r1')], 5);
  assert.equal(detectOdown(shard, table, 10, 3).odown, true);
  // Reports older than 2 x downAfterMs no longer count.
  assert.equal(detectOdown(shard, table, 2001, 3).odown, false);
});

test('an unsure observer (TILT) does not count', () => {
  const shard = topologyWithMaster().shards.m;
  const table = new ObservationTable();
  table.record('n1', [down('r1')], 0);
  table.record('n2', [{ ...down('r1'), unsure: true }], 0);
  assert.equal(detectOdown(shard, table, 1, 3).odown, false);
});

test('holistic mode waits for the replicas to lose their link', () => {
  const shard = topologyWithMaster({ holistic: true }).shards.m;
  const table = new ObservationTable();
  table.record('n1', [down('r1'), obs('r2'), obs('r3')], 0);
  table.record('n2', [down('r1')], 0);
  const v = detectOdown(shard, table, 1, 3);
  assert.equal(v.odown, false);
  assert.match(v.reason, /holistic/);
  table.record('n1', [obs('r2', { linkUp: false }), obs('r3', { linkUp: false })], 1);
  assert.equal(detectOdown(shard, table, 2, 3).odown, true);
});

test('a numeric quorum is honoured', () => {
  const shard = topologyWithMaster({ quorum: 3 }).shards.m;
  const table = new ObservationTable();
  table.record('n1', [down('r1')], 0);
  table.record('n2', [down('r1')], 0);
  assert.equal(detectOdown(shard, table, 1, 3).odown, false);
  table.record('n3', [down('r1')], 0);
  assert.equal(detectOdown(shard, table, 1, 3).odown, true);
});
