// Lag in seconds read off the master's offset history (src/discovery/lag-clock.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LagClock } from '../../../src/discovery/lag-clock.js';

test('lag seconds: the time since the master first went past the replica offset', () => {
  const c = new LagClock();
  c.sample('s', 'r1', 100, 0);
  c.sample('s', 'r1', 200, 1000);
  c.sample('s', 'r1', 300, 2000);
  // At 2500 ms, a replica at 150 has missed what the master wrote from ~1000 ms on.
  assert.equal(c.lagSeconds('s', 'r1', 150, 300, 2500), 1.5);
  assert.equal(c.lagSeconds('s', 'r1', 200, 300, 2500), 0.5);
  assert.equal(c.lagSeconds('s', 'r1', 300, 300, 2500), 0, 'caught up');
  assert.equal(
    c.lagSeconds('s', 'r1', 99, 300, 2500),
    2.5,
    'behind every sample: the oldest one, a lower bound',
  );
});

test('lag seconds: unknown for another master or shard, and a new master starts over', () => {
  const c = new LagClock();
  c.sample('s', 'r1', 100, 0);
  assert.equal(c.lagSeconds('s', 'r2', 50, 100, 10), null);
  assert.equal(c.lagSeconds('t', 'r1', 50, 100, 10), null);
  c.sample('s', 'r2', 500, 1000);
  assert.equal(c.lagSeconds('s', 'r1', 50, 100, 1500), null, 'the old master history is gone');
  assert.equal(c.lagSeconds('s', 'r2', 400, 500, 1500), 0.5);
  c.retain(new Set());
  assert.equal(c.lagSeconds('s', 'r2', 400, 500, 1500), null, 'a removed shard is forgotten');
});

test('lag seconds: an offset that did not move adds no sample, so its first time is kept', () => {
  const c = new LagClock();
  c.sample('s', 'r1', 100, 0);
  c.sample('s', 'r1', 100, 5000);
  assert.equal(c.lagSeconds('s', 'r1', 50, 100, 6000), 6);
});
