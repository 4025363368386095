// +switch-master follows Promoted's committed time by a delay (src/failover/switch-announcer.ts),
// on a hand-driven clock: announced once the delay has passed, never before; nodes that apply
// Promoted at different moments announce together; one that applies it after that moment
// announces at once; a clock behind the leader's never makes the wait longer than the delay; a
// newer switch of the shard replaces a waiting one; a switch the shard moved past is dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SentinelPublisher } from '../../../src/discovery/sentinel-publisher.js';
import { SwitchAnnouncer, type SwitchMaster } from '../../../src/failover/switch-announcer.js';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { silentLogger } from '../../../src/util/log.js';
import { failoverEnded, failoverStarted, promoted, topologyWithMaster } from './fixtures.js';
import type { RedisNodeSpec } from '../../../src/failover/types.js';
import type { Cancel, Clock } from '../../../src/runtime/ports.js';

/** Monotonic time from 0; its wall clock reads WALL ahead of it (plus a skew, when set). */
const WALL = 1_700_000_000_000;

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

  /** Moves time to `t` (monotonic ms), running the timers due on the way. */
  advanceTo(t: number): void {
    for (;;) {
      const next = this.timers.filter((x) => x.at <= t).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = t;
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

function harness(clock = new ManualClock(), skewMs = 0, delayMs = 1000) {
  const masters = new Map<string, { epoch: number; master: string }>();
  const announced: { s: SwitchMaster; t: number }[] = [];
  const announcer = new SwitchAnnouncer({
    clock,
    wallNow: () => WALL + clock.now() + skewMs,
    delayMs,
    current: (shard, master) => masters.get(shard)?.master === master,
    announce: (s) => announced.push({ s, t: clock.now() }),
  });
  /** Applies Promoted (committed at monotonic time `at`) now. */
  const promote = (
    shard: string,
    epoch: number,
    from: RedisNodeSpec,
    to: RedisNodeSpec,
    at: number,
  ): void => {
    masters.set(shard, { epoch, master: to.id });
    announcer.promoted({ shard, epoch, from, to, at: WALL + at });
  };
  const names = (): string[] => announced.map((a) => `${a.s.shard}@${a.s.epoch}`);
  return { clock, masters, announced, announcer, promote, names };
}

test('announced the delay after the committed time, not before, and once', () => {
  const h = harness();
  h.clock.advanceTo(30); // applied 30 ms after the leader proposed it
  h.promote('mymaster', 1, r1, r2, 0);
  h.clock.advanceTo(999);
  assert.equal(h.announced.length, 0);
  h.clock.advanceTo(1000);
  assert.deepEqual(
    h.announced.map((a) => ({ ...a.s, t: a.t })),
    [{ shard: 'mymaster', epoch: 1, from: r1, to: r2, at: WALL, t: 1000 }],
  );
  h.clock.advanceTo(20_000);
  assert.equal(h.announced.length, 1);
});

test('nodes that apply Promoted at different moments announce together', () => {
  const clock = new ManualClock();
  const leader = harness(clock);
  const follower = harness(clock);
  clock.advanceTo(5);
  leader.promote('mymaster', 1, r1, r2, 0);
  clock.advanceTo(60);
  follower.promote('mymaster', 1, r1, r2, 0);
  clock.advanceTo(2000);
  assert.deepEqual([leader.announced[0]?.t, follower.announced[0]?.t], [1000, 1000]);
});

test('applied after the announcement time (a replay at start, a lagging follower): announced at once', () => {
  const h = harness();
  h.clock.advanceTo(5000);
  h.promote('mymaster', 1, r1, r2, 0);
  assert.deepEqual(
    h.announced.map((a) => a.t),
    [5000],
  );
});

test('a clock behind the leader never makes the wait longer than the delay', () => {
  const h = harness(new ManualClock(), -60_000);
  h.promote('mymaster', 1, r1, r2, 0);
  h.clock.advanceTo(1000);
  assert.deepEqual(
    h.announced.map((a) => a.t),
    [1000],
  );
});

test('a newer switch of the same shard replaces the waiting one; other shards are independent', () => {
  const h = harness();
  h.promote('a', 1, r1, r2, 0);
  h.promote('b', 4, r1, r3, 0);
  h.clock.advanceTo(500);
  h.promote('a', 2, r2, r3, 500);
  h.clock.advanceTo(1000);
  assert.deepEqual(h.names(), ['b@4']);
  h.clock.advanceTo(1500);
  assert.deepEqual(h.names(), ['b@4', 'a@2']);
  assert.equal(h.clock.pending, 0);
});

test('a switch the shard has moved past (another master, or the shard removed) is dropped', () => {
  const h = harness();
  h.promote('a', 1, r1, r2, 0);
  h.promote('b', 1, r1, r2, 0);
  h.masters.set('a', { epoch: 2, master: 'r3' }); // applied without passing through promoted()
  h.masters.delete('b');
  h.clock.advanceTo(1000);
  assert.deepEqual(h.announced, []);
});

test('a later attempt that moves the epoch but not the master (aborted, or the master kept) leaves the switch announced', () => {
  const h = harness();
  h.promote('a', 5, r1, r2, 0);
  h.masters.set('a', { epoch: 6, master: 'r2' }); // FailoverStarted 6, then FailoverAborted 6
  h.clock.advanceTo(1000);
  assert.deepEqual(h.names(), ['a@5']);
});

test('stop() cancels what is waiting', () => {
  const h = harness();
  h.promote('a', 1, r1, r2, 0);
  h.announcer.stop();
  assert.equal(h.clock.pending, 0);
  h.clock.advanceTo(5000);
  assert.deepEqual(h.announced, []);
});

test('the publisher on the real state machine: a switch followed by an attempt that aborts is still announced', () => {
  const clock = new ManualClock();
  const topo = topologyWithMaster();
  const published: string[] = [];
  const publisher = new SentinelPublisher({
    logger: silentLogger(),
    publish: (name, _shard, message) => published.push(`${name} ${message}`),
    topology: () => topo,
    clock,
    wallNow: () => 1_000_100 + clock.now(),
  });
  const apply = (cmd: Parameters<typeof applyTopologyCommand>[1]): void => {
    for (const e of applyTopologyCommand(topo, cmd, 2)) publisher.applied(e);
  };
  apply(failoverStarted('r2'));
  apply(promoted());
  apply(failoverEnded());
  clock.advanceTo(500);
  // An operator's switchover to r3 within the second, aborted: r2 stays the master.
  apply(
    failoverStarted('r3', { epoch: 2, kind: 'switchover', from: 'r2', at: 1_000_600, detectedAt: 1_000_600 }),
  );
  apply({ type: 'failoverAborted', shard: 'm', epoch: 2, reason: 'test', at: 1_000_700 });
  assert.equal(topo.shards.m.master, 'r2');
  clock.advanceTo(1000);
  assert.deepEqual(
    published.filter((p) => p.startsWith('+switch-master')),
    ['+switch-master m h-r1 6379 h-r2 6379'],
  );
  publisher.stop();
});
