// Regression for deadlocks the simulator found (seeds 9324085, 9349014): after membership changes,
// the only voters with up-to-date logs needed the vote of a lagging node, which knew the
// candidate only as a learner (9324085) or not at all (9349014) and dropped its vote requests:
// no leader for good. A node answers (pre-)vote requests from anyone of the cluster, as etcd's
// raft does; TimeoutNow, which skips the lease, only from a member of its configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../src/raft/types.js';
import { loneNode } from './lone-runtime.js';

test('a lagging node answers the pre-votes of a learner and of a node it does not know; a stranger’s TimeoutNow is ignored', () => {
  const node = loneNode('n1', 11);
  const { sched, sent, deliver } = node;
  const runtime = node.start();
  // n2 leads term 2 and adds s1 as a learner; n1 applies it, then hears from nobody.
  deliver({
    type: 'App',
    from: 'n2',
    to: 'n1',
    term: 2,
    prevIndex: 1,
    prevTerm: 1,
    entries: [
      { index: 2, term: 2, kind: 'noop', data: '' },
      { index: 3, term: 2, kind: 'conf', data: JSON.stringify({ type: 'addLearner', id: 's1' }) },
    ],
    commit: 3,
  });
  deliver({ type: 'App', from: 'n2', to: 'n1', term: 2, prevIndex: 3, prevTerm: 2, entries: [], commit: 3 });
  assert.deepEqual(runtime.status().conf, { voters: ['n1', 'n2', 'n3'], learners: ['s1'] });
  // Past the check-quorum lease (no leader contact for an election timeout), well before n1's
  // own randomized timeout would let it campaign: pre-vote requests arrive.
  sched.runUntil(sched.now + 600, () => {});
  const from = sent.length;
  const preVote = (who: string): Message => ({
    type: 'PreVote',
    from: who,
    to: 'n1',
    term: 3,
    lastIndex: 9,
    lastTerm: 2,
  });
  deliver(preVote('s1'));
  deliver(preVote('x9'));
  const answers = sent.slice(from).filter((m) => m.type === 'PreVoteResp');
  assert.deepEqual(
    answers.map((m) => `${m.to} ${m.type === 'PreVoteResp' && m.reject ? 'rejected' : 'granted'}`),
    ['s1 granted', 'x9 granted'],
  );
  const term = runtime.status().term;
  deliver({ type: 'TimeoutNow', from: 'x9', to: 'n1', term });
  sched.runUntil(sched.now + 10, () => {});
  assert.equal(runtime.status().role, 'follower', 'no campaign on a stranger’s TimeoutNow');
  assert.ok(!sent.slice(from).some((m) => m.type === 'Vote'));
});
