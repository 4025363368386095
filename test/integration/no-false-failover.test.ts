// No false failovers (issue 11, item 8), with real redis-server and raftinel processes: downAfterMs
// 1000, every raftinel-to-Redis link behind a fault proxy that makes each round trip 200 ± 100 ms
// longer (the replies are late, as netem on the Redis host's egress would make them) and stalls a
// link now and then for STALL_MS (nothing moves either way), while one raftinel node (the Raft
// leader at the start) has its event loop stopped (SIGSTOP/SIGCONT) for less than downAfterMs / 2
// every second or so. Asserted: no failover in QUIET_S seconds (epoch 0, empty history); then, in
// the same setup, a real failure (SIGKILL of the master) is still detected and failed over.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';
import type { LogEvent } from '../helpers/raftinel-process.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { sleep } from '../helpers/wait.js';

const DOWN_AFTER_MS = 1000;
const LATENCY_MS = 200;
const JITTER_MS = 100;
/** Link stalls, each [lo, hi] ms long, one every 1-3 s on one of the three Redis links. */
const STALL_MS: readonly [number, number] = [100, 200];
/** Event-loop stalls of one raftinel node: [lo, hi] ms, all under downAfterMs / 2. */
const EVENT_LOOP_STALL_MS: readonly [number, number] = [200, DOWN_AFTER_MS / 2 - 50];
const QUIET_S = Number(process.env.NO_FALSE_FAILOVER_S ?? 45);

after(async () => {
  await stopAllRedis();
});

const between = ([lo, hi]: readonly [number, number]): number =>
  lo + Math.floor(Math.random() * (hi - lo + 1));

function count(events: readonly LogEvent[], name: string): number {
  return events.filter((e) => e.event === name).length;
}

test(
  `no failover in ${QUIET_S} s of latency ${LATENCY_MS} ± ${JITTER_MS} ms, link stalls and event-loop stalls under downAfterMs / 2; a SIGKILLed master is still failed over`,
  {
    timeout: (QUIET_S + 120) * 1000,
    // Was a known bug (2026-12-07): the fault proxy's stall timer could fire up to 1 ms before
    // performance.now() reached the stall's end, and the link then stayed held until the next
    // stall or a reconnect: a real outage of r1 for every observer, rightly failed over
    // (test/unit/helpers/fault-proxy.test.ts). Before that, a slow link's late reply was thrown away with its connection at
    // the probe timeout (then downAfterMs / 2) and the new connection needed two more round trips;
    // a late prober tick after a stall judged before reading the replies waiting in its socket;
    // over these links every promotion was given up as unreachable. Guarded below the integration
    // level by test/sim/prober-on-fakes.test.ts and test/unit/failover/liveness.test.ts.
  },
  async (t) => {
    // NO_FALSE_FAILOVER_LOGS=<dir>: every node's log at debug level and the fault timeline, kept there.
    const logDir = process.env.NO_FALSE_FAILOVER_LOGS;
    const rig = await FailoverRig.create({
      proxied: true,
      defaults: { downAfterMs: DOWN_AFTER_MS },
      ...(logDir ? { logLevel: 'debug' } : {}),
    });
    t.after(() => rig.destroy());
    const timeline: string[] = [];
    const note = (what: string): void => void timeline.push(`${new Date().toISOString()} ${what}`);
    t.after(() => {
      if (!logDir) return;
      mkdirSync(logDir, { recursive: true });
      for (const n of rig.nodes)
        writeFileSync(
          join(logDir, `${n.id}.log`),
          n
            .events()
            .map((e) => JSON.stringify(e))
            .join('\n'),
        );
      writeFileSync(join(logDir, 'faults.log'), timeline.join('\n'));
    });
    await rig.start();
    const observers = rig.nodes.map((n) => rig.sourceOf(n));
    const redis = rig.shard().nodes;
    for (const r of redis) r.proxy?.delay(LATENCY_MS, observers, JITTER_MS, 'down');
    const stalled = await rig.leader();

    let running = true;
    let linkStalls = 0;
    let loopStalls = 0;
    let longestLoopStall = 0;
    const linkLoop = (async () => {
      while (running) {
        await sleep(1000 + Math.floor(Math.random() * 2000));
        if (!running) break;
        const victim = redis[Math.floor(Math.random() * redis.length)];
        const ms = between(STALL_MS);
        note(`link stall ${victim.id} ${ms} ms`);
        victim.proxy?.stall(ms, observers);
        linkStalls++;
      }
    })();
    const loopLoop = (async () => {
      while (running) {
        await sleep(500 + Math.floor(Math.random() * 1000));
        if (!running) break;
        const ms = between(EVENT_LOOP_STALL_MS);
        stalled.signal('SIGSTOP');
        note(`SIGSTOP ${stalled.id} ${ms} ms`);
        await sleep(ms);
        stalled.signal('SIGCONT');
        note(`SIGCONT ${stalled.id}`);
        loopStalls++;
        longestLoopStall = Math.max(longestLoopStall, ms);
      }
    })();
    const stopFaults = async (): Promise<void> => {
      running = false;
      await Promise.all([linkLoop, loopLoop]);
      stalled.signal('SIGCONT');
    };
    t.after(stopFaults);

    const quietStart = performance.now();
    let epochMoved: string | null = null;
    while (performance.now() - quietStart < QUIET_S * 1000) {
      await sleep(500);
      const v = await rig.view().catch(() => null);
      if (v !== null && v.epoch !== 0) {
        epochMoved = `epoch ${v.epoch}, master ${v.master?.id} after ${Math.round(performance.now() - quietStart)} ms`;
        break;
      }
    }
    const events = rig.nodes.flatMap((n) => n.events());
    t.diagnostic(
      `quiet phase: ${loopStalls} event-loop stalls of ${stalled.id} (longest ${longestLoopStall} ms), ${linkStalls} link stalls; +odown ${count(events, '+odown')}, +try-failover ${count(events, '+try-failover')}, +tilt ${count(events, '+tilt')}`,
    );
    const history = await rig.history();
    assert.equal(
      epochMoved,
      null,
      `a false failover: ${epochMoved}; history ${JSON.stringify(history.map((e) => ({ epoch: e.epoch, from: e.from, to: e.to, reason: e.reason })))}\n${await rig.dump()}`,
    );
    assert.equal(history.length, 0, 'no history entry');

    // The same faults go on; the master dies for real.
    const r1 = rig.redis('r1');
    const killedAt = performance.now();
    note('SIGKILL r1');
    await r1.kill();
    const v = await rig.waitView(
      'mymaster',
      (x) =>
        x.epoch >= 1 &&
        x.master !== null &&
        x.master.id !== 'r1' &&
        (x.state === 'ok' || x.state === 'cooldown'),
      'failover after SIGKILL of r1 under latency and stalls',
      30_000,
      100,
    );
    t.diagnostic(
      `SIGKILL of r1: failed over to ${v.master?.id} (epoch ${v.epoch}) ${Math.round(performance.now() - killedAt)} ms later`,
    );
    await stopFaults();
    const entries = await rig.history();
    assert.equal(entries.length, 1, 'exactly one failover');
    assert.equal(entries[0].from, 'r1');
  },
);
