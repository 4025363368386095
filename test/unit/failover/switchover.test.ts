// A switchover request against a shard that another failover moves while the request waits
// (simulator seeds 770270, 904803, 908782): the request must not resume with the state it
// computed against the old master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import type { CandidateReport } from '../../../src/failover/types.js';
import { down, failoverStarted, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

const report: CandidateReport = { selection: 'least-lag', masterOffset: null, chosen: 'r2', rows: [] };

/** An automatic failover r1 -> r2, proposed before the request, committed only now. */
function commitAutomaticFailover(h: Harness): void {
  const at = 1_000_000 + h.now;
  applyTopologyCommand(h.topo, failoverStarted('r2', { report, at, detectedAt: at }), h.term);
}

test('a switchover that paused the master before another failover committed fails as stale once that one ends', () => {
  const h = new Harness(topologyWithMaster());
  h.roundMs = 10;
  h.see(obs('r1', { offset: 1000 }), obs('r2', { offset: 1000 }), obs('r3', { offset: 900 }));
  h.engine.requestSwitchover(7, 'm', null, h.now, 30_000);
  h.run(1);
  assert.deepEqual(h.ops(), ['r1 pause'], 'the request paused the master');
  // The pause is answered on this round; the catch-up starts.
  h.run(1);
  assert.deepEqual(h.proposed, []);
  commitAutomaticFailover(h);
  h.run(60);
  assert.equal(h.topo.shards.m.master, 'r2', 'the automatic failover ended with r2 the master');
  assert.equal(h.topo.history.m.at(-1)?.kind, 'failover');
  const [result] = h.switchoverResults;
  assert.equal(result?.ok, false, 'the switchover is not reported as done');
  assert.equal(result?.error?.code, 'busy');
  assert.match(result?.error?.message ?? '', /a failover of m \(epoch 1, master now r2\) ran/);
  assert.deepEqual(
    h.commands.filter((c) => c.type === 'failoverStarted'),
    [],
    'no switchover committed with the old master as its origin',
  );
  assert.ok(!h.ops().includes('r2 replicaof h-r2'), 'no REPLICAOF of r2 to itself');
  assert.equal(h.ops().filter((x) => x === 'r1 unpause').length, 1, 'the node it paused is released');
});

test("another failover that takes the epoch a switchover proposed is not reported as the switchover's", () => {
  const h = new Harness(topologyWithMaster());
  h.roundMs = 10;
  h.see(obs('r1', { offset: 1000 }), obs('r2', { offset: 1000 }), obs('r3', { offset: 1000 }));
  h.engine.requestSwitchover(8, 'm', 'r3', h.now, 30_000);
  // The switchover proposes its FailoverStarted (epoch 1); the automatic failover r1 -> r2,
  // proposed earlier, commits epoch 1 first, and the switchover's proposal is refused.
  h.commitProposals = false;
  for (let round = 0; round < 40 && !h.proposed.includes('failoverStarted'); round++) h.run(1);
  assert.deepEqual(
    h.commands.map((c) => (c.type === 'failoverStarted' ? `${c.kind} ${c.from} -> ${c.to}` : c.type)),
    ['switchover r1 -> r3'],
  );
  h.commitProposals = true;
  commitAutomaticFailover(h);
  h.run(60);
  assert.equal(h.topo.shards.m.master, 'r2');
  const [result] = h.switchoverResults;
  assert.equal(result?.ok, false, 'r2 promoted by an automatic failover is not the switchover to r3');
  assert.equal(result?.error?.code, 'busy');
});

/** A switchover r1 -> r2 committed by the previous leader (term 2), resumed by this one (term 3). */
function commitSwitchoverOfPreviousLeader(h: Harness): void {
  const at = 1_000_000 + h.now;
  applyTopologyCommand(h.topo, failoverStarted('r2', { kind: 'switchover', report, at, detectedAt: at }), 2);
  h.term = 3;
}

test('past twice the timeout, a down old master never seen demoted aborts the switchover (seed 7015736)', () => {
  const h = new Harness(topologyWithMaster({ failoverTimeoutMs: 3000 }));
  h.roundMs = 100;
  commitSwitchoverOfPreviousLeader(h);
  // The promotion of r2 landed late; r1, never demoted, took writes once its pause ran out (r3
  // copied them), then stalled: the observers see it down, this leader cannot reach it.
  h.see(
    obs('r2', {
      role: 'master',
      masterHost: null,
      masterPort: null,
      linkUp: null,
      replId: 'hist-2',
      replId2: 'hist-1',
    }),
    down('r1'),
    obs('r3', { offset: 1300 }),
  );
  h.unreachable.add('r1');
  h.refresh = true;
  h.run(80); // 8 s, past twice the 3 s timeout
  const ours = h.commands.filter((c) => 'epoch' in c && c.epoch === 1).map((c) => c.type);
  assert.ok(!ours.includes('promoted'), `r2 lacks r1's last writes, yet: ${ours.join(', ')}`);
  const aborted = h.commands.find((c) => c.type === 'failoverAborted' && c.epoch === 1);
  assert.match(
    aborted?.type === 'failoverAborted' ? aborted.reason : '',
    /r1 is down and was never seen demoted: it may have taken writes after its pause ran out/,
  );
  // The old master being down, the next failover takes the replica that has its writes.
  const next = h.commands.find((c) => c.type === 'failoverStarted' && c.epoch === 2);
  assert.equal(next?.type === 'failoverStarted' && `${next.kind} ${next.to}`, 'failover r3');
});
