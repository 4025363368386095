import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseCandidate } from '../../../src/failover/select.js';
import type { RedisObservation } from '../../../src/failover/types.js';
import { obs, topologyWithMaster } from './fixtures.js';

function choose(
  views: Record<string, RedisObservation | null>,
  overrides = {},
  masterOffset: number | null = 1000,
) {
  const shard = topologyWithMaster(overrides).shards.m;
  return chooseCandidate({
    shard,
    from: 'r1',
    views: new Map(Object.entries(views)),
    masterOffset,
    maxLinkDownMs: 10_000,
  });
}

test('least-lag picks the replica with the highest offset, whatever the priority', () => {
  const shard = topologyWithMaster().shards.m;
  const nodes = shard.nodes.map((n) => (n.id === 'r3' ? { ...n, priority: 1 } : n));
  const report = chooseCandidate({
    shard: { ...shard, nodes },
    from: 'r1',
    views: new Map([
      ['r2', obs('r2', { offset: 990 })],
      ['r3', obs('r3', { offset: 900 })],
    ]),
    masterOffset: 1000,
    maxLinkDownMs: 10_000,
  });
  assert.equal(report.chosen, 'r2');
  assert.equal(report.rows.find((r) => r.id === 'r3')?.lagBytes, 100);
});

test('priority-first gives Sentinel order', () => {
  const shard = topologyWithMaster({ selection: 'priority-first' }).shards.m;
  const nodes = shard.nodes.map((n) => (n.id === 'r3' ? { ...n, priority: 1 } : n));
  const report = chooseCandidate({
    shard: { ...shard, nodes },
    from: 'r1',
    views: new Map([
      ['r2', obs('r2', { offset: 990 })],
      ['r3', obs('r3', { offset: 900 })],
    ]),
    masterOffset: 1000,
    maxLinkDownMs: 10_000,
  });
  assert.equal(report.chosen, 'r3');
});

test('every rejection says why', () => {
  const report = choose(
    { r2: obs('r2', { replId: 'other-history' }), r3: obs('r3', { offset: 100 }) },
    { maxLagBytes: 500 },
  );
  assert.equal(report.chosen, null);
  assert.match(report.rows.find((r) => r.id === 'r2')?.reason ?? '', /another replication history/);
  assert.match(report.rows.find((r) => r.id === 'r3')?.reason ?? '', /behind by 900 bytes.*maxLagBytes 500/);
});

test('unreachable, priority 0, link down too long and non-replicas are rejected', () => {
  const shard = topologyWithMaster().shards.m;
  const nodes = shard.nodes.map((n) => (n.id === 'r2' ? { ...n, priority: 0 } : n));
  const base = { shard: { ...shard, nodes }, from: 'r1', masterOffset: 1000, maxLinkDownMs: 10_000 };
  const r2 = chooseCandidate({
    ...base,
    views: new Map([
      ['r2', obs('r2')],
      ['r3', null],
    ]),
  });
  assert.match(r2.rows.find((r) => r.id === 'r2')?.reason ?? '', /priority 0/);
  assert.match(r2.rows.find((r) => r.id === 'r3')?.reason ?? '', /unreachable/);
  const linkDown = chooseCandidate({
    ...base,
    views: new Map([['r3', obs('r3', { linkUp: false, linkDownMs: 20_000 })]]),
  });
  assert.match(linkDown.rows.find((r) => r.id === 'r3')?.reason ?? '', /link to the master down/);
  const master = chooseCandidate({ ...base, views: new Map([['r3', obs('r3', { role: 'master' })]]) });
  assert.match(master.rows.find((r) => r.id === 'r3')?.reason ?? '', /not a replica/);
});

test('a replica a fresh INFO found off the history is rejected, whatever its older report says', () => {
  const topo = topologyWithMaster();
  const shard = { ...topo.shards.m, lostHistory: ['r3'] };
  const input = {
    shard,
    from: 'r1',
    views: new Map([
      ['r2', obs('r2', { offset: 900 })],
      ['r3', obs('r3', { offset: 1000 })],
    ]),
    masterOffset: 1000,
    maxLinkDownMs: 10_000,
  };
  const report = chooseCandidate(input);
  assert.equal(report.chosen, 'r2');
  assert.match(report.rows.find((r) => r.id === 'r3')?.reason ?? '', /on another replication history/);
  // The skipReplIdCheck bug switch ignores it as it ignores the replication id.
  assert.equal(chooseCandidate({ ...input, skipReplIdCheck: true }).chosen, 'r3');
});

test('a replica whose history no INFO has named yet waits, however far ahead it is', () => {
  // Found by the simulator once it ran the production prober: a replica that answered -LOADING
  // to its reconnect's INFO, then ROLE, was chosen before its INFO showed it on another history.
  const report = choose({ r2: obs('r2', { offset: 900 }), r3: obs('r3', { offset: 1000, replId: null }) });
  assert.equal(report.chosen, 'r2');
  assert.match(report.rows.find((r) => r.id === 'r3')?.reason ?? '', /history not known yet/);
  const alone = choose({ r2: null, r3: obs('r3', { replId: null }) });
  assert.equal(alone.chosen, null, 'no candidate: the failover waits for the INFO');
});

test('each rejection carries a code beside its words; an eligible row none', () => {
  const report = choose({
    r2: obs('r2', { offset: 990, replId: 'another-history' }),
    r3: null,
  });
  const code = (id: string) => report.rows.find((r) => r.id === id)?.rejected;
  assert.equal(code('r2'), 'off-history');
  assert.equal(code('r3'), 'unreachable');
  const linkDown = choose({
    r2: obs('r2', { linkUp: false, linkDownMs: 60_000 }),
    r3: obs('r3', { sdown: true }),
  });
  assert.equal(linkDown.rows.find((r) => r.id === 'r2')?.rejected, 'link-down');
  assert.equal(linkDown.rows.find((r) => r.id === 'r3')?.rejected, 'sdown');
  const fine = choose({ r2: obs('r2', { offset: 1000 }), r3: obs('r3', { offset: 1000 }) });
  assert.deepEqual(
    fine.rows.map((r) => [r.id, r.eligible, r.rejected]),
    [
      ['r2', true, null],
      ['r3', true, null],
    ],
  );
});
