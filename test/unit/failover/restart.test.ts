// A master that restarted without its data, judged by a leader that did not watch it happen
// (restart.ts): each Harness starts with a fresh engine, as a node that has just become leader,
// so the engine's own memory of the master's previous run is empty. The evidence it has left:
// the observers' reports (restartedFrom) and the replicas still on the committed history. And
// the shard that nobody caught in time: every replica follows the restarted master on its new
// history, so the committed one is adopted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import type { RedisObservation, TopologyCommand } from '../../../src/failover/types.js';
import { down, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

/** r1 as a new run on a history of its own ('hist-x'), the shard's being 'hist-1'. */
function restarted(fields: Partial<RedisObservation> = {}): RedisObservation {
  return obs('r1', { runId: 'run-b', replId: 'hist-x', offset: 6000, ...fields });
}

/** r2 or r3 resynced from r1 after its restart: on r1's new history, link up. */
function following(node: string, fields: Partial<RedisObservation> = {}): RedisObservation {
  return obs(node, { replId: 'hist-x', offset: 6000, ...fields });
}

function started(h: Harness): Extract<TopologyCommand, { type: 'failoverStarted' }> | undefined {
  return h.commands.find(
    (c): c is Extract<TopologyCommand, { type: 'failoverStarted' }> => c.type === 'failoverStarted',
  );
}

test('a new leader fails over a master that the observers saw restart empty', () => {
  const h = new Harness(topologyWithMaster());
  // The run took more writes since than run A ever had: only the observers' memory tells.
  h.see(
    restarted({ restartedFrom: { runId: 'run-a', offset: 5000 } }),
    obs('r2', { offset: 5000 }),
    obs('r3', { offset: 4000 }),
  );
  h.run(1);
  assert.deepEqual(h.proposed, ['failoverStarted']);
  assert.equal(started(h)?.to, 'r2');
  const odown = h.events.find((e) => e.name === '+odown');
  assert.equal(odown?.detail.reason, 'master restarted empty');
  assert.match(String(odown?.detail.evidence), /below offset 5000 of run run-a \(seen by n1\)/);
  h.run();
  assert.equal(h.topo.shards.m.master, 'r2');
});

test('without that report, the same views are a master on its own history: no failover', () => {
  const h = new Harness(topologyWithMaster());
  h.see(restarted(), obs('r2', { offset: 5000 }), obs('r3', { offset: 4000 }));
  h.run(10);
  assert.deepEqual(h.proposed, []);
  assert.deepEqual(h.ops(), [], 'and no replica is moved');
});

test('a report of another run does not count for the master’s current one', () => {
  const h = new Harness(topologyWithMaster());
  h.see(restarted(), obs('r2', { offset: 5000 }), obs('r3', { offset: 4000 }));
  // n2's last report is of an earlier run (run-b is newer than what it saw restart).
  h.table.record('n2', [obs('r1', { runId: 'run-0', restartedFrom: { runId: 'run-z', offset: 9 } })], h.now);
  h.run(10);
  assert.deepEqual(h.proposed, []);
});

test('a new leader fails over a master that a replica on the committed history is ahead of', () => {
  const h = new Harness(topologyWithMaster());
  h.see(restarted({ offset: 40 }), obs('r2', { offset: 5000 }), obs('r3', { offset: 4000 }));
  h.run(1);
  assert.deepEqual(h.proposed, ['failoverStarted']);
  assert.equal(started(h)?.to, 'r2');
  assert.match(
    String(h.events.find((e) => e.name === '+odown')?.detail.evidence),
    /r2 is still on the shard's history hist-1 at offset 5000, ahead of the master at offset 40/,
  );
  assert.deepEqual(
    h.ops().filter((op) => op.includes('replicaof h-r1')),
    [],
    'no replica is pointed at the restarted master',
  );
});

test('replicas on the committed history behind the master are no evidence', () => {
  const h = new Harness(topologyWithMaster());
  h.see(restarted({ offset: 40 }), obs('r2', { offset: 30 }), obs('r3', { offset: 20 }));
  h.run(10);
  assert.deepEqual(h.proposed, []);
});

test('every replica follows the master on a history that is not the shard’s: it is adopted, and failovers work again', () => {
  const h = new Harness(topologyWithMaster());
  h.see(restarted({ offset: 40 }), following('r2', { offset: 40 }), following('r3', { offset: 38 }));
  // The stuck shard as it stands: no replica is eligible.
  const report = h.engine.candidates(
    {
      now: h.now,
      wallNow: 1_000_000,
      term: h.term,
      leading: true,
      voters: 3,
      topology: h.topo,
      observations: h.table,
    },
    'm',
  );
  assert.equal(report?.chosen, null);
  assert.ok(report?.rows.every((r) => /another replication history/.test(r.reason)));
  // Adopted on reports received after the leader saw the shard's current history: a round later.
  h.refresh = true;
  h.run(1);
  assert.deepEqual(h.proposed, [], 'not on reports older than the history the leader knows');
  h.run(1);
  assert.deepEqual(h.proposed, ['masterKept']);
  const s = h.topo.shards.m;
  assert.equal(s.master, 'r1');
  assert.equal(s.replId, 'hist-x');
  assert.equal(s.epoch, 1);
  assert.match(s.problem ?? '', /resynced from it after a restart no leader saw/);
  const entry = h.topo.history.m.at(-1);
  assert.equal(entry?.result, 'aborted');
  assert.deepEqual(entry?.resynced, ['r2', 'r3']);
  assert.deepEqual(h.ops(), [], 'no Redis node is touched');
  // Adopted once: a later crash of r1 fails over to a replica again.
  h.run(5);
  assert.deepEqual(h.proposed, ['masterKept']);
  applyTopologyCommand(h.topo, { type: 'ack', shard: 'm' }, h.term);
  h.see(down('r1'));
  h.run();
  assert.equal(h.topo.shards.m.master, 'r2');
  assert.equal(h.topo.shards.m.epoch, 2);
});

test('a paused shard adopts the history too (it moves no Redis node)', () => {
  const h = new Harness(topologyWithMaster());
  applyTopologyCommand(h.topo, { type: 'pause', shard: 'm' }, h.term);
  h.see(restarted({ offset: 40 }), following('r2', { offset: 40 }), following('r3', { offset: 40 }));
  h.refresh = true;
  h.run(2);
  assert.deepEqual(h.proposed, ['masterKept']);
});

test('a history that continues the shard’s (a restart with its data under a new id) is adopted, nothing lost', () => {
  const h = new Harness(topologyWithMaster());
  h.see(
    restarted({ replId2: 'hist-1', offset: 5000 }),
    following('r2', { offset: 5000 }),
    following('r3', { offset: 5000 }),
  );
  h.refresh = true;
  h.run(2);
  const kept = h.commands.find((c) => c.type === 'masterKept');
  assert.ok(kept?.type === 'masterKept');
  assert.deepEqual(kept.resynced, []);
  assert.match(kept.reason, /continues the shard's hist-1/);
});

test('nothing is adopted while a replica is not yet on the master’s history, or its link is down', () => {
  for (const r3 of [obs('r3', { offset: 30, linkUp: false }), following('r3', { linkUp: false })]) {
    const h = new Harness(topologyWithMaster());
    h.see(restarted({ offset: 40 }), following('r2', { offset: 40 }), r3);
    h.run(10);
    assert.deepEqual(h.proposed, [], JSON.stringify(r3));
  }
});
