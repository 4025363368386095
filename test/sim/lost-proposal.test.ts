// Regression for a lost proposal the simulator found (seed 904163): a leader proposed entries,
// lost its leadership before they committed, had them truncated, won again and proposed at the
// same indexes. The runtime replaced the earlier proposals' callbacks without calling them, so
// the failover driver waited for ever for its bootstrapShards proposal and the cluster never
// got its shards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../src/raft/types.js';
import { RaftRuntime } from '../../src/runtime/raft-runtime.js';
import { silentLogger } from '../../src/util/log.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimStorage } from './sim-storage.js';

test('a proposal truncated before it committed is failed when its index is proposed again', () => {
  const sched = new Scheduler();
  const sent: Message[] = [];
  let handler: ((m: Message) => void) | null = null;
  const random = new Prng(7);
  const runtime = new RaftRuntime({
    id: 'n1',
    timing: { tickMs: 50, electionTicks: 10, heartbeatTicks: 1, snapshotEntries: 1000 },
    storage: new SimStorage(),
    transport: {
      send: (m) => sent.push(m),
      onMessage: (h) => {
        handler = h;
      },
      setMembers: () => {},
      close: async () => {},
    },
    clock: sched.clockFor(() => true),
    stateMachine: { apply: () => undefined, snapshot: () => '', restore: () => {} },
    random: () => random.float(),
    logger: silentLogger(),
    bootstrap: { voters: ['n1', 'n2', 'n3'] },
  });
  runtime.start();
  const deliver = (m: Message): void => {
    handler?.(m);
    sched.runUntil(sched.now + 1, () => {});
  };
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
