// A follower's driver tells a new Raft leader everything it sees as soon as it learns of it,
// not at its next periodic digest (driver.ts leaderKnown): after the loss of the leader, the
// failover waits for a quorum of observations at the new one. And a leader's table holds only
// reports sent to it in its current term (driver.ts startLeading, receiveObservations).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailoverDriver } from '../../../src/failover/driver.js';
import { OBSERVATIONS_PER_PIECE } from '../../../src/failover/observation-sharing.js';
import type { ProbeSource } from '../../../src/failover/ports.js';
import { emptyTopology } from '../../../src/failover/topology.js';
import type { RedisObservation } from '../../../src/failover/types.js';
import type { RaftStatus } from '../../../src/raft/raft.js';
import type { RaftRuntime } from '../../../src/runtime/raft-runtime.js';
import type { Cancel, Clock } from '../../../src/runtime/ports.js';
import { silentLogger } from '../../../src/util/log.js';
import { down, obs } from './fixtures.js';

/** A clock that runs nothing by itself: `defer`red work runs on flush(), timers never. */
class StillClock implements Clock {
  private deferred: (() => void)[] = [];
  now(): number {
    return 0;
  }
  every(): Cancel {
    return () => {};
  }
  after(): Cancel {
    return () => {};
  }
  defer(fn: () => void): void {
    this.deferred.push(fn);
  }
  flush(): void {
    const run = this.deferred;
    this.deferred = [];
    for (const fn of run) fn();
  }
}

/** The follower n3, its Raft status set by the test; a soft-state change is told to the driver. */
function follower(
  seen: RedisObservation[] = [down('r1'), obs('r2'), obs('r3')],
  extra: Partial<ProbeSource> = {},
) {
  const conf = { voters: ['n1', 'n2', 'n3'], learners: [] };
  let status = {
    id: 'n3',
    term: 2,
    role: 'follower',
    leader: 'n1',
    commit: 0,
    conf,
  } as unknown as RaftStatus;
  const listeners: ((s: RaftStatus) => void)[] = [];
  const runtime = {
    status: () => status,
    onSoftState: (l: (s: RaftStatus) => void) => listeners.push(l),
    leaseValid: () => false,
    // The driver reads the core's fields where it needs no whole status.
    core: {
      get role() {
        return status.role;
      },
      get leader() {
        return status.leader;
      },
      get term() {
        return status.term;
      },
      conf,
      commitIndex: () => status.commit,
      termAt: () => 0,
    },
  } as unknown as RaftRuntime;
  const sent: { to: string; observations: RedisObservation[]; term: unknown }[] = [];
  const handlers = new Map<string, (from: string, body: unknown) => void>();
  const prober: ProbeSource = {
    setTargets: () => {},
    observations: () => seen,
    onChange: () => {},
    ...extra,
  };
  const clock = new StillClock();
  const driver = new FailoverDriver({
    selfId: 'n3',
    configuredShards: [],
    credentials: () => ({ auth: null, tls: null }),
    runtime,
    topology: () => emptyTopology(),
    onTopology: () => {},
    prober,
    admin: { execute: () => {} },
    channel: {
      sendEnvelope: (to, kind, body) => {
        const { observations, term } = body as { observations: RedisObservation[]; term: unknown };
        if (kind === 'obs') sent.push({ to, observations, term });
        return true;
      },
      onEnvelope: (kind, handler) => handlers.set(kind, handler),
    },
    logger: silentLogger(),
    clock,
  });
  driver.start();
  const become = (fields: Partial<Record<'term' | 'leader' | 'role', unknown>>): void => {
    status = { ...status, ...fields } as RaftStatus;
    for (const l of listeners) l(status);
  };
  /** A report from another raftinel node arrives, naming the term it was sent in. */
  const receive = (from: string, observations: RedisObservation[], term?: number): void =>
    handlers.get('obs')?.(from, term === undefined ? { observations } : { observations, term });
  return { sent, clock, become, seen, driver, receive };
}

test('a follower sends its whole view to a new leader as soon as it learns of it', () => {
  const f = follower();
  f.become({ term: 3, leader: null, role: 'candidate' });
  f.clock.flush();
  assert.equal(f.sent.length, 0, 'no leader known: nothing to send to');
  f.become({ term: 3, leader: 'n2', role: 'follower' });
  f.clock.flush();
  assert.deepEqual(
    f.sent.map((x) => x.to),
    ['n2'],
  );
  assert.deepEqual(f.sent[0].observations, f.seen, 'every observation, the master down among them');
  // The same leader and term again (a role change of this node): not again.
  f.become({ role: 'follower' });
  f.clock.flush();
  assert.equal(f.sent.length, 1);
});

test('the same node leading a new term gets it again (it may have restarted with nothing)', () => {
  const f = follower();
  f.become({ term: 4, leader: 'n1' });
  f.clock.flush();
  assert.deepEqual(
    f.sent.map((x) => x.to),
    ['n1'],
  );
});

test('a node that becomes leader itself sends nothing', () => {
  const f = follower();
  f.become({ term: 5, leader: 'n3', role: 'leader' });
  f.clock.flush();
  assert.equal(f.sent.length, 0);
});

// Issue 12: a receiver drops an envelope of more than 10 000 observations whole, so a large
// fleet's digest must arrive in bounded pieces, every observation in one of them.
test('a digest of 20 000 observations is sent in bounded pieces, none dropped', () => {
  const many = Array.from({ length: 20_000 }, (_, i) => obs(`r${i + 1}`));
  const f = follower(many);
  f.become({ term: 6, leader: 'n2' });
  f.clock.flush();
  assert.equal(f.sent.length, 20_000 / OBSERVATIONS_PER_PIECE);
  for (const piece of f.sent) {
    assert.equal(piece.to, 'n2');
    assert.ok(piece.observations.length <= OBSERVATIONS_PER_PIECE && piece.observations.length <= 10_000);
  }
  assert.deepEqual(
    f.sent.flatMap((p) => p.observations),
    many,
  );
});

// Issue 12: discovery asks for one node at a time (SENTINEL MASTERS, /v1/shards, /metrics); a
// full evaluation of every probe per node made a request quadratic in the fleet.
test('ownView asks the prober for the one node, never for every observation', () => {
  let full = 0;
  const single: string[] = [];
  const seen = [obs('r1'), obs('r2')];
  const f = follower(seen, {
    observations: () => {
      full++;
      return seen;
    },
    observation: (shard, node) => {
      single.push(`${shard}/${node}`);
      return seen.find((o) => o.shard === shard && o.node === node) ?? null;
    },
  });
  for (let i = 0; i < 100; i++) assert.equal(f.driver.ownView('m', 'r2'), seen[1]);
  assert.equal(f.driver.ownView('m', 'nope'), null);
  assert.equal(full, 0);
  assert.equal(single.length, 101);
});

test('a follower names the term of the leader it reports to', () => {
  const f = follower();
  f.become({ term: 4, leader: 'n1' });
  f.clock.flush();
  assert.deepEqual(
    f.sent.map((x) => x.term),
    [4],
  );
});

test("a new term of leadership starts without the reports of this node's earlier term", () => {
  // n3 led term 5 and heard n1 see r2 on the old history; n1 told its changes since to the
  // leader of term 6. Kept into term 7, that report would pass for current (sim seed 7009644).
  const f = follower();
  f.become({ term: 5, leader: 'n3', role: 'leader' });
  f.receive('n1', [obs('r2', { replId: 'hist-old' })], 5);
  assert.deepEqual(
    f.driver.sightings('m', 'r2').map((s) => s.observer),
    ['n1'],
    'a report of the current term is taken',
  );
  f.become({ term: 6, leader: 'n2', role: 'follower' });
  f.become({ term: 7, leader: 'n3', role: 'leader' });
  assert.deepEqual(f.driver.sightings('m', 'r2'), [], 'the report of term 5 is gone in term 7');
  f.receive('n1', [obs('r2', { replId: 'hist-new' })], 7);
  assert.equal(f.driver.observationsOf('m', 'r2')?.replId, 'hist-new');
});

test('a report sent to another term is dropped; one that names no term (an older node) is taken', () => {
  const f = follower();
  f.become({ term: 5, leader: 'n3', role: 'leader' });
  // Sent to n3 as the leader of term 2, delivered late.
  f.receive('n1', [obs('r2', { replId: 'hist-old' })], 2);
  assert.deepEqual(f.driver.sightings('m', 'r2'), []);
  f.receive('n2', [obs('r2')]);
  assert.deepEqual(
    f.driver.sightings('m', 'r2').map((s) => s.observer),
    ['n2'],
  );
});
