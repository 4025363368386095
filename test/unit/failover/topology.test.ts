// The replicated topology's handling of a failover attempt whose target lost the replication
// history, and of a kept master (masterKept): cooldown, the lostHistory list, history entries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTopologyCommand, type Topology } from '../../../src/failover/topology.js';
import type { TopologyCommand } from '../../../src/failover/types.js';
import { failoverStarted, topologyWithMaster } from './fixtures.js';

const report = { selection: 'least-lag' as const, masterOffset: null, chosen: 'r3', rows: [] };

function start(topo: Topology, epoch: number, to: string, resynced: string[] = []): void {
  applyTopologyCommand(topo, failoverStarted(to, { epoch, report, at: 1000, detectedAt: 900, resynced }), 2);
}

const abort = (epoch: number, lostHistory?: string[]): TopologyCommand => ({
  type: 'failoverAborted',
  shard: 'm',
  epoch,
  reason: 'x',
  at: 2000,
  ...(lostHistory ? { lostHistory } : {}),
});

test('an attempt aborted because its target lost the history starts no cooldown and remembers the node', () => {
  const topo = topologyWithMaster();
  start(topo, 1, 'r3', ['r2']);
  applyTopologyCommand(topo, abort(1, ['r3']), 2);
  const s = topo.shards.m;
  assert.equal(s.failover, null);
  assert.equal(s.cooldownUntil, 0);
  assert.deepEqual(s.lostHistory, ['r3']);
  assert.deepEqual(topo.history.m[0].resynced, ['r2', 'r3']);
  // Another attempt's target joins the list; Promoted (a new history) empties it.
  start(topo, 2, 'r2');
  applyTopologyCommand(topo, abort(2, ['r2']), 2);
  assert.deepEqual(topo.shards.m.lostHistory, ['r3', 'r2']);
  start(topo, 3, 'r3');
  applyTopologyCommand(topo, { type: 'promoted', shard: 'm', epoch: 3, replId: 'hist-2', at: 3000 }, 2);
  assert.deepEqual(topo.shards.m.lostHistory, []);
});

test('a failover to a node once found off the history takes it off lostHistory (it was judged back on it); a forced one does not', () => {
  const topo = topologyWithMaster();
  start(topo, 1, 'r3');
  applyTopologyCommand(topo, abort(1, ['r3', 'r2']), 2);
  assert.deepEqual(topo.shards.m.lostHistory, ['r3', 'r2']);
  // r3 full-synced from the master since, and the leader chose it on a fresh INFO showing so.
  start(topo, 2, 'r3');
  assert.deepEqual(topo.shards.m.lostHistory, ['r2']);
  // Unreachable at the promotion: aborted with no finding, so r3 stays a node with the data
  // (simulator seed 9958887 kept an empty master, counting r3 as resynced while it held the history).
  applyTopologyCommand(topo, abort(2), 2);
  assert.deepEqual(topo.shards.m.lostHistory, ['r2']);
  applyTopologyCommand(
    topo,
    failoverStarted('r2', { epoch: 3, report, at: 1000, detectedAt: 900, allowDataLoss: true }),
    2,
  );
  assert.deepEqual(topo.shards.m.lostHistory, ['r2'], 'a promotion forced with allowDataLoss judged nothing');
});

test('an abort starts the cooldown only once the failover was published (Promoted committed)', () => {
  const topo = topologyWithMaster();
  start(topo, 1, 'r3');
  applyTopologyCommand(topo, abort(1), 2);
  assert.equal(topo.shards.m.cooldownUntil, 0, 'nothing published: no cooldown');
  assert.deepEqual(topo.history.m[0].resynced, []);
  start(topo, 2, 'r3');
  applyTopologyCommand(topo, { type: 'promoted', shard: 'm', epoch: 2, replId: 'hist-2', at: 1500 }, 2);
  applyTopologyCommand(topo, abort(2), 2);
  assert.equal(topo.shards.m.cooldownUntil, 2000 + topo.shards.m.settings.failoverCooldownMs);
});

test('masterKept: its own epoch and history entry, the new history adopted, a note until ack', () => {
  const topo = topologyWithMaster();
  const kept = (epoch: number, master = 'r1'): TopologyCommand => ({
    type: 'masterKept',
    shard: 'm',
    epoch,
    master,
    replId: 'hist-empty',
    resynced: ['r2', 'r3'],
    reason: 'no replica keeps the replication history',
    report: { ...report, chosen: null },
    at: 1500,
    detectedAt: 1000,
  });
  // Stale (not the next epoch), for another master, or while a failover is in flight: no-ops.
  for (const cmd of [kept(2), kept(1, 'r2')]) applyTopologyCommand(topo, cmd, 2);
  start(topo, 1, 'r3');
  applyTopologyCommand(topo, kept(2), 2);
  assert.equal(topo.shards.m.replId, 'hist-1');
  applyTopologyCommand(topo, abort(1, ['r3']), 2);

  const events = applyTopologyCommand(topo, kept(2), 2);
  assert.deepEqual(
    events.map((e) => e.type),
    ['failover-ended', 'shard-changed'],
  );
  const s = topo.shards.m;
  assert.equal(s.master, 'r1');
  assert.equal(s.epoch, 2);
  assert.equal(s.replId, 'hist-empty');
  assert.deepEqual(s.lostHistory, []);
  assert.equal(s.cooldownUntil, 0);
  assert.equal(s.problem, 'no replica keeps the replication history');
  const entry = topo.history.m.at(-1);
  assert.deepEqual(
    {
      epoch: entry?.epoch,
      from: entry?.from,
      to: entry?.to,
      result: entry?.result,
      resynced: entry?.resynced,
    },
    { epoch: 2, from: 'r1', to: 'r1', result: 'aborted', resynced: ['r2', 'r3'] },
  );
  assert.deepEqual(entry?.timeline, { detected: 0, ended: 500 });
  applyTopologyCommand(topo, { type: 'ack', shard: 'm' }, 2);
  assert.equal(topo.shards.m.problem, null);
});

test('ack leaves the reason of a shard without a master', () => {
  const topo = topologyWithMaster();
  delete (topo.shards as Record<string, unknown>).m;
  applyTopologyCommand(
    topo,
    { type: 'addShard', shard: { ...topologyWithMaster().shards.m, initialMaster: null } },
    1,
  );
  applyTopologyCommand(topo, { type: 'shardProblem', shard: 'm', problem: 'ambiguous topology' }, 1);
  applyTopologyCommand(topo, { type: 'ack', shard: 'm' }, 1);
  assert.equal(topo.shards.m.problem, 'ambiguous topology');
});

test('a failover whose target is the master itself is refused (a proposal from a stale view)', () => {
  const topo = topologyWithMaster();
  start(topo, 1, 'r1');
  assert.deepEqual([topo.shards.m.epoch, topo.shards.m.failover?.to], [0, undefined]);
  start(topo, 1, 'r2');
  assert.deepEqual([topo.shards.m.epoch, topo.shards.m.failover?.to], [1, 'r2']);
});
