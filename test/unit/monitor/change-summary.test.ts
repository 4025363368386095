// Observation changes are debug lines; at info a summary at most once per interval (issue 12).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeSummary } from '../../../src/monitor/change-summary.js';
import { down, obs } from '../failover/fixtures.js';

test('the first change is summarised at once, then at most one line per interval', () => {
  const s = new ChangeSummary(10_000);
  const first = s.noted(down('r1'), 1000);
  assert.deepEqual(first, { changes: 1, sdown: 1, unreachable: 1, overMs: 0, examples: ['m/r1'] });
  // 2000 changes within the interval: no line each, one line when the interval has passed.
  for (let i = 0; i < 2000; i++) assert.equal(s.noted(obs(`r${i}`), 2000 + i), null);
  assert.equal(s.due(10_999), null);
  const line = s.due(11_000);
  assert.ok(line);
  assert.equal(line.changes, 2000);
  assert.equal(line.sdown, 0);
  assert.equal(line.examples.length, 5);
  assert.equal(s.due(30_000), null, 'nothing new: no line');
});
