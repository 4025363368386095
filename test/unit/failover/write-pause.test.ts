// The switchover's renewed write pause (src/failover/write-pause.ts): the chain holds only while
// every renewal is acknowledged before the pause before it may have run out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WritePause, writePauseTiming } from '../../../src/failover/write-pause.js';

const timing = writePauseTiming(30_000);

test('the pause is short, renewed four times per pause, and dated with a margin', () => {
  assert.deepEqual(timing, { pauseMs: 1000, renewEveryMs: 250, marginMs: 100, demoteLeftMs: 500 });
  assert.equal(writePauseTiming(600).pauseMs, 600, 'never longer than the failover timeout');
});

test('renewals acknowledged in time keep the pause held without a gap', () => {
  const p = new WritePause(timing);
  p.sent(1, 0);
  assert.equal(p.holds(5), false, 'not held before the first acknowledgement');
  assert.equal(p.renewDue(5), false);
  p.answered(true, undefined, 5);
  assert.equal(p.startedAt, 0);
  assert.equal(p.heldUntil, 900, 'sent at 0, 1000 ms, less the 100 ms margin');
  assert.equal(p.renewDue(249), false);
  assert.equal(p.renewDue(250), true);
  p.sent(2, 250);
  p.answered(true, undefined, 260);
  p.check(260);
  assert.equal(p.heldUntil, 1150);
  assert.ok(p.holds(600, 500), 'half a pause left at 600 ms');
  assert.ok(!p.holds(700, 500));
  assert.equal(p.broken, null);
});

test('a renewal acknowledged after the previous pause may have run out breaks the chain for good', () => {
  const p = new WritePause(timing);
  p.sent(1, 0);
  p.answered(true, undefined, 5);
  p.sent(2, 250);
  // The answer took 700 ms (a stalled master): the first pause may have ended at 900 ms, and
  // the master may have taken writes before the renewal ran.
  p.answered(true, undefined, 950);
  assert.match(p.broken ?? '', /acknowledged 50 ms after the pause before it may have run out/);
  assert.equal(p.holds(950), false);
  assert.equal(p.renewDue(1000), false, 'a broken chain is not renewed');
  p.sent(3, 1000);
  p.answered(true, undefined, 1001);
  assert.equal(p.holds(1001), false, 'a later pause does not mend the gap');
});

test('time passing the end of the pause without a renewal breaks the chain', () => {
  const p = new WritePause(timing);
  p.sent(1, 0);
  p.answered(true, undefined, 5);
  p.sent(2, 250); // no answer yet
  p.check(900);
  assert.equal(p.broken, null);
  p.check(901);
  assert.match(p.broken ?? '', /ran out 1 ms before a renewal was acknowledged/);
});

test('a failed pause breaks the chain; the first one answered too late never holds', () => {
  const failed = new WritePause(timing);
  failed.sent(1, 0);
  failed.answered(true, undefined, 5);
  failed.sent(2, 250);
  failed.answered(false, 'NOPERM', 260);
  assert.match(failed.broken ?? '', /CLIENT PAUSE failed: NOPERM/);
  const late = new WritePause(timing);
  late.sent(1, 0);
  late.answered(true, undefined, 950);
  assert.equal(late.startedAt, null);
  assert.ok(late.broken !== null && !late.holds(950));
});

test('once the old master is demoted the chain is neither renewed nor broken by time', () => {
  const p = new WritePause(timing);
  p.sent(1, 0);
  p.answered(true, undefined, 5);
  p.done = true;
  assert.equal(p.renewDue(500), false);
  p.check(5000);
  assert.equal(p.broken, null);
});
