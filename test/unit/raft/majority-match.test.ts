// majorityMatch (src/raft/progress.ts) picks the commit index and the lease round: the highest
// value that a quorum of voters have reached. It counts rather than sorts; this holds it to the
// sorted definition (the quorum-th largest) on every small cluster size, duplicates included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { majorityMatch, quorumSize } from '../../../src/raft/progress.js';

function bySorting(matches: readonly number[]): number {
  if (matches.length === 0) return 0;
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[quorumSize(sorted.length) - 1];
}

test('majorityMatch is the quorum-th largest match', () => {
  assert.equal(majorityMatch([]), 0);
  assert.equal(majorityMatch([7]), 7);
  assert.equal(majorityMatch([5, 9, 1]), 5);
  assert.equal(majorityMatch([3, 3, 1]), 3);
  assert.equal(majorityMatch([9, 1, 1, 9]), 1); // a quorum of 4 is 3
  assert.equal(majorityMatch([0, 4, 8, 2, 6]), 4);
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  for (let run = 0; run < 5000; run++) {
    const n = 1 + (next() % 9);
    const spread = 1 + (next() % 6); // small ranges: many ties
    const matches = Array.from({ length: n }, () => next() % spread);
    assert.equal(majorityMatch(matches), bySorting(matches), `matches ${matches.join(',')}`);
  }
});
