// The lease arithmetic and the tick catch-up (src/runtime/lease.ts). The lease is safe when it
// ends, in true time, before the vote window of any follower that echoed its heartbeat round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catchUpTicks, leaseDurationMs, MAX_CLOCK_DRIFT, voteWindowMs } from '../../../src/runtime/lease.js';

test('the shipped timing: a 450 ms vote window, a lease of 373.8 ms', () => {
  const timing = { tickMs: 50, electionTicks: 10 };
  assert.equal(voteWindowMs(timing), 450);
  assert.equal(leaseDurationMs(timing).toFixed(1), '373.8');
});

test('a leader on the slowest clock ends its lease before a follower on the fastest clock votes', () => {
  for (const tickMs of [1, 10, 50, 200]) {
    for (const electionTicks of [3, 5, 10, 30]) {
      for (const drift of [0, 0.001, 0.01, MAX_CLOCK_DRIFT, 0.1]) {
        const timing = { tickMs, electionTicks };
        const leaseTrueMs = leaseDurationMs(timing, drift) / (1 - drift);
        const windowTrueMs = voteWindowMs(timing) / (1 + drift);
        // One tick of margin on the leader's own clock: at least (1 - drift) x tickMs of true time.
        assert.ok(
          leaseTrueMs <= windowTrueMs - tickMs,
          `tick ${tickMs} x ${electionTicks}, drift ${drift}: lease ${leaseTrueMs} vs window ${windowTrueMs}`,
        );
      }
    }
  }
});

test('the lease shrinks as the drift bound grows', () => {
  const timing = { tickMs: 50, electionTicks: 10 };
  assert.ok(leaseDurationMs(timing, 0.01) > leaseDurationMs(timing, 0.03));
  assert.equal(leaseDurationMs(timing, 0), 400);
});

test('catch-up: a late timer owes the whole periods that passed and carries the rest over', () => {
  // The pattern: every 50 ms timer 24 ms late. Rounding made each call one tick (74 ms
  // read as one period) and restarted from now, so 8 ticks took 592 ms.
  let last = 0;
  let now = 0;
  let ticks = 0;
  for (let i = 0; i < 8; i++) {
    now += 74;
    const owed = catchUpTicks(last, now, 50, 40);
    ticks += owed.ticks;
    last = owed.lastTickAt;
  }
  assert.equal(ticks, Math.floor(592 / 50));
  assert.equal(last, 550, 'the boundary of the last whole period counted');
});

test('catch-up: never a tick before its period has passed', () => {
  assert.deepEqual(catchUpTicks(100, 149.9, 50, 40), { ticks: 0, lastTickAt: 100 });
  assert.deepEqual(catchUpTicks(100, 150, 50, 40), { ticks: 1, lastTickAt: 150 });
  assert.deepEqual(catchUpTicks(100, 199.99, 50, 40), { ticks: 1, lastTickAt: 150 });
  // Over any span, the ticks counted never exceed the periods that passed.
  let last = 0;
  let total = 0;
  for (let now = 0; now < 10_000; now += 7.3) {
    const owed = catchUpTicks(last, now, 50, 40);
    total += owed.ticks;
    last = owed.lastTickAt;
    assert.ok(total <= now / 50, `${total} ticks at ${now} ms`);
    assert.ok(total >= Math.floor(now / 50) - 1, `${total} ticks at ${now} ms: time lost`);
  }
});

test('catch-up after a long stall: capped, the partial period kept', () => {
  const owed = catchUpTicks(0, 10_030, 50, 40);
  assert.equal(owed.ticks, 40);
  assert.equal(owed.lastTickAt, 10_000, 'the next tick is due at 10 050 ms, as without the stall');
});
