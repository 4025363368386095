// A follower that acknowledged a leader's heartbeat grants no vote for an election timeout
// after it, whatever happens to its term meanwhile: the leader's lease counts on that promise.
// Simulator seed 9960949 broke it: n1, a pre-candidate, granted n2's pre-vote, then heard the
// leader n3 and echoed its heartbeat, then n2 (a candidate by then) rejected n1's own pre-vote
// in term 15; that answer moved n1 to term 15 with no leader, and n1 voted for n2 3 ms after
// the echo, while n3 still held a lease resting on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '../../src/raft/types.js';
import { handNode } from './hand-runtime.js';

test('no vote within an election timeout of an echoed heartbeat, even in a term a rejected pre-vote brought', () => {
  const n1 = handNode('n1', ['n1', 'n2', 'n3']);
  const votes = (): Message[] => n1.sent.filter((m) => m.type === 'VoteResp' && !m.reject);
  // No leader heard: n1's election timer runs out and it asks for pre-votes in term 2.
  n1.tick(20);
  assert.equal(n1.runtime.status().role, 'pre-candidate');
  // n2's pre-vote for term 2 is granted; n2 goes on to campaign.
  n1.deliver({ type: 'PreVote', from: 'n2', to: 'n1', term: 2, lastIndex: 1000, lastTerm: 1 });
  // The leader of term 1 is heard after all: n1 follows it and echoes its heartbeat.
  n1.deliver({ type: 'Heartbeat', from: 'n3', to: 'n1', term: 1, commit: 0, readCtx: 0, seq: 1 });
  assert.equal(n1.runtime.status().leader, 'n3');
  assert.ok(
    n1.sent.some((m) => m.type === 'HeartbeatResp' && m.to === 'n3'),
    'n1 echoed the heartbeat',
  );
  // n2, a candidate in term 2 now, rejects n1's pre-vote: n1 moves to term 2 and forgets n3.
  n1.clock.t += 2;
  n1.deliver({ type: 'PreVoteResp', from: 'n2', to: 'n1', term: 2, reject: true });
  assert.equal(n1.runtime.status().term, 2);
  n1.clock.t += 1;
  n1.deliver({ type: 'Vote', from: 'n2', to: 'n1', term: 2, lastIndex: 1000, lastTerm: 1 });
  assert.deepEqual(votes(), [], 'no vote 3 ms after the echoed heartbeat');
  // An election timeout after the echo, with no leader heard since, the promise has run out.
  n1.tick(10);
  n1.deliver({ type: 'Vote', from: 'n2', to: 'n1', term: 2, lastIndex: 1000, lastTerm: 1 });
  assert.equal(votes().length, 1, 'the vote is granted once the window has passed');
});
