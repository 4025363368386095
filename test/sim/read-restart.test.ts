// Regression for a stale read the simulator found: a follower asked the leader for a read
// index, restarted, and asked again; the leader's answer to the first request arrived after
// the second was sent and released it, because both processes had numbered their reads from 1.
// The read then returned a value older than a write acknowledged before it began.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, ReadIndexRequest } from '../../src/raft/types.js';
import { loneNode } from './lone-runtime.js';

test('a read index answered to the previous process does not release a read after a restart', () => {
  // Each process gets its own randomness, as each real process does.
  const node = loneNode('n2', 1001);
  const { sched, sent, deliver } = node;
  const startProcess = node.start;
  // Lets the runtime's deferred work (its drain) run.
  const settle = (): void => sched.runUntil(sched.now + 1, () => {});
  const heartbeat: Message = {
    type: 'Heartbeat',
    from: 'n1',
    to: 'n2',
    term: 2,
    commit: 1,
    readCtx: 0,
    seq: 1,
  };
  const lastReadRequest = (): ReadIndexRequest => {
    const m = sent.filter((x): x is ReadIndexRequest => x.type === 'ReadIndex').at(-1);
    assert.ok(m, 'the follower asked the leader for a read index');
    return m;
  };

  const first = startProcess();
  deliver(heartbeat);
  first.readIndex(() => {});
  settle();
  const oldRequest = lastReadRequest();
  first.stop(); // the process dies; its request is still on its way to the leader

  const second = startProcess();
  deliver(heartbeat);
  let answered: { err: unknown; index?: number } | null = null;
  second.readIndex((err, index) => {
    answered = { err, index };
  });
  settle();
  const newRequest = lastReadRequest();

  // The leader's answer to the old request, from before a write the new read must see.
  deliver({ type: 'ReadIndexResp', from: 'n1', to: 'n2', term: 2, readId: oldRequest.readId, index: 1 });
  assert.equal(answered, null, 'an answer to the previous process released the new read');

  deliver({ type: 'ReadIndexResp', from: 'n1', to: 'n2', term: 2, readId: newRequest.readId, index: 1 });
  assert.deepEqual(answered, { err: null, index: 1 });
});
