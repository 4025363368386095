// What one run of the failover loop costs must not grow with the fleet while nothing happens
// (issue 12): between sweeps of every shard (every fifth run), a run looks only at the shards
// with news or work. At 1000 shards, a sweep every 100 ms and on every report that arrived was
// most of the leader's CPU and slowed the one shard that failed over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailoverEngine } from '../../../src/failover/engine.js';
import type { ProbeSource } from '../../../src/failover/ports.js';
import { applyTopologyCommand, emptyTopology } from '../../../src/failover/topology.js';
import type { RaftRuntime } from '../../../src/runtime/raft-runtime.js';
import type { Cancel, Clock } from '../../../src/runtime/ports.js';
import { testDriver } from './driver-rig.js';
import { obs, spec } from './fixtures.js';

const SHARDS = ['a', 'b', 'c', 'd'];

function rig(t: { after: (fn: () => void) => void }) {
  // The engine itself is not under test: record which shards each run hands it, act on none.
  const looked: (string[] | 'all')[] = [];
  const original = FailoverEngine.prototype.update;
  FailoverEngine.prototype.update = function (_input, shards = null) {
    looked.push(shards === null ? 'all' : [...shards].sort());
    return [];
  };
  t.after(() => {
    FailoverEngine.prototype.update = original;
  });

  const topology = emptyTopology();
  applyTopologyCommand(
    topology,
    { type: 'bootstrapShards', shards: SHARDS.map((name) => ({ ...spec(), name })) },
    1,
  );
  for (const shard of SHARDS)
    applyTopologyCommand(topology, { type: 'masterAdopted', shard, master: 'r1', replId: 'hist-1' }, 1);

  let now = 0;
  const pulses: (() => void)[] = [];
  const deferred: (() => void)[] = [];
  const clock: Clock = {
    now: () => now,
    every: (ms, fn): Cancel => {
      if (ms === 100) pulses.push(fn);
      return () => {};
    },
    after: (): Cancel => () => {},
    defer: (fn) => void deferred.push(fn),
  };
  const handlers = new Map<string, (from: string, body: unknown) => void>();
  const conf = { voters: ['n1', 'n2', 'n3'], learners: [] };
  const runtime = {
    onSoftState: () => {},
    status: () => ({ conf }),
    leaseValid: () => true,
    core: {
      role: 'leader',
      leader: 'n1',
      term: 1,
      conf,
      committedInTerm: () => true,
      appliedInTerm: () => true,
    },
  } as unknown as RaftRuntime;
  const prober: ProbeSource = { setTargets: () => {}, observations: () => [], onChange: () => {} };
  const { driver, applied } = testDriver({
    runtime,
    topology,
    prober,
    clock,
    onEnvelope: (kind, h) => void handlers.set(kind, h),
  });
  driver.start();
  t.after(() => driver.stop());
  const run = (): void => {
    now += 100;
    for (const fn of pulses) fn();
  };
  const settle = (): void => {
    for (const fn of deferred.splice(0)) fn();
  };
  const report = (from: string, observations: unknown[]): void => {
    handlers.get('obs')?.(from, { observations, term: 1 });
    settle();
  };
  const apply = (command: Parameters<typeof applyTopologyCommand>[1]): void => {
    applied(applyTopologyCommand(topology, command, 1));
    settle();
  };
  return { looked, run, report, apply };
}

test('between sweeps a quiet run looks at no shard; every fifth run sweeps them all', (t) => {
  const r = rig(t);
  r.run(); // the first run of a leader sweeps every shard
  for (let i = 0; i < 9; i++) r.run();
  assert.deepEqual(r.looked, ['all', [], [], [], 'all', [], [], [], [], 'all']);
});

test('a report new in meaning is looked at at once, alone; the same report again is no news', (t) => {
  const r = rig(t);
  r.run();
  r.looked.length = 0;
  r.report('n2', [{ ...obs('r2'), shard: 'c' }]);
  assert.deepEqual(r.looked, [['c']], 'the run the report queued');
  // The periodic digest repeats it (offsets move, the meaning does not): nothing to look at.
  r.report('n2', [{ ...obs('r2', { offset: 5000 }), shard: 'c' }]);
  r.run();
  assert.deepEqual(r.looked, [['c'], []]);
  r.report('n2', [{ ...obs('r2', { sdown: true, reachable: false }), shard: 'c' }]);
  assert.deepEqual(r.looked.at(-1), ['c']);
});

test('an applied entry puts its shard in the next run, and a failover in the log keeps it there', (t) => {
  const r = rig(t);
  r.run();
  r.looked.length = 0;
  r.apply({ type: 'pause', shard: 'b' });
  assert.deepEqual(r.looked, [['b']]);
  r.apply({
    type: 'failoverStarted',
    shard: 'd',
    epoch: 1,
    kind: 'failover',
    from: 'r1',
    to: 'r2',
    report: { shard: 'd', current: 'r1', chosen: 'r2', rows: [] },
    at: 0,
    detectedAt: 0,
  } as unknown as Parameters<typeof applyTopologyCommand>[1]);
  r.looked.length = 0;
  r.run();
  r.run();
  assert.deepEqual(r.looked, [['d'], ['d']]);
});
