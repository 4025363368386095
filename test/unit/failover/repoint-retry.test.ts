// REPLICAOF retries and their events (repoint-retry.ts): a node the leader cannot command is
// retried with a doubling wait up to a few seconds, a node whose situation changes is tried at
// once, and +convert-to-slave / +slave-reconf-sent are told when the node accepted, once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  REPOINT_CONFIRM_MS,
  REPOINT_RETRY_BASE_MS,
  REPOINT_RETRY_MAX_MS,
  RepointRetries,
  type NodeLook,
} from '../../../src/failover/repoint-retry.js';
import { down, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

const look: NodeLook = { reachable: true, role: 'master', masterHost: null, masterPort: null, runId: 'a' };

test('RepointRetries: the wait doubles per failure up to the cap; an acceptance resets it', () => {
  const r = new RepointRetries();
  const waits: number[] = [];
  let now = 0;
  for (let i = 0; i < 8; i++) {
    assert.equal(r.due('m/r2', 'h:1', look, now), true);
    r.sent('m/r2', 'h:1', look);
    const o = r.outcome('m/r2', false, now);
    assert.ok(o && !o.ok);
    waits.push(o.retryInMs);
    assert.equal(r.due('m/r2', 'h:1', look, now + o.retryInMs - 1), false);
    now += o.retryInMs;
  }
  assert.deepEqual(waits, [300, 600, 1200, 2400, 4800, 5000, 5000, 5000]);
  assert.equal(waits[0], REPOINT_RETRY_BASE_MS);
  assert.equal(Math.max(...waits), REPOINT_RETRY_MAX_MS);
  r.sent('m/r2', 'h:1', look);
  assert.deepEqual(r.outcome('m/r2', true, now), { ok: true, announce: true });
  // Accepted: sent again only if the probes do not show it following within the confirm time.
  assert.equal(r.due('m/r2', 'h:1', look, now + REPOINT_CONFIRM_MS - 1), false);
  assert.equal(r.due('m/r2', 'h:1', look, now + REPOINT_CONFIRM_MS), true);
  r.sent('m/r2', 'h:1', look);
  assert.deepEqual(r.outcome('m/r2', true, now), { ok: true, announce: false }, 'told once');
  r.sent('m/r2', 'h:1', look);
  const o = r.outcome('m/r2', false, now);
  assert.equal(o?.ok === false && o.retryInMs, REPOINT_RETRY_BASE_MS, 'the count starts again');
});

test('RepointRetries: another target, or a node that looks different, is tried at once', () => {
  const r = new RepointRetries();
  for (let i = 0; i < 6; i++) {
    r.sent('m/r2', 'h:1', look);
    r.outcome('m/r2', false, 0);
  }
  assert.equal(r.due('m/r2', 'h:1', look, 1000), false);
  assert.equal(r.due('m/r2', 'h:2', look, 1000), true, 'a new master');
  for (const change of [{ runId: 'b' }, { reachable: false }, { role: 'slave' }, { masterHost: 'x' }]) {
    assert.equal(r.due('m/r2', 'h:1', { ...look, ...change }, 1000), true, JSON.stringify(change));
  }
  // Sent with the new look, a failure waits the first delay again, not the sixth.
  r.sent('m/r2', 'h:1', { ...look, runId: 'b' });
  const o = r.outcome('m/r2', false, 1000);
  assert.equal(o?.ok === false && o.retryInMs, REPOINT_RETRY_BASE_MS);
  r.settled('m/r2');
  assert.equal(r.outcome('m/r2', true, 0), null, 'forgotten once it follows');
});

/** r2 answers as a master while r1 is the committed master, and refuses to be demoted. */
function strayMaster(): Harness {
  const h = new Harness(topologyWithMaster());
  h.see(obs('r1'), obs('r2', { role: 'master', masterHost: null, masterPort: null }), obs('r3'));
  h.refuse.set('r2', 'no answer within 2000 ms');
  return h;
}

/** Runs `ms` of harness time while the observers keep reporting every node as it is. */
function runSeeing(h: Harness, ms: number): void {
  for (let i = 0; i < ms / 25; i++) {
    if (i % 20 === 0) h.see(...h.truth.values());
    h.run(1);
  }
}

function replicaofs(h: Harness, node: string): number[] {
  return h.sent
    .filter((x) => x.node === node && x.op.kind === 'replicaof')
    .map((x) => h.sentAt.get(x) as number);
}

test('a stray master the leader cannot demote is retried with a growing wait, and no event is told', () => {
  const h = strayMaster();
  h.run(1);
  assert.equal(replicaofs(h, 'r2').length, 1, 'the first attempt goes out at once');
  runSeeing(h, 20_000);
  const at = replicaofs(h, 'r2');
  const gaps = at.slice(1).map((t, i) => t - at[i]);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i] >= gaps[i - 1], `gaps ${gaps.join(', ')}`);
  assert.ok((gaps.at(-1) ?? 0) >= 4000, `gaps ${gaps.join(', ')}`);
  assert.ok(at.length <= 12, `${at.length} attempts in 20 s (a fixed 300 ms retry would make 60)`);
  assert.deepEqual(
    h.events.filter((e) => e.name === '+convert-to-slave'),
    [],
    'not told before the node accepted',
  );
  // It accepts now (whatever stopped it is gone, its look unchanged): within the longest wait.
  h.refuse.clear();
  const from = h.now;
  runSeeing(h, REPOINT_RETRY_MAX_MS + 50);
  const told = h.events.filter((e) => e.name === '+convert-to-slave');
  assert.equal(told.length, 1);
  assert.deepEqual(told[0].detail, { node: 'r2', host: 'h-r2', port: 6379 });
  assert.ok(told[0].at - from <= REPOINT_RETRY_MAX_MS + 50);
  assert.equal(h.truth.get('r2')?.role, 'slave');
});

test('a stray master that changes (restarted, or reached again by this leader) is tried at once', () => {
  const h = strayMaster();
  runSeeing(h, 10_000); // waiting the longest delay by now
  const before = replicaofs(h, 'r2').length;
  h.refuse.clear();
  h.see(obs('r2', { role: 'master', masterHost: null, masterPort: null, runId: 'run-r2-b' }));
  h.run(1);
  assert.equal(replicaofs(h, 'r2').length, before + 1);
  h.run(1); // its answer is taken at the next update
  assert.equal(h.events.filter((e) => e.name === '+convert-to-slave').length, 1);
});

test('an accepted demotion is told once, even if the probes show it a moment later', () => {
  const h = new Harness(topologyWithMaster());
  const stray = obs('r2', { role: 'master', masterHost: null, masterPort: null });
  h.see(obs('r1'), stray, obs('r3'));
  // The node accepts, but the observers keep reporting it a master for a while.
  h.run(1);
  h.table.record('n1', [stray], h.now);
  h.table.record('n2', [stray], h.now);
  h.run(20); // 500 ms, within the confirm time: not sent again
  assert.equal(replicaofs(h, 'r2').length, 1);
  h.table.record('n1', [stray], h.now);
  h.table.record('n2', [stray], h.now);
  h.run(40); // past it: sent again, not told again
  assert.equal(replicaofs(h, 'r2').length, 2);
  assert.equal(h.events.filter((e) => e.name === '+convert-to-slave').length, 1);
});

test('after a failover, a replica that refuses REPLICAOF does not hold back the others, nor its event', () => {
  const h = new Harness(topologyWithMaster({ parallelSyncs: 1, failoverTimeoutMs: 600_000 }));
  h.see(down('r1'), obs('r2', { offset: 900 }), obs('r3', { offset: 990 }));
  h.refuse.set('r1', 'connection refused');
  h.refuse.set('r2', 'connection refused');
  h.run(10);
  assert.equal(h.topo.shards.m.master, 'r3');
  // r1 is back, a replica of no one in particular (the leader cannot command it either).
  h.see(obs('r1', { role: 'slave', masterHost: 'h-r9', masterPort: 6379 }));
  runSeeing(h, 5000);
  assert.deepEqual(h.proposed, ['failoverStarted', 'promoted'], 'not ended while r1 and r2 do not follow');
  h.refuse.delete('r2');
  runSeeing(h, REPOINT_RETRY_MAX_MS + 250);
  const sent = h.events.filter((e) => e.name === '+slave-reconf-sent').map((e) => e.detail.node);
  assert.deepEqual(sent, ['r2'], 'told for the node that accepted, once');
  assert.ok(h.events.some((e) => e.name === '+slave-reconf-done' && e.detail.node === 'r2'));
  assert.ok(replicaofs(h, 'r1').length <= 10, `r1 tried ${replicaofs(h, 'r1').length} times in about 10 s`);
  h.refuse.clear();
  runSeeing(h, REPOINT_RETRY_MAX_MS + 250);
  assert.equal(h.proposed.at(-1), 'failoverEnded');
  assert.deepEqual(h.topo.history.m.at(-1)?.repointed, ['r2', 'r1']);
});
