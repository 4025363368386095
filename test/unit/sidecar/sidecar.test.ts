// The sidecar's duty "keep a freshly restarted local Redis as a replica of the committed master
// until the log says otherwise" (docs/design.md 4.6, src/sidecar/sidecar.ts), with fakes
// (harness.ts): the sidecar of r2 in shard m (r1 the committed master). A demotion follows a
// ReadIndex round (h.confirm()). The fence: sidecar-fence.test.ts. The real-process side is
// test/integration/sidecar-health.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RedisOp } from '../../../src/failover/engine.js';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import { failoverEnded, failoverStarted, promoted } from '../failover/fixtures.js';
import { Harness } from './harness.js';

const demote: RedisOp = { kind: 'replicaof', host: 'h-r1', port: 6379, killClients: true };
const restartedAsMaster = {
  runId: 'run-r2-restarted',
  role: 'master',
  masterHost: null,
  masterPort: null,
  linkUp: null,
  offset: 0,
} as const;

test('a restarted local Redis that answers as a master is made a replica of the committed master', () => {
  const h = new Harness();
  h.see({});
  assert.deepEqual(h.ops, []);
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, [], 'not before the ReadIndex round');
  h.confirm();
  assert.deepEqual(h.ops, [demote]);
  assert.deepEqual(
    h.conversions().map((l) => [l.node, l.master, l.msg]),
    [['r2', 'r1', 'restarted local Redis kept a replica']],
  );
  h.see({ runId: 'run-r2-restarted' }); // a replica again
  h.see({ runId: 'run-r2-restarted' });
  assert.equal(h.ops.length, 1, 'done once');
});

test('a local Redis first seen as a master is no restart, but a master the log does not name: demoted all the same', () => {
  const h = new Harness();
  h.see(restartedAsMaster);
  h.confirm();
  assert.deepEqual(h.ops, [demote]);
  assert.deepEqual(
    h.conversions().map((l) => l.msg),
    ['local Redis is a master the log does not name: demoted'],
  );
});

test('a run id reported between checks counts: a restart before the first check after start is still a restart', () => {
  const h = new Harness();
  h.report({}); // the prober's first INFO came in; no check has run yet
  h.see(restartedAsMaster);
  h.confirm();
  assert.deepEqual(h.ops, [demote]);
  assert.equal(h.conversions()[0]?.msg, 'restarted local Redis kept a replica');
});

test('a new run id seen before ROLE has answered: the restart is kept in mind until the role is known', () => {
  const h = new Harness();
  h.see({});
  h.see({ runId: 'run-r2-restarted', role: 'unknown', masterHost: null, masterPort: null, linkUp: null });
  assert.deepEqual(h.ops, []);
  assert.equal(h.confirms.length, 0, 'a role not known is no reason to act');
  h.see(restartedAsMaster);
  h.confirm();
  assert.deepEqual(h.ops, [demote]);
});

test('a REPLICAOF that fails (-LOADING while a Redis with data loads it) is sent again at the next check', () => {
  const h = new Harness();
  h.see({});
  h.result = { ok: false, error: 'LOADING Redis is loading the dataset in memory' };
  h.see(restartedAsMaster);
  h.confirm();
  h.see(restartedAsMaster);
  h.confirm();
  assert.equal(h.ops.length, 2);
  assert.equal(h.conversions().length, 0);
  h.result = { ok: true };
  h.see(restartedAsMaster);
  h.confirm();
  assert.equal(h.ops.length, 3);
  assert.equal(h.conversions().length, 1);
  h.see(restartedAsMaster); // still reported a master by an older probe: nothing more
  h.confirm();
  assert.equal(h.ops.length, 3);
});

test('when the log makes the local node the master, a restart is left alone', () => {
  const h = new Harness();
  h.see({});
  h.topo = { ...h.topo, shards: { m: { ...h.topo.shards.m, master: 'r2' } } };
  h.see(restartedAsMaster);
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, []);
});

test('while a failover is in flight the sidecar waits; it acts on the master the log names afterwards', () => {
  const h = new Harness();
  h.see({});
  applyTopologyCommand(h.topo, failoverStarted('r3'), 1);
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, []);
  applyTopologyCommand(h.topo, promoted(), 1);
  applyTopologyCommand(h.topo, failoverEnded(), 1);
  assert.equal(h.topo.shards.m.master, 'r3');
  h.see(restartedAsMaster);
  h.confirm();
  assert.deepEqual(h.ops, [{ ...demote, host: 'h-r3' }]);
});

test('GET /primary answers 200 for the committed master only while a leader is heard from, as /health/primary', () => {
  const h = new Harness('r1');
  h.see({});
  assert.equal(h.sidecar.primary().status, 200);
  // Cut from every leader (restarted inside a partition, say): the master may have moved since.
  h.freshLeader = false;
  const cut = h.sidecar.primary();
  assert.equal(cut.status, 503);
  assert.equal((cut.body.error as { code: string }).code, 'not_primary');
  h.freshLeader = true;
  assert.equal(h.sidecar.primary().status, 200);
});
