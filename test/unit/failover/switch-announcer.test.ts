// +switch-master follows Promoted by a delay (src/failover/switch-announcer.ts), on a hand-driven
// clock: announced once the delay has passed, never before; a newer switch of the shard replaces
// a waiting one; a switch the shard has moved past is dropped; stop() cancels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SwitchAnnouncer, type SwitchMaster } from '../../../src/failover/switch-announcer.js';
import type { RedisNodeSpec } from '../../../src/failover/types.js';
import type { Cancel, Clock } from '../../../src/runtime/ports.js';

class ManualClock implements Clock {
  private t = 0;
  private timers: { at: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }

  every(): Cancel {
    throw new Error('not used');
  }

  after(delayMs: number, fn: () => void): Cancel {
    const timer = { at: this.t + delayMs, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  defer(fn: () => void): void {
    fn();
  }

  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }

  get pending(): number {
    return this.timers.length;
  }
}

const node = (id: string, port: number): RedisNodeSpec => ({
  id,
  host: '127.0.0.1',
  port,
  priority: 100,
  noFailover: false,
});
const r1 = node('r1', 6379);
const r2 = node('r2', 6380);
const r3 = node('r3', 6381);

function harness(delayMs = 1000) {
  const clock = new ManualClock();
  const masters = new Map<string, { epoch: number; master: string }>();
  const announced: SwitchMaster[] = [];
  const announcer = new SwitchAnnouncer({
    clock,
    delayMs,
    current: (shard, epoch, master) =>
      masters.get(shard)?.epoch === epoch && masters.get(shard)?.master === master,
    announce: (s) => announced.push(s),
  });
  const promote = (s: SwitchMaster): void => {
    masters.set(s.shard, { epoch: s.epoch, master: s.to.id });
    announcer.promoted(s);
  };
  return { clock, masters, announced, announcer, promote };
}

test('announced once the delay has passed, not before', () => {
  const h = harness(1000);
  const sw = { shard: 'mymaster', epoch: 1, from: r1, to: r2 };
  h.promote(sw);
  h.clock.advance(999);
  assert.deepEqual(h.announced, []);
  h.clock.advance(1);
  assert.deepEqual(h.announced, [sw]);
  h.clock.advance(10_000);
  assert.equal(h.announced.length, 1, 'once');
});

test('a newer switch of the same shard replaces the waiting one; other shards are independent', () => {
  const h = harness(1000);
  h.promote({ shard: 'a', epoch: 1, from: r1, to: r2 });
  h.promote({ shard: 'b', epoch: 4, from: r1, to: r3 });
  h.clock.advance(500);
  h.promote({ shard: 'a', epoch: 2, from: r2, to: r3 });
  h.clock.advance(500);
  assert.deepEqual(
    h.announced.map((s) => `${s.shard}@${s.epoch}`),
    ['b@4'],
  );
  h.clock.advance(500);
  assert.deepEqual(
    h.announced.map((s) => `${s.shard}@${s.epoch}`),
    ['b@4', 'a@2'],
  );
  assert.equal(h.clock.pending, 0);
});

test('a switch the shard has moved past (another master, or the shard removed) is dropped', () => {
  const h = harness(1000);
  h.promote({ shard: 'a', epoch: 1, from: r1, to: r2 });
  h.promote({ shard: 'b', epoch: 1, from: r1, to: r2 });
  h.masters.set('a', { epoch: 2, master: 'r3' }); // applied without passing through promoted()
  h.masters.delete('b');
  h.clock.advance(1000);
  assert.deepEqual(h.announced, []);
});

test('stop() cancels what is waiting', () => {
  const h = harness(1000);
  h.promote({ shard: 'a', epoch: 1, from: r1, to: r2 });
  h.announcer.stop();
  assert.equal(h.clock.pending, 0);
  h.clock.advance(5000);
  assert.deepEqual(h.announced, []);
});
