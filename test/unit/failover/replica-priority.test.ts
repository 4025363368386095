// A replica's own replica-priority (docs/design.md 4.3), read from its INFO as Sentinel reads it:
// 0 means never promote, whatever raftinel's config says of the node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseCandidate } from '../../../src/failover/select.js';
import { meaningfullyDifferent } from '../../../src/monitor/observe.js';
import { parseInfo } from '../../../src/monitor/parse.js';
import { replicaInfo } from '../monitor/samples.js';
import { obs, topologyWithMaster } from './fixtures.js';

test('INFO slave_priority (Redis) and replica_priority are read; a master has none', () => {
  const text = replicaInfo as string;
  const parsed = (info: string) => {
    const r = parseInfo(info);
    assert.ok(r.ok, JSON.stringify(r));
    return r.value.replicaPriority;
  };
  assert.equal(parsed(text), 100);
  assert.equal(parsed(text.replace('slave_priority:100', 'slave_priority:0')), 0);
  assert.equal(parsed(text.replace('slave_priority:100', 'replica_priority:7')), 7);
  assert.equal(parsed(text.replace('slave_priority:100\r\n', '')), null);
  assert.equal(parseInfo(text.replace('slave_priority:100', 'slave_priority:x')).ok, false);
});

test('a replica whose own INFO says replica-priority 0 is rejected with its own reason', () => {
  const shard = topologyWithMaster().shards.m;
  const report = chooseCandidate({
    shard,
    from: 'r1',
    views: new Map([
      ['r2', obs('r2', { offset: 1000, replicaPriority: 0 })],
      ['r3', obs('r3', { offset: 900, replicaPriority: 100 })],
    ]),
    masterOffset: 1000,
    maxLinkDownMs: 10_000,
  });
  assert.equal(report.chosen, 'r3', 'the most advanced replica is skipped');
  const r2 = report.rows.find((r) => r.id === 'r2');
  assert.equal(r2?.eligible, false);
  assert.match(r2?.reason ?? '', /replica-priority 0 in its own INFO/);
  // Unknown (a master, an older peer's report) is not 0: no rejection.
  const unknown = chooseCandidate({
    shard,
    from: 'r1',
    views: new Map([['r2', obs('r2', { offset: 1000, replicaPriority: null })]]),
    masterOffset: 1000,
    maxLinkDownMs: 10_000,
  });
  assert.equal(unknown.chosen, 'r2');
});

test('a change of replica-priority is news for the leader', () => {
  const a = obs('r2', { replicaPriority: 100 });
  assert.equal(meaningfullyDifferent(a, { ...a, replicaPriority: 0 }), true);
  assert.equal(meaningfullyDifferent(a, { ...a }), false);
});
