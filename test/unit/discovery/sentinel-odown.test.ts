// The master's o_down flag (docs/design.md 5.1): set while a committed automatic failover has not
// promoted yet, cleared at Promoted (redis-py refuses a master flagged o_down, so clients asking
// between Promoted and FailoverEnded would find no master).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shardNodeStates } from '../../../src/discovery/node-state.js';
import { masterRecord } from '../../../src/discovery/resp/records.js';
import { shardOf } from '../../../src/discovery/sentinel-source.js';
import type { ShardState } from '../../../src/failover/types.js';
import { inFlight, obs, topologyWithMaster } from '../failover/fixtures.js';

const base = topologyWithMaster().shards.m;

function flags(shard: ShardState): string {
  const states = shardNodeStates({
    shard,
    pausedAll: false,
    own: (node) => obs(node),
    sdownBy: () => null,
    quorum: 2,
    selfId: 'n1',
    wallNow: 0,
  });
  const s = shardOf(shard, states, 3);
  const record = masterRecord(s, 2, false);
  return String(record.find(([k]) => k === 'flags')?.[1]);
}

test('o_down from FailoverStarted of an automatic failover until Promoted, never for a switchover', () => {
  assert.equal(flags(base), 'master');
  assert.match(flags({ ...base, failover: inFlight('started', { epoch: 2 }) }), /o_down/);
  assert.doesNotMatch(
    flags({ ...base, master: 'r2', failover: inFlight('promoted', { epoch: 2 }) }),
    /o_down/,
  );
  assert.match(
    flags({ ...base, master: 'r2', failover: inFlight('promoted', { epoch: 2 }) }),
    /failover_in_progress/,
  );
  assert.doesNotMatch(
    flags({ ...base, failover: inFlight('started', { epoch: 2, kind: 'switchover' }) }),
    /o_down/,
  );
});
