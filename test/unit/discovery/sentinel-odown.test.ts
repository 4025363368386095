// The master's o_down flag (docs/design.md 5.1): set while a committed automatic failover has not
// promoted yet, cleared at Promoted (redis-py refuses a master flagged o_down, so clients asking
// between Promoted and FailoverEnded would find no master).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { masterRecord } from '../../../src/discovery/resp/records.js';
import { shardOf } from '../../../src/discovery/sentinel-source.js';
import type { InFlight, ShardState } from '../../../src/failover/types.js';
import { obs, topologyWithMaster } from '../failover/fixtures.js';

const base = topologyWithMaster().shards.m;

function inFlight(step: InFlight['step'], kind: InFlight['kind'] = 'failover'): InFlight {
  return {
    epoch: 2,
    kind,
    from: 'r1',
    to: 'r2',
    step,
    term: 1,
    detectedAt: 0,
    startedAt: 0,
    promotedAt: step === 'promoted' ? 1 : null,
    report: { selection: 'least-lag', masterOffset: null, chosen: 'r2', rows: [] },
  };
}

function flags(shard: ShardState): string {
  const s = shardOf(shard, (node) => obs(node), 3);
  const record = masterRecord(s, 2, false);
  return String(record.find(([k]) => k === 'flags')?.[1]);
}

test('o_down from FailoverStarted of an automatic failover until Promoted, never for a switchover', () => {
  assert.equal(flags(base), 'master');
  assert.match(flags({ ...base, failover: inFlight('started') }), /o_down/);
  assert.doesNotMatch(flags({ ...base, master: 'r2', failover: inFlight('promoted') }), /o_down/);
  assert.match(flags({ ...base, master: 'r2', failover: inFlight('promoted') }), /failover_in_progress/);
  assert.doesNotMatch(flags({ ...base, failover: inFlight('started', 'switchover') }), /o_down/);
});
