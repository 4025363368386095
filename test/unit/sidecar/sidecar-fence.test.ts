// The sidecar enforces the committed log on its own Redis (docs/design.md 4.6): the fence
// (min-replicas-to-write FENCE_MIN_REPLICAS, written to the config file) engages on a master
// without a Raft majority, also when its probe timed out; it is lifted only after a ReadIndex
// round, never while a failover of the shard is in flight, and after a demotion when the master
// moved; it outlives a crash of the sidecar (the fence store) and a restart of Redis; a local
// master that the log does not name is demoted by its sidecar, after a ReadIndex round.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FENCE_MIN_REPLICAS, type RedisOp } from '../../../src/failover/engine-types.js';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { failoverEnded, failoverStarted, promoted } from '../failover/fixtures.js';
import { Harness } from './harness.js';

const fence = (persist: boolean): RedisOp => ({
  kind: 'write-safety',
  minReplicas: FENCE_MIN_REPLICAS,
  maxLagS: 10,
  persist,
});
/** A fence lifted on a shard that does not manage minReplicasToWrite. */
const lift: RedisOp = { kind: 'write-safety', minReplicas: null, maxLagS: 10, persist: true };
const demoteTo = (host: string): RedisOp => ({ kind: 'replicaof', host, port: 6379, killClients: true });

/** The sidecar of r1, the committed master, cut off from the Raft majority and fenced. */
function fencedMaster(): Harness {
  const h = new Harness('r1');
  h.see({});
  h.contactMs = 3000;
  h.tick();
  assert.deepEqual(h.ops, [fence(true)]);
  assert.equal(h.stored, true);
  h.ops.length = 0;
  return h;
}

function failOverTo(h: Harness, to: string, end: boolean): void {
  applyTopologyCommand(h.topo, failoverStarted(to), 2);
  if (!end) return;
  applyTopologyCommand(h.topo, promoted(), 2);
  applyTopologyCommand(h.topo, failoverEnded(), 2);
}

test('fence: a master without a majority for fenceAfterMs refuses writes by a persisted min-replicas-to-write, renewed at every check', () => {
  const h = fencedMaster();
  assert.equal(h.events('+fence').length, 1);
  h.tick();
  h.tick();
  assert.deepEqual(h.ops, [fence(false), fence(false)], 'renewed, without rewriting the config each time');
  assert.equal(h.events('+fence').length, 1, 'logged once');
});

test('fence: a probe timeout does not forget that the local Redis is a master (a loaded master is still fenced)', () => {
  const h = new Harness('r1');
  h.see({}); // a master
  // The probe timed out: the prober reconnects, and knows no role until ROLE answers again.
  h.see({ reachable: false, role: 'unknown', lastOkAgoMs: 2000, probeRttMs: null });
  h.contactMs = 3000;
  h.tick();
  assert.deepEqual(h.ops, [fence(true)]);
});

test('lift: contact back is not enough; the fence is lifted only after a ReadIndex round, on the state it shows', () => {
  const h = fencedMaster();
  h.contactMs = 0;
  h.tick();
  assert.deepEqual(h.ops, [], 'no command before the ReadIndex round answers');
  assert.equal(h.confirms.length, 1);
  h.tick();
  assert.equal(h.confirms.length, 1, 'one round at a time');
  // The round answers once this node applied the failover the majority committed meanwhile.
  failOverTo(h, 'r3', true);
  h.confirm();
  assert.deepEqual(h.ops, [demoteTo('h-r3'), lift], 'demoted before the fence is lifted');
  assert.equal(h.stored, false);
  assert.equal(h.events('-fence').length, 1);
});

test('lift: never while a failover of the shard is in flight, nor on a ReadIndex round that failed', () => {
  const h = fencedMaster();
  h.contactMs = 0;
  h.tick();
  h.confirm(false);
  assert.deepEqual(h.ops, []);
  failOverTo(h, 'r3', false);
  h.tick();
  h.confirm();
  assert.deepEqual(h.ops, [], 'FailoverStarted applied, Promoted not yet: stay fenced');
  assert.equal(h.stored, true);
  applyTopologyCommand(h.topo, { type: 'failoverAborted', shard: 'm', epoch: 1, reason: 'x', at: 1 }, 2);
  h.tick();
  h.confirm();
  assert.deepEqual(h.ops, [lift], 'aborted: r1 is still the master; lifted');
});

test("lift: the master did not move: the fence is lifted to the shard's own minReplicasToWrite", () => {
  const h = fencedMaster();
  h.topo.shards.m = {
    ...h.topo.shards.m,
    settings: { ...h.topo.shards.m.settings, minReplicasToWrite: 1, minReplicasMaxLagMs: 2500 },
  };
  h.contactMs = 0;
  h.tick();
  h.confirm();
  assert.deepEqual(h.ops, [{ kind: 'write-safety', minReplicas: 1, maxLagS: 3, persist: true }]);
});

test('crash: a sidecar that starts with a fence on record keeps it until a ReadIndex round lets it go', () => {
  const isolated = new Harness('r1', true);
  isolated.contactMs = 3000;
  isolated.see({});
  assert.deepEqual(isolated.ops, [fence(true)], 'still cut off: fenced again at once');
  const back = new Harness('r1', true);
  back.see({});
  assert.deepEqual(back.ops, []);
  back.confirm();
  assert.deepEqual(back.ops, [lift]);
  assert.equal(back.stored, false);
});

test('restart of Redis: a fenced master that comes back with a new run id is fenced again, the config rewritten', () => {
  const h = fencedMaster();
  h.report({ runId: 'run-r1-restarted', offset: 0 });
  h.tick();
  assert.deepEqual(h.ops, [fence(true)]);
});

test('stray master: a local master the log does not name is demoted by its sidecar after a ReadIndex round', () => {
  const h = new Harness('r2');
  h.see({});
  h.see({ role: 'master', masterHost: null, masterPort: null, linkUp: null }); // same run: no restart
  assert.deepEqual(h.ops, [], 'not before the ReadIndex round');
  h.confirm();
  assert.deepEqual(h.ops, [demoteTo('h-r1')]);
  assert.deepEqual(
    h.conversions().map((l) => [l.node, l.master]),
    [['r2', 'r1']],
  );
});

test('stray master: not while a failover of the shard is in flight (the candidate is promoted before Promoted)', () => {
  const h = new Harness('r2');
  h.see({});
  failOverTo(h, 'r2', false);
  h.see({ role: 'master', masterHost: null, masterPort: null, linkUp: null });
  h.confirm();
  assert.deepEqual(h.ops, []);
});

test('stray master: the ReadIndex round shows the log names it after all (Promoted applied late): left alone', () => {
  const h = new Harness('r2');
  h.see({});
  h.see({ role: 'master', masterHost: null, masterPort: null, linkUp: null });
  failOverTo(h, 'r2', true);
  h.confirm();
  assert.deepEqual(h.ops, []);
});

test('stray master: once Promoted is committed, while the others are still being repointed, it is demoted', () => {
  const h = new Harness('r2');
  h.see({});
  failOverTo(h, 'r3', false);
  applyTopologyCommand(h.topo, promoted(), 2);
  h.see({ role: 'master', masterHost: null, masterPort: null, linkUp: null });
  h.confirm();
  assert.deepEqual(h.ops, [demoteTo('h-r3')]);
});
