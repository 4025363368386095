// Discovery answers from the applied state of a node that calls its leader fresh
// (RaftRuntime.hasFreshLeader). A new leader's applied state may lack entries a previous leader
// committed until its own first entry commits (Raft paper section 8): a lease alone is not enough,
// or it answers GET-MASTER-ADDR-BY-NAME with the master before the last failover.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '../../src/raft/types.js';
import { handNode } from './hand-runtime.js';

test('a new leader is no fresh source for reads until its first entry is applied, lease or not', () => {
  const n1 = handNode('n1', ['n1', 'n2', 'n3']);
  n1.tick(20);
  const preVote = n1.runtime.status().term + 1;
  n1.deliver({ type: 'PreVoteResp', from: 'n2', to: 'n1', term: preVote, reject: false });
  const term = n1.runtime.status().term;
  n1.deliver({ type: 'VoteResp', from: 'n2', to: 'n1', term, reject: false });
  assert.equal(n1.runtime.status().role, 'leader');
  n1.tick(1);
  // n2 echoes every heartbeat (a lease) but the append of the leader's first entry goes unanswered.
  const echo = (): void => {
    for (const m of n1.sent.splice(0))
      if (m.type === 'Heartbeat')
        n1.deliver({ type: 'HeartbeatResp', from: m.to, to: 'n1', term, readCtx: m.readCtx, seq: m.seq });
  };
  echo();
  assert.equal(n1.runtime.leaseValid(), true, 'the lease holds');
  assert.equal(n1.runtime.hasFreshLeader(), false, 'not before its first entry is applied');
  const last = n1.runtime.status().lastIndex;
  const ack: Message = {
    type: 'AppResp',
    from: 'n2',
    to: 'n1',
    term,
    index: last,
    reject: false,
    hintIndex: 0,
    hintTerm: 0,
  };
  n1.deliver(ack);
  n1.tick(1);
  echo();
  assert.equal(n1.runtime.core.appliedIndex(), last);
  assert.equal(n1.runtime.hasFreshLeader(), true);
});
