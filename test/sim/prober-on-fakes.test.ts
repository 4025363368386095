// The production Prober on the simulator's fakes alone (virtual clock, fake connections, one fake
// Redis group): scenarios of the prober itself, replayed exactly, with no real Redis.
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

function setup(): { sched: Scheduler; group: RedisGroup; prober: Prober; links: { cut: boolean } } {
  const sched = new Scheduler();
  const group = new RedisGroup('alpha', ['r1', 'r2'], new Prng(1), 500);
  const state = { cut: false };
  const links: FakeLinks = { sched, cut: () => state.cut, delay: () => 2 };
  const prober = new Prober({
    clock: sched.clockFor(() => true),
    logger: silentLogger(),
    connector: (options, events) => {
      const node = group.byHost(options.host) as FakeRedis;
      return new FakeConnection(links, `n1>alpha/${node.id}`, group, node, options, events, (fn) => fn());
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
  prober.setTargets(targets);
  return { sched, group, prober, links: state };
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
  run(settings.downAfterMs + 100);
  const cut = observation(prober, 'r1');
  assert.equal(cut.reachable, false);
  assert.equal(cut.sdown, true);
  links.cut = false;
  // Replaced after the probe timeout (min(downAfter/2, 10 pings) = 500 ms), reconnected since.
  run(300);
  const back = observation(prober, 'r1');
  assert.equal(back.reachable, true);
  assert.equal(back.sdown, false);
});
