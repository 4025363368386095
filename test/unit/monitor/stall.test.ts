import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isUnsure } from '../../../src/monitor/observe.js';
import { StallTracker } from '../../../src/monitor/stall.js';

describe('StallTracker', () => {
  test('a timer that fires on time records nothing', () => {
    const t = new StallTracker(25, 0);
    for (let now = 25; now <= 1000; now += 25) t.tick(now, 10, 5000);
    assert.deepEqual(t.recent(1000), []);
  });

  test('a late timer is recorded with its lateness, and makes the observer unsure', () => {
    const t = new StallTracker(25, 0);
    t.tick(25, 10, 5000);
    t.tick(25 + 25 + 400, 10, 5000); // 400 ms late
    assert.deepEqual(t.recent(450), [{ endedAt: 450, ms: 400 }]);
    assert.equal(isUnsure(t.recent(450), 450, 500), true);
    assert.equal(isUnsure(t.recent(450), 450, 1000), false); // 400 is not over 1000 / 2
  });

  test('a stall still in progress is visible before the late timer fires', () => {
    const t = new StallTracker(25, 0);
    const recent = t.recent(900);
    assert.deepEqual(recent, [{ endedAt: 900, ms: 875 }]);
    assert.equal(isUnsure(recent, 900, 500), true);
  });

  test('old stalls are dropped, and the list stays bounded', () => {
    const t = new StallTracker(10, 0);
    let now = 0;
    for (let i = 0; i < 100; i++) {
      now += 10 + 50;
      t.tick(now, 20, 1_000_000);
    }
    assert.equal(t.recent(now).length, 64);
    t.tick(now + 2_000_000, 20, 1000);
    assert.equal(t.recent(now + 2_000_000).length, 1);
  });
});
