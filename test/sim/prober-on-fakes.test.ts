// The production Prober on the simulator's fakes alone (virtual clock, fake connections, one fake
// Redis group): scenarios of the prober itself, replayed exactly, with no real Redis.
import { roleIntervalMs } from '../../src/monitor/cadence.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisObservation, ShardSettings } from '../../src/failover/types.js';
import { Prober, type ProbeTarget } from '../../src/monitor/prober.js';
import { silentLogger } from '../../src/util/log.js';
import { FakeConnection, type FakeLinks } from './fake-connection.js';
import { Prng } from './prng.js';
import { RedisGroup, type FakeRedis } from './redis-sim.js';
import { Scheduler } from './scheduler.js';

const settings: ShardSettings = {
  downAfterMs: 1000,
  pingIntervalMs: 100,
  infoIntervalMs: 2000,
  quorum: 'majority',
  selection: 'least-lag',
  maxLagBytes: null,
  maxLinkDownMs: null,
  parallelSyncs: 1,
  failoverCooldownMs: 0,
  failoverTimeoutMs: 5000,
  holistic: false,
  minReplicasToWrite: null,
  minReplicasMaxLagMs: 10_000,
};

interface Rig {
  sched: Scheduler;
  group: RedisGroup;
  prober: Prober;
  links: { cut: boolean };
  /** Connections opened so far. */
  opened: () => number;
}

/**
 * `delayMs`: one-way delay of each packet (drawn per packet); `pausedUntil`: the observer runs
 * nothing (timers, replies) before then, and on resuming its late timers fire before the
 * replies that waited are read, as Node's loop runs them after a SIGSTOP.
 */
function setup(
  delayMs: () => number = () => 2,
  pausedUntil: () => number = () => 0,
  firstTargetsAt = 0,
): Rig {
  const sched = new Scheduler();
  const group = new RedisGroup('alpha', ['r1', 'r2'], new Prng(1), 500);
  const state = { cut: false };
  const links: FakeLinks = { sched, cut: () => state.cut, delay: delayMs };
  let opened = 0;
  const inbox = (fn: () => void): void => {
    const held = (): void => {
      if (sched.now < pausedUntil()) sched.at(pausedUntil(), held);
      else fn();
    };
    held();
  };
  const prober = new Prober({
    clock: sched.clockFor(() => true, 1, false, pausedUntil),
    logger: silentLogger(),
    connector: (options, events) => {
      opened++;
      const node = group.byHost(options.host) as FakeRedis;
      return new FakeConnection(links, `n1>alpha/${node.id}`, group, node, options, events, inbox);
    },
  });
  const targets: ProbeTarget[] = [...group.nodes.values()].map((n) => ({
    shard: 'alpha',
    node: { id: n.id, host: n.host, port: n.port, priority: 100, noFailover: false },
    settings,
    auth: null,
    tls: null,
    isMaster: n.role === 'master',
  }));
  if (firstTargetsAt > 0) sched.runUntil(firstTargetsAt, () => {});
  prober.setTargets(targets);
  return { sched, group, prober, links: state, opened: () => opened };
}

function observation(prober: Prober, node: string): RedisObservation {
  return prober.observations().find((o) => o.node === node) as RedisObservation;
}

test('a replica that answered -LOADING is read with INFO as soon as it answers ROLE', () => {
  const { sched, group, prober } = setup();
  const run = (ms: number): void => sched.runUntil(sched.now + ms, () => {});
  run(500);
  const r2 = group.node('r2');
  assert.equal(observation(prober, 'r2').replId, r2.replId);
  r2.crash(sched.now);
  run(300);
  r2.restart(sched.now, false);
  r2.loadingUntil = sched.now + 300;
  run(200);
  const loading = observation(prober, 'r2');
  assert.equal(loading.reachable, true, '-LOADING proves the node alive');
  assert.equal(loading.replId, null, 'a new connection knows no history before its INFO');
  // Loading ends; the next ROLE (100 ms) answers and an INFO follows at once, long before the
  // next scheduled INFO (2000 ms).
  run(100 + 100 + 20);
  const loaded = observation(prober, 'r2');
  assert.equal(loaded.role, 'slave');
  assert.equal(loaded.replId, r2.replId);
  assert.equal(loaded.runId, r2.runId);
});

test('a cut link leaves the connection half-open until the probe timeout replaces it', () => {
  const { sched, prober, links } = setup();
  const run = (ms: number): void => sched.runUntil(sched.now + ms, () => {});
  run(500);
  assert.equal(observation(prober, 'r1').reachable, true);
  links.cut = true;
  // Silence counts from the first probe left unanswered, sent up to one relaxed interval later.
  const relaxed = roleIntervalMs({ settings, healthy: true, fast: false, newMaster: false });
  run(settings.downAfterMs + relaxed + 100);
  const cut = observation(prober, 'r1');
  assert.equal(cut.reachable, false);
  assert.equal(cut.sdown, true);
  // Replaced once a probe waited for the probe timeout (downAfterMs); the new connection fails
  // while the cut lasts and is retried.
  run(settings.downAfterMs - relaxed);
  links.cut = false;
  run(300);
  const back = observation(prober, 'r1');
  assert.equal(back.reachable, true);
  assert.equal(back.sdown, false);
});

/** Runs `ms` of virtual time; returns the longest stretch r1 was SDOWN in it (0: never). */
function watchSdown(rig: Rig, node: string, ms: number): number {
  let since: number | null = null;
  let longest = 0;
  rig.sched.runUntil(rig.sched.now + ms, () => {
    const o = observation(rig.prober, node);
    if (o.sdown) since ??= rig.sched.now;
    else since = null;
    if (since !== null) longest = Math.max(longest, rig.sched.now - since + 1);
  });
  return longest;
}

test('a slow link (round trips 400-600 ms) keeps its connection and never makes the node SDOWN', () => {
  // Regression (issue 11 item 8): the probe timeout was min(downAfterMs / 2, 10 pings) = 500 ms;
  // a reply later than that was thrown away with its connection, and the new one needed two
  // more round trips (CLIENT SETNAME, then ROLE) before the node answered: SDOWN.
  const prng = new Prng(7);
  const rig = setup(() => 200 + prng.int(0, 100));
  rig.sched.runUntil(rig.sched.now + 5000, () => {});
  const before = rig.opened();
  assert.equal(watchSdown(rig, 'r1', 20_000), 0, 'never SDOWN');
  assert.equal(rig.opened(), before, 'no connection replaced');
  // A real failure still is: SIGKILL of r1.
  const killedAt = rig.sched.now;
  rig.group.node('r1').crash(killedAt);
  let seenAt: number | null = null;
  rig.sched.runUntil(rig.sched.now + 3 * settings.downAfterMs, () => {
    if (seenAt === null && observation(rig.prober, 'r1').sdown) seenAt = rig.sched.now;
  });
  assert.ok(seenAt !== null, 'the crashed node is SDOWN');
  // Silence counts from the last reply, and one already on the wire lands up to a one-way delay
  // (300 ms here) after the crash; then the next pulse (a ping interval) judges it.
  const boundMs = settings.downAfterMs + 300 + settings.pingIntervalMs;
  assert.ok(seenAt - killedAt <= boundMs, `SDOWN ${seenAt - killedAt} ms after the crash`);
});

test('observer stalls under downAfterMs / 2 on a slow link: replies read after the stall count, no SDOWN', () => {
  // Regression (issue 11 item 8): after a stall the late timer ran before the replies waiting in
  // the socket were read; it counted the stall as the node's silence and gave up on the probe.
  const prng = new Prng(11);
  let pausedUntil = 0;
  const rig = setup(
    () => 200 + prng.int(0, 100),
    () => pausedUntil,
  );
  rig.sched.runUntil(rig.sched.now + 5000, () => {});
  const before = rig.opened();
  let longest = 0;
  for (let i = 0; i < 40; i++) {
    pausedUntil = rig.sched.now + settings.downAfterMs / 2 - 10;
    longest = Math.max(longest, watchSdown(rig, 'r1', 500 + prng.int(0, 700)));
  }
  assert.equal(longest, 0, 'never SDOWN');
  assert.equal(rig.opened(), before, 'no connection replaced');
  // Still detected: r1 stopped for good while the stalls go on.
  const stoppedAt = rig.sched.now;
  rig.group.node('r1').crash(stoppedAt);
  let seenAt: number | null = null;
  let paused = 0;
  for (let i = 0; i < 10 && seenAt === null; i++) {
    const stall = settings.downAfterMs / 2 - 10;
    pausedUntil = rig.sched.now + stall;
    rig.sched.runUntil(rig.sched.now + stall + 500 + prng.int(0, 700), () => {
      if (seenAt === null && observation(rig.prober, 'r1').sdown) seenAt = rig.sched.now;
    });
    paused += stall;
  }
  assert.ok(seenAt !== null, 'the crashed node is SDOWN');
  // Its silence is counted in running time only: the time stalled adds to the detection time,
  // and nothing else does. Silence counts from the last reply, which a healthy node on the
  // relaxed cadence (cadence.ts) gave up to one relaxed interval before the crash.
  const took = seenAt - stoppedAt;
  const relaxed = roleIntervalMs({ settings, healthy: true, fast: false, newMaster: false });
  assert.ok(took > settings.downAfterMs - relaxed, `SDOWN ${took} ms after the crash`);
  assert.ok(
    took <= settings.downAfterMs + paused + 100,
    `SDOWN ${took} ms after the crash, ${paused} ms stalled`,
  );
});

test('a prober whose first targets come late sees no stall of its own in the wait', () => {
  // A node's first start: the prober exists from the start, its targets come with the bootstrap
  // entry. A pulse started only then measured the wait as a stall of this process, and every
  // node stayed unsure (TILT) for about as long again (found when the driver stopped handing
  // the prober an empty target list).
  const rig = setup(undefined, undefined, 3000);
  let unsureSeen = false;
  rig.sched.runUntil(rig.sched.now + 1500, () => {
    if (rig.prober.observations().some((o) => o.unsure)) unsureSeen = true;
  });
  assert.equal(unsureSeen, false);
  assert.ok(rig.prober.observations().every((o) => o.reachable && !o.sdown));
});
