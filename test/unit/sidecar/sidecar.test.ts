// The sidecar's duty "keep a freshly restarted local Redis as a replica of the committed master
// until the log says otherwise" (docs/design.md 4.6, src/sidecar/sidecar.ts), with fakes: the sidecar
// of r2 in shard m (r1 the committed master), its checks run by hand, its Redis operations
// answered by the test. The real-process side is test/integration/sidecar-health.test.ts.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import type { RedisOp, RedisOpResult } from '../../../src/failover/engine.js';
import type { RedisObservation } from '../../../src/failover/types.js';
import { applyTopologyCommand, type Topology } from '../../../src/failover/topology.js';
import { Sidecar } from '../../../src/sidecar/sidecar.js';
import { obs, settings, topologyWithMaster } from '../failover/fixtures.js';

class Harness {
  topo: Topology = topologyWithMaster();
  /** This node's own view of each Redis node of shard m. */
  readonly views = new Map([
    ['r1', obs('r1')],
    ['r2', obs('r2')],
  ]);
  readonly ops: RedisOp[] = [];
  /** The result the next Redis operations get. */
  result: RedisOpResult = { ok: true };
  readonly logs: Record<string, unknown>[] = [];
  private check: () => void = () => undefined;
  private observed: (changed: readonly RedisObservation[]) => void = () => undefined;
  readonly sidecar: Sidecar;

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    this.sidecar = new Sidecar({
      redisId: 'r2',
      fenceAfterMs: 3000,
      clock: {
        now: () => 0,
        every: (_ms, fn) => {
          this.check = fn;
          return () => undefined;
        },
        after: () => () => undefined,
        defer: (fn) => fn(),
      },
      topology: () => this.topo,
      ownView: (_shard, node) => this.views.get(node) ?? null,
      onObservation: (listener) => {
        this.observed = listener;
        return () => undefined;
      },
      msSinceMajorityContact: () => 0,
      admin: {
        execute: (_target, op, done) => {
          this.ops.push(op);
          done(this.result);
        },
      },
      target: (shard, node) => ({
        shard,
        node: { id: node, host: `h-${node}`, port: 6379, priority: 100, noFailover: false },
        settings,
        auth: null,
        tls: null,
        isMaster: false,
      }),
      logger: pino({ level: 'info' }, sink),
    });
  }

  /** One check of the sidecar, with its own view of r2 changed first. */
  see(fields: Parameters<typeof obs>[1]): void {
    this.views.set('r2', obs('r2', fields));
    this.check();
  }

  /** This node's prober reports a changed view of r2, between two checks. */
  report(fields: Parameters<typeof obs>[1]): void {
    const o = obs('r2', fields);
    this.views.set('r2', o);
    this.observed([obs('r1'), o]);
  }

  conversions(): Record<string, unknown>[] {
    return this.logs.filter((l) => l.event === '+convert-to-slave');
  }
}

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
  assert.deepEqual(h.ops, [demote]);
  assert.deepEqual(
    h.conversions().map((l) => [l.node, l.master, l.msg]),
    [['r2', 'r1', 'restarted local Redis kept a replica']],
  );
  h.see({ runId: 'run-r2-restarted' }); // a replica again
  h.see({ runId: 'run-r2-restarted' });
  assert.equal(h.ops.length, 1, 'done once');
});

test('a local Redis first seen as a master is no restart: the sidecar leaves it to the leader', () => {
  const h = new Harness();
  h.see(restartedAsMaster);
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, []);
});

test('a run id reported between checks counts: a restart before the first check after start is still a restart', () => {
  const h = new Harness();
  h.report({}); // the prober's first INFO came in; no check has run yet
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, [demote]);
});

test('a new run id seen before ROLE has answered: the restart is kept in mind until the role is known', () => {
  const h = new Harness();
  h.see({});
  h.see({ runId: 'run-r2-restarted', role: 'unknown', masterHost: null, masterPort: null, linkUp: null });
  assert.deepEqual(h.ops, []);
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, [demote]);
});

test('a REPLICAOF that fails (-LOADING while a Redis with data loads it) is sent again at the next check', () => {
  const h = new Harness();
  h.see({});
  h.result = { ok: false, error: 'LOADING Redis is loading the dataset in memory' };
  h.see(restartedAsMaster);
  h.see(restartedAsMaster);
  assert.equal(h.ops.length, 2);
  assert.equal(h.conversions().length, 0);
  h.result = { ok: true };
  h.see(restartedAsMaster);
  assert.equal(h.ops.length, 3);
  assert.equal(h.conversions().length, 1);
  h.see(restartedAsMaster); // still reported a master by an older probe: nothing more
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
  applyTopologyCommand(
    h.topo,
    {
      type: 'failoverStarted',
      shard: 'm',
      epoch: 1,
      kind: 'failover',
      from: 'r1',
      to: 'r3',
      report: { selection: 'least-lag', masterOffset: null, chosen: 'r3', rows: [] },
      at: 1_000_000,
      detectedAt: 1_000_000,
    },
    1,
  );
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, []);
  applyTopologyCommand(
    h.topo,
    { type: 'promoted', shard: 'm', epoch: 1, replId: 'hist-2', at: 1_000_100 },
    1,
  );
  applyTopologyCommand(
    h.topo,
    { type: 'failoverEnded', shard: 'm', epoch: 1, repointed: [], timeline: {}, at: 1_000_200 },
    1,
  );
  assert.equal(h.topo.shards.m.master, 'r3');
  h.see(restartedAsMaster);
  assert.deepEqual(h.ops, [{ ...demote, host: 'h-r3' }]);
});
