// One rule for "this member is up" (/v1/cluster healthy, SENTINEL SENTINELS and +sentinel): a
// follower sees another follower only through the leader's digest, read up to a digest period
// after it was sent. Regression: SENTINEL SENTINELS compared with the election timeout alone, so
// a follower whose checks fell late in the leader's digest period never saw the other follower
// up, and never logged its +sentinel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEALTH_DIGEST_MS, heardRecently } from '../../../src/node/member-health.js';

test('up within an election timeout plus one digest period, not after; never heard: not up', () => {
  const electionMs = 1000;
  assert.equal(heardRecently(0, electionMs), true);
  // A follower's contact with another: the leader's age of it (one heartbeat, 200 ms) plus the
  // time since the digest came (up to a digest period).
  assert.equal(heardRecently(200 + HEALTH_DIGEST_MS - 1, electionMs), true);
  assert.equal(heardRecently(electionMs + HEALTH_DIGEST_MS, electionMs), true);
  assert.equal(heardRecently(electionMs + HEALTH_DIGEST_MS + 1, electionMs), false);
  assert.equal(heardRecently(null, electionMs), false);
});
