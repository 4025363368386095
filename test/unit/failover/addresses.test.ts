// A Redis node with other addresses (issue 13, item 2): its replicas reach it at its replication
// address (REPLICAOF, and how they name their master), clients are told its announce address.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shardNodeStates } from '../../../src/discovery/node-state.js';
import {
  engineEventMessage,
  replicaMessage,
  switchMasterMessage,
} from '../../../src/discovery/sentinel-events.js';
import { emptyTopology, applyTopologyCommand } from '../../../src/failover/topology.js';
import type { RedisNodeSpec } from '../../../src/failover/types.js';
import { down, obs, spec } from './fixtures.js';
import { Harness } from './harness.js';

/** Shard m whose nodes r<i> are probed at h-r<i>:6379, replicated from at repl-r<i>:7000, announced as c-r<i>:8000. */
function natTopology() {
  const topo = emptyTopology();
  const s = spec();
  const nodes: RedisNodeSpec[] = s.nodes.map((n) => ({
    ...n,
    replicationAddress: { host: `repl-${n.id}`, port: 7000 },
    announce: { host: `c-${n.id}`, port: 8000 },
  }));
  applyTopologyCommand(topo, { type: 'bootstrapShards', shards: [{ ...s, nodes }] }, 1);
  applyTopologyCommand(topo, { type: 'masterAdopted', shard: 'm', master: 'r1', replId: 'hist-1' }, 1);
  return topo;
}

const viaRepl = (id: string, master: string) => obs(id, { masterHost: `repl-${master}`, masterPort: 7000 });

test('replicas that name their master by its replication address follow it: nothing is repointed', () => {
  const h = new Harness(natTopology());
  h.refresh = true;
  h.see(obs('r1'), viaRepl('r2', 'r1'), viaRepl('r3', 'r1'));
  h.run(20);
  assert.deepEqual(h.ops(), []);
  assert.deepEqual(h.proposed, []);
});

test('a failover repoints the replicas at the new master by its replication address, and ends', () => {
  const h = new Harness(natTopology());
  h.refresh = true;
  h.see(down('r1'), viaRepl('r2', 'r1'), obs('r3', { masterHost: 'repl-r1', masterPort: 7000, offset: 900 }));
  h.run(60);
  assert.deepEqual(h.proposed.slice(0, 3), ['failoverStarted', 'promoted', 'failoverEnded']);
  assert.deepEqual(
    h.sent
      .filter((x) => x.op.kind === 'replicaof')
      .map((x) => `${x.node} ${x.op.kind === 'replicaof' ? `${x.op.host}:${x.op.port}` : ''}`),
    ['r3 repl-r2:7000'],
  );
});

test('clients are told the announce address: shard states and Sentinel event messages', () => {
  const topo = natTopology();
  const shard = topo.shards.m;
  const states = shardNodeStates({
    shard,
    pausedAll: false,
    own: (node) => (node === 'r1' ? obs('r1') : viaRepl(node, 'r1')),
    sdownBy: () => null,
    quorum: 2,
    selfId: 'n1',
    wallNow: 0,
  });
  assert.deepEqual([states.master?.host, states.master?.port], ['c-r1', 8000]);
  assert.deepEqual(
    states.replicas.map((r) => `${r.host}:${r.port}`),
    ['c-r2:8000', 'c-r3:8000'],
  );
  const [r1, r2] = shard.nodes;
  assert.equal(switchMasterMessage('m', r1, r2), 'm c-r1 8000 c-r2 8000');
  assert.equal(replicaMessage(r2, 'm', r1), 'slave c-r2:8000 c-r2 8000 @ m c-r1 8000');
  assert.equal(
    engineEventMessage('+slave-reconf-done', 'm', { node: 'r2', host: 'h-r2', port: 6379 }, topo),
    'slave c-r2:8000 c-r2 8000 @ m c-r1 8000',
  );
});

test('who follows whom, behind an address the shard does not list: judged by replication id and link', () => {
  const h = new Harness(natTopology());
  h.refresh = true;
  // r2 names a NAT address raftinel was never given, its link up on r1's replication id: it
  // follows r1. r3 names another unknown address, but copies another history: it is repointed.
  h.see(
    obs('r1'),
    obs('r2', { masterHost: '10.9.9.9', masterPort: 6400 }),
    obs('r3', { masterHost: '10.9.9.8', masterPort: 6400, replId: 'hist-other' }),
  );
  h.run(20);
  assert.deepEqual(
    h.ops().filter((x) => x.endsWith('replicaof repl-r1')),
    ['r3 replicaof repl-r1'],
    h.ops().join(', '),
  );
  // The same unknown address with the link down says nothing of whom it follows: repointed.
  const linkDown = new Harness(natTopology());
  linkDown.refresh = true;
  linkDown.see(
    obs('r1'),
    viaRepl('r3', 'r1'),
    obs('r2', { masterHost: '10.9.9.9', masterPort: 6400, linkUp: false }),
  );
  linkDown.run(20);
  assert.ok(linkDown.ops().includes('r2 replicaof repl-r1'), linkDown.ops().join(', '));
});
