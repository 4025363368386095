// Regression for the lease that outlived the followers' vote window (the simulator's Lease
// checker found it): a leader whose 50 ms tick timer fired 24 ms late every time counted its
// 8-tick lease in ~590 ms, while followers on time grant votes 10 of their ticks after the last
// heartbeat. Here the leader is as late as the timer weather allows and on the slowest clock
// (rate 1 - 3%), the followers on time and on the fastest clock; the leader is cut off, and
// must stop reporting a lease before the followers can elect anyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, NodeId } from '../../src/raft/types.js';
import { leaseDurationMs, MAX_CLOCK_DRIFT } from '../../src/runtime/lease.js';
import { RaftRuntime } from '../../src/runtime/raft-runtime.js';
import { silentLogger } from '../../src/util/log.js';
import { Scheduler } from './scheduler.js';
import { SimStorage } from './sim-storage.js';

const TIMING = { tickMs: 50, electionTicks: 10, heartbeatTicks: 1, snapshotEntries: 1000 };

test('a leader with late timers and a slow clock loses its lease before its followers can vote', (t) => {
  const sched = new Scheduler();
  const handlers = new Map<NodeId, (m: Message) => void>();
  let cut: NodeId | null = null;
  const runtimes = new Map<NodeId, RaftRuntime>();
  for (const id of ['n1', 'n2', 'n3']) {
    const leaderToBe = id === 'n1';
    const runtime = new RaftRuntime({
      id,
      timing: TIMING,
      storage: new SimStorage(),
      transport: {
        send: (m) => {
          if (m.from === cut || m.to === cut) return;
          sched.at(sched.now + 2, () => {
            if (m.from !== cut && m.to !== cut) handlers.get(m.to)?.(m);
          });
        },
        onMessage: (h) => handlers.set(id, h),
        setMembers: () => {},
        close: async () => {},
      },
      clock: sched.clockFor(
        () => true,
        leaderToBe ? 1 - MAX_CLOCK_DRIFT : 1 + MAX_CLOCK_DRIFT,
        false,
        () => 0,
        () => (leaderToBe ? 24 : 0),
      ),
      stateMachine: { apply: () => undefined, snapshot: () => '', restore: () => {} },
      // n1 has the shortest election timeout: it is elected first; n2 next, once n1 is gone.
      random: () => ({ n1: 0, n2: 0.8, n3: 0.99 })[id] ?? 0,
      logger: silentLogger(),
      bootstrap: { voters: ['n1', 'n2', 'n3'] },
    });
    runtimes.set(id, runtime);
    runtime.start();
  }
  const n1 = runtimes.get('n1') as RaftRuntime;
  sched.runUntil(3000, () => {});
  assert.equal(n1.status().role, 'leader');
  assert.ok(n1.leaseValid(), 'the leader holds its lease while its followers answer');

  const isolatedAt = sched.now;
  cut = 'n1';
  let leaseUntil = isolatedAt;
  let electedAt: number | null = null;
  sched.runUntil(isolatedAt + 3000, () => {
    if (n1.leaseValid()) leaseUntil = sched.now;
    const newLeader = ['n2', 'n3'].some((id) => runtimes.get(id)?.status().role === 'leader');
    if (newLeader && electedAt === null) electedAt = sched.now;
    assert.ok(
      !(newLeader && n1.leaseValid()),
      `n1 reports a lease at ${sched.now} while term 3 has a leader`,
    );
  });
  assert.ok(electedAt !== null, 'the followers elected a new leader');
  t.diagnostic(
    `lease held ${(leaseUntil - isolatedAt).toFixed(0)} ms after the cut; term 3 elected after ${(electedAt - isolatedAt).toFixed(0)} ms`,
  );
  assert.ok(leaseUntil < electedAt, `lease until ${leaseUntil}, new leader at ${electedAt}`);
  // The lease ran from the last round a quorum echoed, sent before the cut: at most
  // leaseDurationMs of n1's slow clock after it, in true time.
  const bound = leaseDurationMs(TIMING) / (1 - MAX_CLOCK_DRIFT);
  assert.ok(leaseUntil - isolatedAt <= bound, `lease held ${leaseUntil - isolatedAt} ms after the cut`);
  // The sidecar's fence clock: n1 dates its majority contact no later than the cut.
  assert.ok(n1.msSinceMajorityContact() >= (sched.now - isolatedAt) * (1 - MAX_CLOCK_DRIFT));
});
