// Regression for a lost proposal the simulator found (seed 904163): a leader proposed entries,
// lost its leadership before they committed, had them truncated, won again and proposed at the
// same indexes. The runtime replaced the earlier proposals' callbacks without calling them, so
// the failover driver waited for ever for its bootstrapShards proposal and the cluster never
// got its shards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loneNode } from './lone-runtime.js';

test('a proposal truncated before it committed is failed when its index is proposed again', () => {
  const node = loneNode('n1', 7);
  const { sched, sent, deliver } = node;
  const runtime = node.start();
  /** n1 times out and n2 grants whatever it asks (pre-vote, then vote) until n1 leads. */
  let answered = 0;
  const elect = (): void => {
    for (let ms = 0; ms < 5000 && runtime.status().role !== 'leader'; ms += 10) {
      sched.runUntil(sched.now + 10, () => {});
      while (answered < sent.length) {
        const m = sent[answered++];
        if ((m.type === 'PreVote' || m.type === 'Vote') && m.to === 'n2')
          deliver({ type: `${m.type}Resp`, from: 'n2', to: 'n1', term: m.term, reject: false });
      }
    }
    assert.equal(runtime.status().role, 'leader');
  };
  const outcome = new Map<string, string>();
  const propose = (name: string): void =>
    runtime.propose(name, (err) => outcome.set(name, err ? `failed: ${err.message}` : 'committed'));

  elect();
  const term = runtime.status().term;
  propose('a'); // index 3, after the bootstrap entry and the no-op
  propose('b'); // index 4
  sched.runUntil(sched.now + 1, () => {});
  assert.equal(runtime.status().lastIndex, 4);
  // n2 leads a later term; its no-op at index 2 overwrites n1's suffix, nothing committed past 1.
  deliver({
    type: 'App',
    from: 'n2',
    to: 'n1',
    term: term + 1,
    prevIndex: 1,
    prevTerm: 1,
    entries: [{ index: 2, term: term + 1, kind: 'noop', data: '' }],
    commit: 1,
  });
  assert.equal(runtime.status().lastIndex, 2, 'the uncommitted suffix was truncated');
  assert.deepEqual([...outcome], [], 'nothing known yet: index 3 and 4 were never applied');

  elect(); // no-op at index 3
  propose('c'); // index 4 again
  assert.equal(
    outcome.get('b'),
    'failed: the proposal lost to another leader',
    'the proposal at index 4 that c replaced heard that it lost',
  );
});
