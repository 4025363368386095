import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Classified } from '../../../src/monitor/classify.js';
import {
  initialState,
  isUnsure,
  meaningfullyDifferent,
  observe,
  onConnected,
  onDisconnected,
  onInfoError,
  onInfoReply,
  onProbeError,
  onRoleReply,
  roleMoved,
  syncedSinceInfo,
  type ObserveInput,
  type ProbeState,
  type Stall,
} from '../../../src/monitor/observe.js';
import * as sample from './samples.js';

const DOWN = 500;
const PING = 100;

function view(state: ProbeState, now: number, extra: Partial<ObserveInput> = {}) {
  return observe({
    shard: 's1',
    node: 'n1',
    isMaster: false,
    downAfterMs: DOWN,
    pingIntervalMs: PING,
    now,
    state,
    stalls: [],
    ...extra,
  });
}

/** A connection opened at t=0 with INFO then ROLE answered, as the prober does it. */
function connected(info: unknown, role: unknown, at = 10): ProbeState {
  let s = onConnected(initialState(0));
  s = onInfoReply(s, info, at);
  return onRoleReply(s, role, at + 1);
}

const alive: Classified = { kind: 'alive', reason: 'LOADING Redis is loading the dataset in memory' };
const auth: Classified = {
  kind: 'fault',
  reason: 'AUTH refused: WRONGPASS invalid username-password pair or user is disabled.',
};
const refused: Classified = { kind: 'transport', reason: 'connect ECONNREFUSED 127.0.0.1:1' };

describe('observe: a healthy master and replica', () => {
  test('master: role, offset from ROLE, replication and run ids from INFO', () => {
    const o = view(connected(sample.masterInfo, sample.masterRole), 20);
    assert.equal(o.role, 'master');
    assert.equal(o.offset, 338);
    assert.equal(o.replId, '838b3928e0b0aaed61c9ea4d12c5651fab8b4665');
    assert.equal(o.runId, '60f1f9c202def34a46fcdb34fcb268440320d1c0');
    assert.equal(o.sdown, false);
    assert.equal(o.reachable, true);
    assert.equal(o.linkUp, null);
    assert.equal(o.error, null);
    assert.equal(o.lastOkAgoMs, 9);
  });

  test('replica: master address, link up, processed offset, the master’s replication id', () => {
    const o = view(connected(sample.replicaInfo, sample.replicaRole), 20);
    assert.equal(o.role, 'slave');
    assert.equal(o.masterHost, '127.0.0.1');
    assert.equal(o.masterPort, (sample.replicaRole as unknown[])[2]);
    assert.equal(o.linkUp, true);
    assert.equal(o.linkDownMs, null);
    assert.equal(o.offset, 338);
    assert.equal(o.replId, view(connected(sample.masterInfo, sample.masterRole), 20).replId);
  });
});

describe('observe: sdown', () => {
  test('no valid reply for downAfterMs makes it sdown; reachable goes first', () => {
    const s = connected(sample.masterInfo, sample.masterRole, 10); // last ok at 11
    assert.equal(view(s, 11 + 300).reachable, true);
    assert.equal(view(s, 11 + 301).reachable, false);
    assert.equal(view(s, 11 + DOWN - 1).sdown, false);
    assert.equal(view(s, 11 + DOWN).sdown, true);
  });

  test('a node never heard from is sdown downAfterMs after probing began', () => {
    const s = initialState(1000);
    assert.equal(view(s, 1000 + DOWN - 1).sdown, false);
    const o = view(s, 1000 + DOWN);
    assert.equal(o.sdown, true);
    assert.equal(o.reachable, false);
    assert.equal(o.lastOkAgoMs, null);
    assert.equal(o.role, 'unknown');
  });

  test('-LOADING and -MASTERDOWN count as valid replies', () => {
    let s = connected(sample.masterInfo, sample.masterRole, 10);
    s = onProbeError(s, alive, 400);
    assert.equal(view(s, 800).sdown, false);
    assert.equal(view(s, 900).sdown, true);
  });

  test('a connection closed keeps the last known role and offset, but not reachable', () => {
    const s = onDisconnected(connected(sample.masterInfo, sample.masterRole, 10));
    const o = view(s, 20);
    assert.equal(o.reachable, false);
    assert.equal(o.role, 'master');
    assert.equal(o.offset, 338);
    assert.equal(o.sdown, false);
  });

  test('the committed master reporting role slave is sdown at once', () => {
    const s = connected(sample.replicaInfo, sample.replicaRole);
    assert.equal(view(s, 20, { isMaster: false }).sdown, false);
    assert.equal(view(s, 20, { isMaster: true }).sdown, true);
    assert.equal(view(s, 20, { isMaster: true }).reachable, true);
  });

  test('garbage is not a valid reply: sdown after downAfterMs, with the reason', () => {
    let s = onConnected(initialState(0));
    s = onRoleReply(s, 'HELLO WORLD', 50);
    const o = view(s, DOWN);
    assert.equal(o.sdown, true);
    assert.match(o.error ?? '', /^garbage reply: ROLE reply is "HELLO WORLD"/);
  });
});

describe('observe: errors', () => {
  test('AUTH refused is reported; a valid ROLE clears it', () => {
    let s = onProbeError(onConnected(initialState(0)), auth, 5);
    assert.match(view(s, 10).error ?? '', /^AUTH refused/);
    s = onRoleReply(s, sample.masterRole, 20);
    assert.equal(view(s, 30).error, null);
  });

  test('transport errors are silence, not errors', () => {
    const s = onProbeError(initialState(0), refused, 5);
    assert.equal(view(s, 10).error, null);
  });

  test('a Sentinel at the address: unknown role with the reason', () => {
    const s = onRoleReply(onConnected(initialState(0)), sample.sentinelRole, 5);
    const o = view(s, 10);
    assert.equal(o.role, 'unknown');
    assert.match(o.error ?? '', /^unknown role: .*Sentinel/);
  });

  test('an INFO error is reported until a valid INFO', () => {
    let s = connected(sample.masterInfo, sample.masterRole);
    s = onInfoReply(s, 'role:master\r\nrun_id:nope\r\n', 30);
    assert.match(view(s, 40).error ?? '', /^garbage INFO: .*run_id/);
    s = onInfoError(s, { kind: 'fault', reason: 'permission denied: NOPERM' });
    assert.equal(view(s, 40).error, 'permission denied: NOPERM');
    s = onInfoReply(s, sample.masterInfo, 50);
    assert.equal(view(s, 60).error, null);
  });
});

describe('observe: a replica whose master died', () => {
  test('ROLE says offset -1: the offset comes from INFO (slave_repl_offset), link down', () => {
    let s = connected(sample.replicaInfo, sample.replicaRole, 10);
    s = onRoleReply(s, sample.linkDownRole, 100);
    let o = view(s, 100);
    assert.equal(o.linkUp, false);
    assert.equal(o.offset, 338); // from the INFO taken while the link was up
    assert.equal(o.linkDownMs, 0);
    s = onInfoReply(s, sample.linkDownInfo, 120); // master_link_down_since_seconds:3
    o = view(s, 220);
    assert.equal(o.offset, 338);
    assert.equal(o.linkDownMs, 3100); // an INFO taken after we last saw the link up is trusted
    assert.equal(o.replId, '838b3928e0b0aaed61c9ea4d12c5651fab8b4665');
  });

  test('linkDownMs counts from INFO when the link was down before we connected', () => {
    const s = connected(sample.linkDownInfo, sample.linkDownRole, 10);
    assert.equal(view(s, 1011).linkDownMs, 3000 + 1001);
  });

  test('a link that was never up: counted from our first sighting', () => {
    const s = connected(sample.neverConnectedInfo, sample.neverConnectedRole, 10);
    assert.equal(view(s, 511).linkDownMs, 500);
    assert.equal(view(s, 511).offset, 1);
  });

  test('the link coming back clears linkDownMs', () => {
    let s = connected(sample.linkDownInfo, sample.linkDownRole, 10);
    s = onRoleReply(s, sample.replicaRole, 50);
    assert.equal(view(s, 60).linkUp, true);
    assert.equal(view(s, 60).linkDownMs, null);
  });
});

describe('observe: consistency between ROLE and INFO', () => {
  test('after a promotion, the old INFO’s replication id is not reported as the new one', () => {
    let s = connected(sample.linkDownInfo, sample.linkDownRole, 10);
    const before = s.role;
    s = onRoleReply(s, sample.promotedRole, 100);
    assert.equal(roleMoved(before, s.role), true);
    let o = view(s, 110);
    assert.equal(o.role, 'master');
    assert.equal(o.replId, null);
    assert.equal(o.offset, 338);
    assert.equal(o.replId2, null);
    s = onInfoReply(s, sample.promotedInfo, 120);
    o = view(s, 130);
    assert.equal(o.replId, 'd049e5b22cca1f74bc954afb1ca7fb7aa8ab6e25');
    // The history it continued: what the failover checks after REPLICAOF NO ONE.
    assert.equal(o.replId2, '838b3928e0b0aaed61c9ea4d12c5651fab8b4665');
  });

  test('an INFO that saw the link down names no history once ROLE has seen the link up: it synced since', () => {
    let s = connected(sample.linkDownInfo, sample.linkDownRole, 10);
    assert.equal(view(s, 20).replId, '838b3928e0b0aaed61c9ea4d12c5651fab8b4665');
    const before = s.role;
    assert.equal(syncedSinceInfo(s), false);
    s = onRoleReply(s, sample.replicaRole, 100);
    assert.equal(roleMoved(before, s.role), true);
    assert.equal(syncedSinceInfo(s), true, 'the prober asks for a fresh INFO (also after a first ROLE)');
    let o = view(s, 110);
    assert.equal(o.linkUp, true);
    assert.equal(o.offset, 338, 'the offset comes from ROLE');
    assert.equal(o.replId, null, 'a full sync may have replaced the history the INFO named');
    s = onInfoReply(s, sample.replicaInfo, 120);
    assert.equal(syncedSinceInfo(s), false);
    o = view(s, 130);
    assert.notEqual(o.replId, null);
    // Seen up by INFO too, a later ROLE up changes nothing.
    s = onRoleReply(s, sample.replicaRole, 200);
    assert.equal(view(s, 210).replId, o.replId);
  });

  test('a new connection forgets the old one’s ROLE and INFO (the node may have restarted)', () => {
    const s = onConnected(onDisconnected(connected(sample.masterInfo, sample.masterRole, 10)));
    const o = view(s, 20);
    assert.equal(o.role, 'unknown');
    assert.equal(o.runId, null);
    assert.equal(o.offset, null);
    assert.equal(o.reachable, false); // nothing valid on this connection yet
  });

  test('the first ROLE of a connection does not make the INFO just before it stale', () => {
    const s = connected(sample.masterInfo, sample.masterRole, 10);
    assert.equal(s.roleChangedAt, null);
    assert.equal(roleMoved(null, s.role), false);
  });

  test('only a change of role, master or link state asks for a fresh INFO', () => {
    const a = connected(sample.replicaInfo, sample.replicaRole).role;
    const b = onRoleReply(
      initialState(0),
      ['slave', '127.0.0.1', (sample.replicaRole as unknown[])[2], 'connected', 999],
      1,
    ).role;
    assert.equal(roleMoved(a, b), false);
    const c = onRoleReply(initialState(0), sample.linkDownRole, 1).role;
    assert.equal(roleMoved(a, c), true);
  });
});

describe('observe: probe round trip', () => {
  test('a ROLE reply gives the round trip from when it was sent; a reply of unknown sending time keeps it', () => {
    let s = onConnected(initialState(0));
    assert.equal(view(s, 5).probeRttMs, null, 'none before a reply');
    s = onRoleReply(s, sample.masterRole, 107, 100);
    assert.equal(view(s, 110).probeRttMs, 7);
    s = onRoleReply(s, sample.masterRole, 212.5, 200);
    assert.equal(view(s, 215).probeRttMs, 12.5);
    s = onRoleReply(s, sample.masterRole, 300);
    assert.equal(view(s, 305).probeRttMs, 12.5);
  });

  test('-LOADING counts (a valid reply); a garbage reply or a refused connection does not; a new connection forgets it', () => {
    let s = onConnected(initialState(0));
    s = onProbeError(s, alive, 40, 10);
    assert.equal(view(s, 45).probeRttMs, 30);
    s = onRoleReply(s, 'HELLO WORLD', 90, 80);
    s = onProbeError(s, auth, 95, 91);
    s = onProbeError(s, refused, 99, 96);
    assert.equal(view(s, 100).probeRttMs, 30);
    s = onConnected(onDisconnected(s));
    assert.equal(view(s, 120).probeRttMs, null);
  });
});

describe('observe: TILT', () => {
  const stall = (endedAt: number, ms: number): Stall => ({ endedAt, ms });

  test('a stall over downAfterMs / 2 makes the observer unsure, never sdown, for downAfterMs', () => {
    const s = connected(sample.masterInfo, sample.masterRole, 10);
    const stalls = [stall(1000, 900)];
    const o = view(s, 1000, { stalls });
    assert.equal(o.unsure, true);
    assert.equal(o.sdown, false);
    assert.equal(view(s, 1000 + DOWN - 1, { stalls }).unsure, true);
    assert.equal(view(s, 1000 + DOWN, { stalls }).unsure, false);
    assert.equal(view(s, 1000 + DOWN, { stalls }).sdown, true);
  });

  test('a short stall does not count', () => {
    assert.equal(isUnsure([stall(100, DOWN / 2)], 100, DOWN), false);
    assert.equal(isUnsure([stall(100, DOWN / 2 + 1)], 100, DOWN), true);
  });
});

describe('observe: a restart without the data, from consecutive probes (docs/design.md 4.5)', () => {
  const RUN_A = '60f1f9c202def34a46fcdb34fcb268440320d1c0';
  const RUN_B = 'b'.repeat(40);
  const RUN_C = 'c'.repeat(40);
  /** The sample master's INFO as another run of the process, at another offset. */
  const masterInfoOf = (runId: string, offset: number): string =>
    (sample.masterInfo as string)
      .replace(`run_id:${RUN_A}`, `run_id:${runId}`)
      .replace('master_repl_offset:338', `master_repl_offset:${offset}`);
  /** The connection drops and a new one answers INFO then ROLE, as the prober asks them. */
  const reconnect = (s: ProbeState, runId: string, offset: number, at: number): ProbeState => {
    const fresh = onConnected(onDisconnected(s));
    return onRoleReply(onInfoReply(fresh, masterInfoOf(runId, offset), at), ['master', offset, []], at + 1);
  };

  test('a new run that begins below the offset the last one reached is reported, for as long as it runs', () => {
    let s = connected(sample.masterInfo, sample.masterRole, 10);
    s = onRoleReply(s, ['master', 5000, []], 20); // run A takes writes
    assert.equal(view(s, 30).restartedFrom, null);
    s = reconnect(s, RUN_B, 0, 100);
    assert.deepEqual(view(s, 110).restartedFrom, { runId: RUN_A, offset: 5000 });
    // Run B takes more writes than run A ever had: still the run that lost A's data.
    s = onRoleReply(s, ['master', 9000, []], 200);
    s = onInfoReply(s, masterInfoOf(RUN_B, 9000), 210);
    assert.deepEqual(view(s, 220).restartedFrom, { runId: RUN_A, offset: 5000 });
    // Another restart, this one with its data (it starts where B was): nothing lost.
    s = reconnect(s, RUN_C, 9000, 300);
    assert.equal(view(s, 310).restartedFrom, null);
  });

  test('nothing is reported before the new connection’s INFO names the run, nor by an observer that never saw the old run', () => {
    let s = onRoleReply(connected(sample.masterInfo, sample.masterRole, 10), ['master', 5000, []], 20);
    s = onConnected(onDisconnected(s));
    // A ROLE on the new connection before its INFO: the offset of an unknown run, not counted.
    s = onRoleReply(s, ['master', 3, []], 100);
    assert.equal(view(s, 101).restartedFrom, null);
    s = onInfoReply(s, masterInfoOf(RUN_B, 7), 110);
    assert.deepEqual(view(s, 111).restartedFrom, { runId: RUN_A, offset: 5000 });
    const newcomer = connected(masterInfoOf(RUN_B, 7), ['master', 7, []], 10);
    assert.equal(view(newcomer, 20).restartedFrom, null);
  });

  test('a new run is news for the leader', () => {
    const s = onRoleReply(connected(sample.masterInfo, sample.masterRole, 10), ['master', 5000, []], 20);
    const a = view(s, 30);
    const b = view(reconnect(s, RUN_B, 0, 100), 110);
    assert.equal(meaningfullyDifferent(a, b), true);
    assert.equal(meaningfullyDifferent(b, { ...b, restartedFrom: null }), true);
  });
});

describe('meaningfullyDifferent', () => {
  test('offsets and ages are not news; role, sdown and errors are', () => {
    const s = connected(sample.masterInfo, sample.masterRole, 10);
    const a = view(s, 20);
    assert.equal(meaningfullyDifferent(null, a), true);
    assert.equal(meaningfullyDifferent(a, { ...a, offset: 999, lastOkAgoMs: 77, linkDownMs: 5 }), false);
    for (const change of [
      { sdown: true },
      { unsure: true },
      { reachable: false },
      { role: 'slave' as const },
      { masterHost: 'h' },
      { masterPort: 1 },
      { linkUp: true },
      { replId: 'x' },
      { runId: 'y' },
      { error: 'e' },
    ]) {
      assert.equal(meaningfullyDifferent(a, { ...a, ...change }), true, JSON.stringify(change));
    }
  });
});
