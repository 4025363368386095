// A follower whose tick timer is overdue when a leader's heartbeat arrives (a late timer, a
// process that was stopped) must count the owed ticks before the heartbeat, not after: counted
// after, they age the heartbeat it just acknowledged by the time it was asleep, and it grants a
// vote inside the window the leader's lease relies on (simulator seed 9900541: a vote 90 ms
// after the acknowledged heartbeat, while the old leader still held its lease).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handNode } from './hand-runtime.js';

test('ticks owed when a heartbeat arrives are counted before it: no vote inside the lease window', () => {
  const { runtime, clock, sent, deliver, tick } = handNode('n3', ['n1', 'n2', 'n3']);
  let seq = 0;
  const heartbeat = (): void =>
    deliver({ type: 'Heartbeat', from: 'n1', to: 'n3', term: 1, commit: 0, readCtx: 0, seq: ++seq });
  // n3 follows n1 in term 1, its timer on time.
  for (let i = 0; i < 30; i++) {
    tick();
    heartbeat();
  }
  assert.equal(runtime.status().leader, 'n1');
  // The timer is 600 ms overdue (twelve ticks) when the next heartbeat arrives; then it fires.
  clock.t += 600;
  heartbeat();
  clock.fire();
  const acked = sent.filter((m) => m.type === 'HeartbeatResp').length;
  assert.ok(acked >= 31, 'n3 acknowledged the heartbeat');
  // 20 ms later another node asks for a vote in term 2.
  clock.t += 20;
  sent.length = 0;
  deliver({ type: 'Vote', from: 'n2', to: 'n3', term: 2, lastIndex: 1000, lastTerm: 1 });
  const granted = sent.filter((m) => m.type === 'VoteResp' && !m.reject);
  assert.deepEqual(granted, [], 'no vote 20 ms after a heartbeat it acknowledged');
  assert.equal(runtime.status().term, 1, 'the request is ignored: the leader is live');
});
