// A master that restarted empty is kept (masterKept) only when no replica may still hold the
// shard's history (promotion.ts resyncedReplicas). The case of simulator seed 1203512: a
// switchover made r1 master on a new history; r3, repointed to r1, was reported on the history
// before it (its INFO taken before its link came up), then continued r1's history by PSYNC; r1
// restarted empty; the leader took r3's stale report for a resync and kept r1, and r3's data
// went with its next full sync. Here hist-1 is the shard's history, hist-0 the one it
// continued, hist-x the restarted master's new one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keepRestartedMaster, resyncedReplicas, type EmptyRestart } from '../../../src/failover/promotion.js';
import type { CandidateReport, RedisObservation, TopologyCommand } from '../../../src/failover/types.js';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { failoverStarted, obs, topologyWithMaster } from './fixtures.js';
import { Harness } from './harness.js';

/** r1's new run after the empty restart; an observer saw it begin below the last one. */
const restarted = obs('r1', {
  runId: 'run-b',
  replId: 'hist-x',
  offset: 7,
  restartedFrom: { runId: 'run-a', offset: 96 },
});
/** r2 copied the restarted master: on its history, link up. */
const copied = obs('r2', { replId: 'hist-x', offset: 7 });
/** r3 as the leader's INFO last showed it: following r1, link down, on the history before the shard's. */
const midSync = obs('r3', { replId: 'hist-0', offset: 87, linkUp: false, linkDownMs: 300 });

const report: CandidateReport = { selection: 'least-lag', masterOffset: null, chosen: null, rows: [] };
/** Every report of these views was surely taken after r1 restarted. */
const afterRestart: EmptyRestart = { reportedAfter: new Set(['r1', 'r2', 'r3']) };
const views = (r3: RedisObservation): Map<string, RedisObservation | null> =>
  new Map([
    ['r1', restarted],
    ['r2', copied],
    ['r3', r3],
  ]);

/** The target of the first FailoverStarted the engine committed, if any. */
function startedTo(h: { commands: readonly TopologyCommand[] }): string | undefined {
  return h.commands.find(
    (c): c is Extract<TopologyCommand, { type: 'failoverStarted' }> => c.type === 'failoverStarted',
  )?.to;
}

/** The replica that holds the data was failed over to; the empty master was not kept. */
function assertPromotedNotKept(h: Harness, node: string): void {
  assert.equal(startedTo(h), node);
  assert.ok(!h.proposed.includes('masterKept'));
  assert.equal(h.topo.shards.m.master, node);
}

describe('resyncedReplicas after an empty restart', () => {
  const shard = topologyWithMaster().shards.m;

  test('a replica following the restarted master on an older history is not taken for a copy of it', () => {
    assert.deepEqual(resyncedReplicas(shard, views(midSync), afterRestart), ['r2']);
    assert.equal(
      keepRestartedMaster(shard, views(midSync), afterRestart, report, 2, 1),
      null,
      'r3 may hold the data',
    );
  });

  test('once its INFO shows the restarted master’s history, the master is kept', () => {
    const r3 = obs('r3', { replId: 'hist-x', offset: 7 });
    assert.deepEqual(resyncedReplicas(shard, views(r3), afterRestart), ['r2', 'r3']);
    assert.deepEqual(keepRestartedMaster(shard, views(r3), afterRestart, report, 2, 1)?.resynced, [
      'r2',
      'r3',
    ]);
  });

  test('a replica on another history that follows another node copied nothing of the shard’s since', () => {
    const r3 = obs('r3', { replId: 'hist-0', masterHost: 'h-r2' });
    assert.deepEqual(resyncedReplicas(shard, views(r3), afterRestart), ['r2', 'r3']);
  });
});

describe('the engine through the same race', () => {
  function race(): Harness {
    const h = new Harness(topologyWithMaster());
    h.see(restarted, copied, midSync);
    // The truth: r3 continued the shard's history before r1 restarted (PSYNC from hist-0).
    h.change('r3', { replId: 'hist-1', offset: 96 });
    h.run(20);
    assert.deepEqual(h.proposed, [], 'no decision while r3 may hold the shard’s history');
    assert.ok(!h.ops().some((op) => op.includes('replicaof h-r1')), 'and nobody is pointed at r1');
    return h;
  }

  test('r3’s next INFO shows the shard’s history: it is promoted, the empty master is not kept', () => {
    const h = race();
    h.see(obs('r3', { replId: 'hist-1', offset: 96, linkUp: false, linkDownMs: 500 }));
    h.run();
    assertPromotedNotKept(h, 'r3');
  });

  test('r3’s next INFO shows it copied the restarted master: then the master is kept', () => {
    const h = race();
    h.see(obs('r3', { replId: 'hist-x', offset: 7 }));
    h.run();
    assert.deepEqual(h.proposed, ['masterKept']);
    assert.equal(h.topo.shards.m.replId, 'hist-x');
  });
});

describe('a replica found off the history at a promotion that regained it since (seed 9319631)', () => {
  /** r2 was found off the history at wall 1_000_500; r1 restarted empty later; r3 copied it. */
  function afterRegain(): Harness {
    const h = new Harness(topologyWithMaster());
    applyTopologyCommand(h.topo, failoverStarted('r2'), 2);
    applyTopologyCommand(
      h.topo,
      {
        type: 'failoverAborted',
        shard: 'm',
        epoch: 1,
        at: 1_000_500,
        reason: 'r2 off the history',
        lostHistory: ['r2'],
      },
      2,
    );
    return h;
  }

  test('reports taken well after the finding show it on the history: it is the candidate, the empty master is not kept', () => {
    const h = afterRegain();
    h.now = 10_000; // wall 1_010_000: every report below is newer than the finding
    h.refresh = true;
    h.see(restarted, obs('r2', { replId: 'hist-1', offset: 200 }), copied3());
    h.run(20);
    const started = h.commands.find((c) => c.type === 'failoverStarted' && c.epoch === 2);
    assert.equal(started?.type === 'failoverStarted' ? started.to : null, 'r2');
    assert.ok(!h.proposed.includes('masterKept'));
  });

  test('a report that may predate the finding neither clears it nor counts it: the master is kept once r2 shows another history', () => {
    const h = afterRegain();
    h.now = 500; // wall 1_000_500: as old as the finding
    h.see(restarted, obs('r2', { replId: 'hist-1', offset: 200 }), copied3());
    h.run(4);
    assert.ok(!h.commands.some((c) => c.type === 'failoverStarted' && c.epoch === 2), 'r2 is no candidate');
    // It may also have regained the history (seed 10229309: it had, and the empty master was
    // kept while it held the data): nothing is decided while its report shows the shard's.
    assert.ok(!h.proposed.includes('masterKept'), 'nor is the empty master kept');
    h.see(obs('r2', { replId: 'hist-x', offset: 7 }));
    h.run(4);
    assert.ok(h.proposed.includes('masterKept'), 'r2 copied the restarted master: it is kept');
  });
});

/** r3 copied the restarted master. */
function copied3(): RedisObservation {
  return obs('r3', { replId: 'hist-x', offset: 7 });
}

// Seed 11051243: r3 restarted with its data from before a switchover and followed r2 (here: a
// replica that copied the restarted master r1), reported on the history before the shard's with
// its link down. Its link came up while r2 still held the shard's history: a full sync put r3 on
// it, and r2 full-synced from r1 just after. r3's report had not changed, r2's had: the leader
// counted both resynced and kept r1 while r3 held the data.
describe('a replica following another node with its link down (seed 11051243)', () => {
  const shard = topologyWithMaster().shards.m;
  /** r3 as the leader's INFO last showed it: following r2, link down, on the history before the shard's. */
  const behindR2 = obs('r3', {
    replId: 'hist-0',
    offset: 37,
    masterHost: 'h-r2',
    linkUp: false,
    linkDownMs: 100,
  });

  test('is not taken for resynced: its next sync takes whatever r2 holds then', () => {
    assert.deepEqual(resyncedReplicas(shard, views(behindR2), afterRestart), ['r2']);
    assert.equal(
      keepRestartedMaster(shard, views(behindR2), afterRestart, report, 2, 1),
      null,
      'r3 may hold the data',
    );
  });

  test('a master on another history syncs from nobody: it is off the history', () => {
    const r3 = obs('r3', {
      role: 'master',
      replId: 'hist-9',
      masterHost: null,
      masterPort: null,
      linkUp: null,
    });
    assert.deepEqual(resyncedReplicas(shard, views(r3), afterRestart), ['r2', 'r3']);
  });

  function race(): Harness {
    const h = new Harness(topologyWithMaster());
    h.see(restarted, copied, behindR2);
    // The truth: r3 full-synced from r2 before r2 resynced from the restarted master.
    h.change('r3', { replId: 'hist-1', offset: 81, linkUp: true, linkDownMs: null });
    h.run(20);
    assert.ok(!h.proposed.includes('masterKept'), 'the empty master is not kept while r3 may hold the data');
    return h;
  }

  test('r3’s next INFO shows the shard’s history: it is promoted, the empty master is not kept', () => {
    const h = race();
    h.see(obs('r3', { replId: 'hist-1', offset: 81, masterHost: 'h-r2' }));
    h.run();
    assertPromotedNotKept(h, 'r3');
  });

  test('r3’s next INFO shows it copied r2’s new history: then the master is kept', () => {
    const h = race();
    h.see(obs('r3', { replId: 'hist-x', offset: 7, masterHost: 'h-r2' }));
    h.run();
    assert.deepEqual(h.proposed, ['masterKept']);
    assert.equal(h.topo.shards.m.replId, 'hist-x');
  });
});

// Seed 16034773: a switchover made r1 master on the shard's history hist-1 (continuing hist-0)
// and repointed r3 to it. The leader's own report of r3 was older: its INFO, taken before the
// switchover, showed r3 following r2 on hist-0 with its link up (the relaxed probe cadence of a
// healthy node, downAfterMs / 2). r3 PSYNCed from r1 onto hist-1; r1 restarted empty; the
// leader took the old report for a resync (r3 "copied r2's history") and kept r1 while r3 held
// the data. A report on another history proves a resync only when it was surely taken after
// the restart; one on the restarted master's own new history needs no such proof.
describe('a report on another history that may predate the restart (seed 16034773)', () => {
  const shard = topologyWithMaster().shards.m;
  /** r3 as the leader's INFO showed it before the switchover: following r2 on hist-0, link up. */
  const beforeSwitchover = obs('r3', { replId: 'hist-0', offset: 87, masterHost: 'h-r2' });
  const r3NotAfter: EmptyRestart = { reportedAfter: new Set(['r1', 'r2']) };

  test('is not taken for a resync, and the empty master is not kept on it', () => {
    assert.deepEqual(resyncedReplicas(shard, views(beforeSwitchover), r3NotAfter), ['r2']);
    assert.equal(keepRestartedMaster(shard, views(beforeSwitchover), r3NotAfter, report, 2, 1), null);
  });

  test('the same report taken after the restart counts: the master is kept', () => {
    assert.deepEqual(resyncedReplicas(shard, views(beforeSwitchover), afterRestart), ['r2', 'r3']);
    assert.deepEqual(
      keepRestartedMaster(shard, views(beforeSwitchover), afterRestart, report, 2, 1)?.resynced,
      ['r2', 'r3'],
    );
  });

  test('a report on the restarted master’s new history needs no proof of its age', () => {
    const none: EmptyRestart = { reportedAfter: new Set() };
    const r3 = obs('r3', { replId: 'hist-x', offset: 7 });
    assert.deepEqual(resyncedReplicas(shard, views(r3), none), ['r2', 'r3']);
    assert.deepEqual(keepRestartedMaster(shard, views(r3), none, report, 2, 1)?.resynced, ['r2', 'r3']);
  });

  test('a node found off the history at a promotion counts only on a report taken after the restart', () => {
    const s = { ...shard, lostHistory: ['r3'] };
    const off = obs('r3', { replId: 'hist-9', masterHost: 'h-r2' });
    assert.equal(keepRestartedMaster(s, views(off), r3NotAfter, report, 2, 1), null);
    assert.deepEqual(keepRestartedMaster(s, views(off), afterRestart, report, 2, 1)?.resynced, ['r2', 'r3']);
  });

  /** The engine (leader n1) holds r3's old report when r1's empty restart shows up. */
  function race(): Harness {
    const h = new Harness(topologyWithMaster());
    h.see(beforeSwitchover);
    // The truth: r3 was repointed to r1 and continued the shard's history from it.
    h.change('r3', { replId: 'hist-1', offset: 89, masterHost: 'h-r1' });
    h.now = 100;
    h.see(restarted, copied);
    h.run(20);
    assert.deepEqual(h.proposed, [], 'no decision while r3 may hold the shard’s history');
    return h;
  }

  test('r3’s next INFO shows the shard’s history: it is promoted, the empty master is not kept', () => {
    const h = race();
    h.see(obs('r3', { replId: 'hist-1', offset: 89, linkUp: false, linkDownMs: 300 }));
    h.run();
    assertPromotedNotKept(h, 'r3');
  });

  test('an INFO taken after the restart shows r3 still on the older history behind r2: then the master is kept', () => {
    const h = race();
    h.now = 1500; // r3's report below is taken more than one INFO interval after the restart was seen
    h.see(restarted, copied, beforeSwitchover);
    h.run(4);
    assert.deepEqual(h.proposed, ['masterKept']);
    const kept = h.commands.find(
      (c): c is Extract<TopologyCommand, { type: 'masterKept' }> => c.type === 'masterKept',
    );
    assert.deepEqual(kept?.resynced, ['r2', 'r3']);
  });
});
