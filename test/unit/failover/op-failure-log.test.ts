// Which failed Redis operations the driver logs (op-failure-log.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_LOG_INTERVAL_MS, OpFailureLog } from '../../../src/failover/op-failure-log.js';

test('the same failure is logged at once, then at most once per interval with the count held back', () => {
  const log = new OpFailureLog();
  const lines: { at: number; heldBack: number }[] = [];
  // A retry every 300 ms for a minute.
  for (let at = 0; at < 60_000; at += 300) {
    const v = log.failed('m/r2/replicaof', 'connection refused', at);
    if (v.log) lines.push({ at, heldBack: v.heldBack });
  }
  assert.equal(lines[0].at, 0);
  assert.equal(lines[0].heldBack, 0);
  assert.equal(lines.length, Math.ceil(60_000 / FAILURE_LOG_INTERVAL_MS));
  for (let i = 1; i < lines.length; i++) {
    assert.ok(lines[i].at - lines[i - 1].at >= FAILURE_LOG_INTERVAL_MS);
    assert.equal(lines[i].heldBack, (lines[i].at - lines[i - 1].at) / 300 - 1);
  }
  assert.equal(log.succeeded('m/r2/replicaof'), 200, 'the recovery says how many failed before it');
  assert.equal(log.succeeded('m/r2/replicaof'), 0, 'once');
  assert.deepEqual(log.failed('m/r2/replicaof', 'connection refused', 60_000), { log: true, heldBack: 0 });
});

test('another error, or another node or operation, is logged at once', () => {
  const log = new OpFailureLog();
  assert.equal(log.failed('m/r2/replicaof', 'connection refused', 0).log, true);
  assert.equal(log.failed('m/r2/replicaof', 'connection refused', 100).log, false);
  assert.deepEqual(log.failed('m/r2/replicaof', 'LOADING Redis is loading', 200), { log: true, heldBack: 1 });
  assert.equal(log.failed('m/r3/replicaof', 'connection refused', 300).log, true);
  assert.equal(log.failed('m/r2/inspect', 'connection refused', 300).log, true);
});
