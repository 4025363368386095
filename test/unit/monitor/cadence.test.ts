// Issue 12: healthy, quiet nodes are probed at a relaxed cadence; anything suspect at the
// configured one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RELAXED_ROLE_MAX_MS, roleIntervalMs } from '../../../src/monitor/cadence.js';

const settings = { pingIntervalMs: 100, downAfterMs: 1000 };
const quiet = { settings, healthy: true, fast: false, newMaster: false };

test('a healthy node in a quiet shard gets half of downAfterMs, capped', () => {
  assert.equal(roleIntervalMs(quiet), 500);
  assert.equal(
    roleIntervalMs({ ...quiet, settings: { pingIntervalMs: 100, downAfterMs: 30_000 } }),
    RELAXED_ROLE_MAX_MS,
  );
  // Never slower than configured: a long ping interval stays as it is.
  assert.equal(roleIntervalMs({ ...quiet, settings: { pingIntervalMs: 2000, downAfterMs: 30_000 } }), 2000);
});

test('a suspect node, a shard in a failover and a new master get the configured interval', () => {
  assert.equal(roleIntervalMs({ ...quiet, healthy: false }), 100);
  assert.equal(roleIntervalMs({ ...quiet, fast: true }), 100);
  assert.equal(roleIntervalMs({ ...quiet, newMaster: true }), 100);
});
