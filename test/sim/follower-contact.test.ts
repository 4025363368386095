// A follower's contact with a majority (RaftRuntime.msSinceMajorityContact: the sidecar fence;
// hasFreshLeader: discovery reads) is dated by the heartbeat round its leader's lease rests on
// (Heartbeat.quorumSeq), not by the leader's latest message. In a 5-node cluster cut {n1 leader,
// n2} | {n3, n4, n5}, n1 goes on sending heartbeats to n2 until check-quorum deposes it (up to
// two election timeouts); counted as contact, they held n2's fence off while the majority side
// elected a leader and could publish another master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Heartbeat } from '../../src/raft/types.js';
import { handNode, type HandNode } from './hand-runtime.js';

const VOTERS = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Heartbeats of the leader n1 (term 1) to n2, numbered from 1; `fields` add to them. */
function leaderN1(n2: HandNode) {
  let seq = 0;
  return {
    /** The number of the last heartbeat sent. */
    get seq(): number {
      return seq;
    },
    heartbeat(fields: Partial<Pick<Heartbeat, 'commit' | 'quorumSeq' | 'leaderCommit'>> = {}): void {
      seq++;
      n2.deliver({ type: 'Heartbeat', from: 'n1', to: 'n2', term: 1, commit: 0, readCtx: 0, seq, ...fields });
    },
  };
}

test("a leader whose quorum round stops advancing stops renewing its followers' majority contact", () => {
  const n2 = handNode('n2', VOTERS);
  const n1 = leaderN1(n2);
  // Healthy: each heartbeat names the round before it as echoed by a quorum.
  for (let i = 0; i < 10; i++) {
    n1.heartbeat({ quorumSeq: n1.seq });
    n2.tick(1);
  }
  assert.ok(n2.runtime.msSinceMajorityContact() <= 100, `${n2.runtime.msSinceMajorityContact()} ms`);
  assert.equal(n2.runtime.hasFreshLeader(), true);
  // The cut: n1 still sends every 50 ms, but no round after seq 10 is echoed by a quorum.
  const lastQuorum = n1.seq;
  const cutAt = n2.clock.now();
  for (let i = 0; i < 16; i++) {
    n1.heartbeat({ quorumSeq: lastQuorum });
    n2.tick(1);
  }
  const age = n2.runtime.msSinceMajorityContact();
  assert.ok(
    age >= n2.clock.now() - cutAt,
    `contact dated ${age} ms ago, the cut was ${n2.clock.now() - cutAt} ms ago`,
  );
  assert.equal(n2.runtime.hasFreshLeader(), false, 'no fresh reads on a deposed leader');
  // The quorum is back: contact is current again.
  n1.heartbeat({ quorumSeq: n1.seq });
  assert.ok(n2.runtime.msSinceMajorityContact() <= 50);
  assert.equal(n2.runtime.hasFreshLeader(), true);
});

test('a leader of an older version names no quorum round: its every message counts, as before', () => {
  const n2 = handNode('n2', VOTERS);
  const n1 = leaderN1(n2);
  for (let i = 0; i < 20; i++) {
    n1.heartbeat();
    n2.tick(1);
  }
  assert.ok(n2.runtime.msSinceMajorityContact() <= 50);
});

test('a follower that hears the leader before it holds what the leader committed is no fresh source for reads', () => {
  const n2 = handNode('n2', VOTERS);
  const { lastIndex, lastTerm } = n2.runtime.status();
  const leaderCommit = lastIndex + 3;
  const n1 = leaderN1(n2);
  // Each heartbeat names its own round as echoed by a quorum: the leader is backed.
  const heartbeat = (commit: number): void => n1.heartbeat({ commit, quorumSeq: n1.seq + 1, leaderCommit });
  // Rejoining after a partition: the leader is heard, but the 3 entries committed meanwhile are
  // not here yet (the heartbeat's commit is capped at what the leader knows this node holds).
  heartbeat(lastIndex);
  heartbeat(lastIndex);
  assert.equal(n2.runtime.msSinceMajorityContact(), 0);
  assert.equal(n2.runtime.hasFreshLeader(), false);
  const entries = [1, 2, 3].map((i) => ({
    index: lastIndex + i,
    term: 1,
    kind: 'normal' as const,
    data: '',
  }));
  n2.deliver({
    type: 'App',
    from: 'n1',
    to: 'n2',
    term: 1,
    prevIndex: lastIndex,
    prevTerm: lastTerm,
    entries,
    commit: leaderCommit,
  });
  assert.equal(n2.runtime.hasFreshLeader(), true);
});
