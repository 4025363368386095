// The system clock's repeating timers (issue 12): members of one interval share one Node timer,
// so that the Raft tick, the prober's pulse and the failover loop wake an idle process once per
// period instead of once each; the shared timer keeps the process alive only while a member
// that asked to does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../../src/runtime/system-clock.js';

/** Node timers that keep the process alive right now. */
const heldTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('repeating timers of one interval share one Node timer, and run in the order they joined', async () => {
  const before = heldTimers();
  const runs: string[] = [];
  const cancels = ['raft', 'prober', 'driver'].map((name) => systemClock.every(37, () => runs.push(name)));
  assert.equal(heldTimers(), before + 1, 'three members, one timer');
  const other = systemClock.every(41, () => {});
  assert.equal(heldTimers(), before + 2, 'another interval, another timer');
  await sleep(37 * 3 + 30);
  assert.ok(runs.length >= 6, `ran ${runs.length} times`);
  assert.deepEqual(runs.slice(0, 3), ['raft', 'prober', 'driver']);
  for (const cancel of cancels) cancel();
  other();
  assert.equal(heldTimers(), before, 'the last member gone, the timer is cleared');
  const after = runs.length;
  await sleep(37 * 2);
  assert.equal(runs.length, after, 'nothing runs once cancelled');
});

test('a member cancelled during a pulse is not run later in that pulse; cancelling twice is harmless', async () => {
  const runs: string[] = [];
  let cancelSecond: () => void = () => {};
  const cancelFirst = systemClock.every(23, () => {
    runs.push('first');
    cancelSecond();
  });
  cancelSecond = systemClock.every(23, () => runs.push('second'));
  await sleep(23 * 2 + 20);
  cancelFirst();
  cancelFirst();
  cancelSecond();
  assert.ok(runs.length >= 1 && runs.every((r) => r === 'first'), runs.join());
});

test('the shared timer keeps the process alive only while a member that holds it is there', () => {
  const before = heldTimers();
  const background = systemClock.every(29, () => {}, { unref: true });
  assert.equal(heldTimers(), before, 'background members alone do not hold the process');
  const holding = systemClock.every(29, () => {});
  assert.equal(heldTimers(), before + 1);
  holding();
  assert.equal(heldTimers(), before, 'back to background only');
  background();
  assert.equal(heldTimers(), before);
});
