// The prober's targets follow the applied topology at the cost of what changed (issue 12): an
// applied entry that changes no shard hands the prober nothing, one that changes a shard rebuilds
// that shard's targets only, and unchanged shards keep their target objects (the prober skips
// the ones it has). At 1000 shards, rebuilding all 2000 after every entry was most of a commit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProbeSource, RedisTarget } from '../../../src/failover/ports.js';
import { applyTopologyCommand, emptyTopology } from '../../../src/failover/topology.js';
import type { RaftRuntime } from '../../../src/runtime/raft-runtime.js';
import { stillClock, testDriver } from './driver-rig.js';
import { spec } from './fixtures.js';

function rig() {
  const topology = emptyTopology();
  applyTopologyCommand(
    topology,
    {
      type: 'bootstrapShards',
      shards: [
        { ...spec(), name: 'a' },
        { ...spec(), name: 'b' },
      ],
    },
    1,
  );
  const handed: RedisTarget[][] = [];
  const prober: ProbeSource = {
    setTargets: (targets) => void handed.push([...targets]),
    observations: () => [],
    onChange: () => {},
  };
  const runtime = {
    onSoftState: () => {},
    core: { role: 'follower', leader: null, term: 1, committedInTerm: () => false },
  } as unknown as RaftRuntime;
  const { driver, applied } = testDriver({ runtime, topology, prober, clock: stillClock });
  driver.start();
  /** Applies a command as Raft would, and tells the driver. */
  const apply = (command: Parameters<typeof applyTopologyCommand>[1]): void =>
    applied(applyTopologyCommand(topology, command, 1));
  return { handed, apply, driver };
}

const ids = (targets: readonly RedisTarget[]): string[] => targets.map((t) => `${t.shard}/${t.node.id}`);

test('an applied entry that changes no shard hands the prober nothing', () => {
  const r = rig();
  assert.equal(r.handed.length, 1, 'the first targets, at start');
  assert.deepEqual(ids(r.handed[0]), ['a/r1', 'a/r2', 'a/r3', 'b/r1', 'b/r2', 'b/r3']);
  // A command about a shard that does not exist applies as nothing.
  r.apply({ type: 'pause', shard: 'nope' });
  assert.equal(r.handed.length, 1);
});

test("an entry that changes one shard rebuilds that shard's targets; the others keep their objects", () => {
  const r = rig();
  const [before] = r.handed;
  r.apply({ type: 'masterAdopted', shard: 'a', master: 'r1', replId: 'hist-1' });
  assert.equal(r.handed.length, 2);
  const after = r.handed[1];
  assert.deepEqual(ids(after), ids(before));
  for (let i = 0; i < 3; i++) assert.notEqual(after[i], before[i], `a/${after[i].node.id} rebuilt`);
  assert.deepEqual(
    after.slice(0, 3).map((t) => t.isMaster),
    [true, false, false],
  );
  for (let i = 3; i < 6; i++) assert.equal(after[i], before[i], `b/${after[i].node.id} kept`);
});

test('a removed shard leaves the targets', () => {
  const r = rig();
  r.apply({ type: 'removeShard', name: 'b' });
  assert.deepEqual(ids(r.handed[r.handed.length - 1]), ['a/r1', 'a/r2', 'a/r3']);
  assert.deepEqual(ids(r.driver.targets()), ['a/r1', 'a/r2', 'a/r3']);
});
