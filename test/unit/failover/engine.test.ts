// The failover engine, stepped by hand (harness.ts): detection, candidate choice, promotion,
// repointing, reconciliation, bootstrap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { down, failoverEnded, failoverStarted, obs, promoted, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

test('a master down for a quorum is failed over to the least-lagged replica, step by step', () => {
  const h = new Harness(topologyWithMaster());
  h.see(down('r1'), obs('r2', { offset: 900 }), obs('r3', { offset: 990 }));
  h.run();
  assert.deepEqual(h.proposed, ['failoverStarted', 'promoted', 'failoverEnded']);
  const s = h.topo.shards.m;
  assert.equal(s.master, 'r3');
  assert.equal(s.epoch, 1);
  assert.equal(s.replId, 'hist-2');
  assert.equal(s.failover, null);
  // REPLICAOF NO ONE went to r3 only, before any repointing; r2 was repointed to r3.
  assert.equal(
    h.sent.filter((x) => x.op.kind === 'promote').every((x) => x.node === 'r3'),
    true,
  );
  const firstRepoint = h.sent.findIndex((x) => x.op.kind === 'replicaof');
  const lastPromote = h.sent.map((x) => x.op.kind).lastIndexOf('promote');
  assert.ok(firstRepoint > lastPromote);
  assert.ok(h.sent.some((x) => x.node === 'r2' && x.op.kind === 'replicaof' && x.op.host === 'h-r3'));
  const entry = h.topo.history.m[0];
  assert.equal(entry.result, 'ended');
  assert.equal(entry.report.chosen, 'r3');
  assert.deepEqual(entry.repointed, ['r2']);
});

test('a failover committed in an older term is resumed first by the new leader', () => {
  const h = new Harness(topologyWithMaster());
  h.see(down('r1'), obs('r2'), obs('r3', { offset: 1001 }));
  applyTopologyCommand(h.topo, failoverStarted('r3'), 1);
  h.run(1);
  assert.deepEqual(h.proposed, ['failoverResumed']);
  assert.equal(h.sent.length, 0, 'no Redis command before FailoverResumed is committed');
  h.run();
  assert.deepEqual(h.proposed, ['failoverResumed', 'promoted', 'failoverEnded']);
});

test('pause and cooldown hold automatic failovers; ack lifts the cooldown', () => {
  const h = new Harness(topologyWithMaster());
  applyTopologyCommand(h.topo, { type: 'pause', shard: 'm' }, 2);
  h.see(down('r1'), obs('r2'), obs('r3'));
  h.run(5);
  assert.deepEqual(h.proposed, []);
  applyTopologyCommand(h.topo, { type: 'resume', shard: 'm' }, 2);
  h.run();
  assert.equal(h.topo.shards.m.master, 'r2');
  // r2 dies too: cooldown blocks a second automatic failover until ack.
  h.see(down('r2'), obs('r3', { masterHost: 'h-r2', replId: 'hist-2' }));
  h.run(10);
  assert.equal(h.topo.shards.m.master, 'r2');
  applyTopologyCommand(h.topo, { type: 'ack', shard: 'm' }, 2);
  h.run();
  assert.equal(h.topo.shards.m.master, 'r3');
});

test('a node answering as master that is not the committed master is demoted at once', () => {
  const h = new Harness(topologyWithMaster());
  h.see(obs('r1'), obs('r2', { role: 'master', masterHost: null, masterPort: null }), obs('r3'));
  h.run(1);
  assert.deepEqual(
    h.sent.map((x) => [x.node, x.op.kind]),
    [['r2', 'replicaof']],
  );
  assert.equal((h.sent[0].op as { killClients: boolean }).killClients, true);
});

test('no eligible replica: no failover, and the report says why', () => {
  const h = new Harness(topologyWithMaster({ maxLagBytes: 10 }));
  h.see(obs('r1', { ...down('r1'), offset: 1000 }), obs('r2', { offset: 500 }), obs('r3', { offset: 400 }));
  h.table.record('n1', [{ ...down('r1'), offset: 1000 }], h.now);
  h.run(5);
  assert.deepEqual(h.proposed, []);
  const report = h.engine.candidates(
    { now: h.now, wallNow: 0, term: 2, leading: true, voters: 3, topology: h.topo, observations: h.table },
    'm',
  );
  assert.equal(report?.chosen, null);
  assert.ok(report?.rows.every((r) => /maxLagBytes/.test(r.reason)));
});

test('bootstrap adopts a running topology, applies initialMaster to a blank group, refuses two masters', () => {
  const adopt = new Harness(topologyWithMaster());
  delete (adopt.topo.shards as Record<string, unknown>).m;
  applyTopologyCommand(
    adopt.topo,
    { type: 'bootstrapShards', shards: [{ ...topologyWithMaster().shards.m, initialMaster: null }] },
    1,
  );
  adopt.see(obs('r1'), obs('r2'), obs('r3'));
  adopt.run(2);
  assert.equal(adopt.topo.shards.m.master, 'r1');

  const blank = new Harness(topologyWithMaster());
  applyTopologyCommand(blank.topo, { type: 'removeShard', name: 'm' }, 1);
  applyTopologyCommand(
    blank.topo,
    { type: 'addShard', shard: { ...topologyWithMaster().shards.m, initialMaster: 'r2' } },
    1,
  );
  const asMaster = (id: string) =>
    obs(id, { role: 'master', masterHost: null, masterPort: null, linkUp: null });
  blank.see(asMaster('r1'), asMaster('r2'), asMaster('r3'));
  blank.run(3);
  assert.equal(blank.topo.shards.m.master, 'r2');
  assert.ok(
    blank.sent.some((x) => x.node === 'r1' && x.op.kind === 'replicaof'),
    'the others are made replicas',
  );

  const two = new Harness(topologyWithMaster());
  applyTopologyCommand(two.topo, { type: 'removeShard', name: 'm' }, 1);
  applyTopologyCommand(
    two.topo,
    { type: 'addShard', shard: { ...topologyWithMaster().shards.m, initialMaster: 'r1' } },
    1,
  );
  two.see(asMaster('r1'), asMaster('r2'), obs('r3', { masterHost: 'h-r2' }));
  two.run(2);
  assert.equal(two.topo.shards.m.master, null);
  assert.match(two.topo.shards.m.problem ?? '', /ambiguous/);
});

test('reports from before the master changed do not make the new master objectively down', () => {
  const h = new Harness(topologyWithMaster());
  h.see(obs('r1'), obs('r2'), obs('r3'));
  h.run(1);
  // Both observers last saw r2 as a replica: once r2 is the committed master, that reads as down.
  h.table.record('n1', [{ ...obs('r2'), sdown: true }], h.now);
  h.table.record('n2', [{ ...obs('r2'), sdown: true }], h.now);
  applyTopologyCommand(h.topo, failoverStarted('r2', { kind: 'switchover', at: 0, detectedAt: 0 }), 2);
  applyTopologyCommand(h.topo, promoted({ at: 0 }), 2);
  applyTopologyCommand(h.topo, failoverEnded({ at: 0 }), 2);
  h.proposed.length = 0;
  h.run(3);
  assert.deepEqual(
    h.proposed.filter((p) => p === 'failoverStarted'),
    [],
  );
});

test('a master that restarted empty is failed over at once, even after an older report of its previous run', () => {
  const h = new Harness(topologyWithMaster());
  h.see(
    obs('r1', { offset: 5000, runId: 'run-a' }),
    obs('r2', { offset: 5000 }),
    obs('r3', { offset: 5000 }),
  );
  h.run(2);
  // The leader's own probe lost r1; the freshest reachable report left is n2's older one of the
  // same run (a digest sent before the writes), with a lower offset.
  h.table.record('n1', [down('r1')], h.now);
  h.table.record('n2', [obs('r1', { offset: 0, runId: 'run-a' })], h.now);
  h.run(2);
  assert.deepEqual(h.proposed, []);
  // r1 is back as a new run whose offset (writes to the empty node) passed that old report's.
  h.see(obs('r1', { offset: 800, runId: 'run-b', replId: 'hist-x' }));
  h.run(1);
  assert.deepEqual(h.proposed, ['failoverStarted']);
});

test("maxLagBytes holds against the master's last seen offset when its latest reports carry none", () => {
  const h = new Harness(topologyWithMaster({ maxLagBytes: 1000 }));
  h.see(obs('r1', { offset: 5000 }), obs('r2', { offset: 3000 }), obs('r3', { offset: 2000 }));
  h.run(2);
  // Down, and the probes reconnected (a hung master, or one behind a proxy): no ROLE, no offset.
  h.see({ ...down('r1'), role: 'unknown', offset: null });
  h.run(5);
  assert.deepEqual(h.proposed, []);
  const report = h.engine.candidates(
    {
      now: h.now,
      wallNow: 1_000_000 + h.now,
      term: h.term,
      leading: true,
      voters: 3,
      topology: h.topo,
      observations: h.table,
    },
    'm',
  );
  assert.equal(report?.masterOffset, 5000);
  assert.equal(report?.chosen, null);
  assert.ok(
    report?.rows.every((r) => /maxLagBytes/.test(r.reason)),
    JSON.stringify(report?.rows),
  );
});

test("a switchover waits for a target on the master's own history, whatever the offsets say", () => {
  const h = new Harness(topologyWithMaster());
  // r1 restarted empty unnoticed (a leadership change lost the evidence) and took 40 writes; r2
  // and r3 still hold the old history at a higher offset: their replication cron has not run.
  h.see(
    obs('r1', { offset: 40, runId: 'run-b', replId: 'hist-x' }),
    obs('r2', { offset: 5000 }),
    obs('r3', { offset: 4000 }),
  );
  h.engine.requestSwitchover(1, 'm', 'r2', h.now, 30_000);
  h.run(300);
  assert.deepEqual(h.proposed, [], 'no switchover decided');
  const [result] = h.switchoverResults;
  assert.equal(result?.error?.code, 'catch_up_timeout');
  assert.match(result?.error?.message ?? '', /replication id hist-1 is not the master's hist-x/);
  assert.ok(h.ops().includes('r1 unpause'), 'the write pause is lifted');
});

test('switchovers back to back: each repoints the other replica at once, not after a retry gap', () => {
  const h = new Harness(topologyWithMaster());
  h.roundMs = 10; // as fast as the driver goes: a drill then takes less than OP_RETRY_MS
  h.see(
    obs('r1', { role: 'master', offset: 1000 }),
    obs('r2', { offset: 1000 }),
    obs('r3', { offset: 1000 }),
  );
  for (const [id, to] of [
    [1, 'r2'],
    [2, 'r1'],
    [3, 'r2'],
  ] as const) {
    // The next drill starts the moment the last one is done, as `raftinel promote` in a loop.
    const done = h.switchoverResults.length + 1;
    h.engine.requestSwitchover(id, 'm', to, h.now, 30_000);
    for (let round = 0; round < 40 && h.switchoverResults.length < done; round++) h.run(1);
    assert.equal(h.switchoverResults.at(-1)?.ok, true, `switchover ${id} to ${to}`);
    const promote = h.sent.findLast((x) => x.node === to && x.op.kind === 'promote');
    const repoint = h.sent.findLast((x) => x.node === 'r3' && x.op.kind === 'replicaof');
    assert.ok(promote && repoint, `switchover ${id}: promoted ${to} and repointed r3`);
    assert.equal(repoint.op.kind === 'replicaof' && repoint.op.host, `h-${to}`);
    // A repoint is the next step of the failover: it waits for Promoted's commit only.
    const gap = (h.sentAt.get(repoint) ?? 0) - (h.sentAt.get(promote) ?? 0);
    assert.ok(gap <= 100, `switchover ${id}: r3 repointed ${gap} ms after the promotion`);
  }
});

/** A leader right after bootstrap of shard m (downAfterMs 1000), no master adopted yet. */
function bootstrapping(): Harness {
  const h = new Harness(topologyWithMaster({ downAfterMs: 1000 }));
  delete (h.topo.shards as Record<string, unknown>).m;
  const shard = { ...topologyWithMaster({ downAfterMs: 1000 }).shards.m, initialMaster: null };
  applyTopologyCommand(h.topo, { type: 'bootstrapShards', shards: [shard] }, 1);
  h.roundMs = 100;
  return h;
}

test('bootstrap with a replica nobody sees: the master a quorum reports is adopted after 2 x downAfterMs, not before', () => {
  const h = bootstrapping();
  h.refresh = true;
  h.see(obs('r1'), obs('r2')); // r3 is down: no report of it from anyone
  h.run(15); // 1.5 s
  assert.equal(h.topo.shards.m.master, null, 'within the grace, the leader waits for every node');
  h.run(10); // 2.5 s
  assert.equal(h.topo.shards.m.master, 'r1', 'the master both observers report is adopted');

  // Only one observer reports the master (under the quorum of 2): still waiting.
  const lone = bootstrapping();
  lone.table.record('n1', [obs('r1'), obs('r2')], 0);
  for (let i = 0; i < 40; i++) {
    lone.table.record('n1', [obs('r1'), obs('r2')], lone.now);
    lone.run(1);
  }
  assert.equal(lone.topo.shards.m.master, null, 'one observer is not a quorum');
});
