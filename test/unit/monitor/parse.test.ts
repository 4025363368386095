import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_INFO_BYTES,
  MAX_ROLE_REPLICAS,
  parseInfo,
  parseRole,
  type Parsed,
} from '../../../src/monitor/parse.js';
import * as sample from './samples.js';

function value<T>(p: Parsed<T>): T {
  if (!p.ok) assert.fail(`expected a value, got ${p.error.kind}: ${p.error.reason}`);
  return p.value;
}

function failure<T>(p: Parsed<T>): { kind: string; reason: string } {
  if (p.ok) assert.fail(`expected an error, got ${JSON.stringify(p.value)}`);
  return p.error;
}

describe('parseRole on real replies', () => {
  test('master: offset and the replicas it lists (bulk strings in each entry)', () => {
    const r = value(parseRole(sample.masterRole));
    assert.equal(r.role, 'master');
    assert.ok(r.role === 'master');
    assert.equal(r.offset, 338);
    assert.equal(r.replicas.length, 1);
    assert.equal(r.replicas[0].host, '127.0.0.1');
    assert.equal(typeof r.replicas[0].port, 'number');
    // The replica's last acknowledged offset: acks come once a second, so it may trail.
    assert.ok(r.replicas[0].offset <= r.offset);
  });

  test('connected replica: master address, state and processed offset', () => {
    const r = value(parseRole(sample.replicaRole));
    assert.ok(r.role === 'slave');
    assert.equal(r.masterHost, '127.0.0.1');
    assert.equal(r.state, 'connected');
    assert.equal(r.offset, 338);
  });

  test('replica with its link down reports offset -1: parsed as unknown, not as 0', () => {
    const r = value(parseRole(sample.linkDownRole));
    assert.ok(r.role === 'slave');
    assert.equal(r.state, 'connect');
    assert.equal(r.offset, null);
  });

  test('a freshly promoted replica lists no replicas', () => {
    const r = value(parseRole(sample.promotedRole));
    assert.ok(r.role === 'master');
    assert.deepEqual(r.replicas, []);
  });

  test('a Sentinel is recognised and refused with its own kind', () => {
    assert.equal(failure(parseRole(sample.sentinelRole)).kind, 'sentinel');
  });

  test('every link state Redis 7.0 sends is kept; an unknown one becomes "unknown"', () => {
    for (const state of ['none', 'connect', 'connecting', 'handshake', 'sync', 'connected']) {
      const r = value(parseRole(['slave', '10.0.0.1', 6379, state, 5]));
      assert.ok(r.role === 'slave' && r.state === state);
    }
    const r = value(parseRole(['slave', '10.0.0.1', 6379, 'some_new_state', 5]));
    assert.ok(r.role === 'slave' && r.state === 'unknown');
  });
});

describe('parseRole on garbage', () => {
  const cases: [string, unknown][] = [
    ['a simple string', 'HELLO WORLD'],
    ['a number', 42],
    ['null', null],
    ['an empty array', []],
    ['a non-string role', [7, 1, []]],
    ['master with a missing list', ['master', 5]],
    ['master with a negative offset', ['master', -5, []]],
    ['master offset beyond 2^53', ['master', 2 ** 60, []]],
    ['master with a malformed replica entry', ['master', 5, [['127.0.0.1', 'x', '1']]]],
    ['master with a short replica entry', ['master', 5, [['127.0.0.1', '6380']]]],
    ['replica with a port out of range', ['slave', 'h', 70000, 'connected', 1]],
    ['replica with a host holding spaces', ['slave', 'a b', 6379, 'connected', 1]],
    ['replica with an empty host', ['slave', '', 6379, 'connected', 1]],
    ['replica with a state holding junk', ['slave', 'h', 6379, 'CONNECTED!', 1]],
    ['replica offset below -1', ['slave', 'h', 6379, 'connected', -7]],
    ['replica offset as text with junk', ['slave', 'h', 6379, 'connected', '12x']],
    ['replica with extra elements', ['slave', 'h', 6379, 'connected', 1, 2]],
  ];
  for (const [name, reply] of cases) {
    test(name, () => {
      const e = failure(parseRole(reply));
      assert.equal(e.kind, 'garbage');
      assert.ok(e.reason.length > 0 && e.reason.length < 300, e.reason);
    });
  }

  test('an unknown but well-formed role is unknown-role, not garbage', () => {
    assert.equal(failure(parseRole(['primary', 1, []])).kind, 'unknown-role');
  });

  test('more replicas than the cap are refused before any is read', () => {
    const many = Array.from({ length: MAX_ROLE_REPLICAS + 1 }, () => ['127.0.0.1', '1', '1']);
    assert.match(failure(parseRole(['master', 1, many])).reason, /over the cap/);
  });

  test('error messages show untrusted text escaped and short', () => {
    const e = failure(parseRole(`\u0000\u001b[31m${'x'.repeat(500)}`));
    assert.ok(!/[^ -~]/.test(e.reason), e.reason);
    assert.ok(e.reason.length < 150, e.reason);
  });
});

describe('parseInfo on real replies', () => {
  test('master: role, run id, replication id and offset', () => {
    const i = value(parseInfo(sample.masterInfo));
    assert.equal(i.role, 'master');
    assert.equal(i.runId, '60f1f9c202def34a46fcdb34fcb268440320d1c0');
    assert.equal(i.masterReplId, '838b3928e0b0aaed61c9ea4d12c5651fab8b4665');
    assert.equal(i.masterReplOffset, 338);
    assert.equal(i.connectedSlaves, 1);
    assert.equal(i.masterHost, null);
    assert.equal(i.masterLinkUp, null);
  });

  test('connected replica: the replication id is its master’s, link up, processed offset', () => {
    const i = value(parseInfo(sample.replicaInfo));
    const m = value(parseInfo(sample.masterInfo));
    assert.equal(i.role, 'slave');
    assert.equal(i.masterReplId, m.masterReplId);
    assert.equal(i.masterLinkUp, true);
    assert.equal(i.masterLinkDownSinceSeconds, null);
    assert.equal(i.slaveReplOffset, 338);
    assert.equal(i.slaveReadReplOffset, 338);
    assert.equal(i.masterPort, Number((sample.replicaRole as unknown[])[2]));
  });

  test('replica whose master died keeps its offset and history; down for some seconds', () => {
    const i = value(parseInfo(sample.linkDownInfo));
    assert.equal(i.masterLinkUp, false);
    assert.equal(i.masterLinkDownSinceSeconds, 3);
    assert.equal(i.slaveReplOffset, 338);
    assert.equal(i.masterReplId, value(parseInfo(sample.masterInfo)).masterReplId);
  });

  test('replica that never reached its master: down since -1 is reported as unknown', () => {
    const i = value(parseInfo(sample.neverConnectedInfo));
    assert.equal(i.masterLinkUp, false);
    assert.equal(i.masterLinkDownSinceSeconds, null);
  });

  test('REPLICAOF NO ONE starts a new replication id; the one it had as a replica becomes master_replid2', () => {
    const before = value(parseInfo(sample.linkDownInfo));
    const after = value(parseInfo(sample.promotedInfo));
    assert.equal(after.role, 'master');
    assert.notEqual(after.masterReplId, before.masterReplId);
    assert.equal(after.masterReplOffset, before.slaveReplOffset);
    assert.equal(after.masterReplId2, before.masterReplId);
    assert.equal(after.secondReplOffset, 339);
  });

  test('master_replid2 of forty zeros (no previous history) and second_repl_offset -1 are read as none', () => {
    for (const info of [sample.masterInfo, sample.replicaInfo, sample.neverConnectedInfo]) {
      const i = value(parseInfo(info));
      assert.equal(i.masterReplId2, null);
      assert.equal(i.secondReplOffset, null);
    }
  });

  test('a Redis without master_replid2 (before 4.0) parses, with no previous history', () => {
    const text = (sample.promotedInfo as string).replace(
      /master_replid2:[0-9a-f]+\r\n|second_repl_offset:\d+\r\n/g,
      '',
    );
    const i = value(parseInfo(text));
    assert.equal(i.masterReplId2, null);
    assert.equal(i.secondReplOffset, null);
  });

  test('a Buffer and bare \\n line ends are read the same way', () => {
    const text = (sample.masterInfo as string).replace(/\r\n/g, '\n');
    assert.deepEqual(value(parseInfo(Buffer.from(text))), value(parseInfo(sample.masterInfo)));
  });
});

describe('parseInfo on garbage', () => {
  const master = sample.masterInfo as string;
  const replica = sample.replicaInfo as string;
  const cases: [string, unknown, RegExp][] = [
    ['not text', ['role:master'], /expected text/],
    ['no role (a Sentinel’s INFO, or not Redis)', '# Server\r\nrun_id:abc\r\n', /no role/],
    ['a line without a colon', `${master}garbage line\r\n`, /expected key:value/],
    ['a run id that is not 40 hex digits', master.replace(/run_id:[0-9a-f]+/, 'run_id:xyz'), /run_id/],
    ['a missing replication id', master.replace(/master_replid:[0-9a-f]+\r\n/, ''), /master_replid/],
    [
      'a second replication id that is not 40 hex digits',
      master.replace(/master_replid2:[0-9a-f]+/, 'master_replid2:nope'),
      /master_replid2/,
    ],
    [
      'a second offset that is not a number',
      master.replace(/second_repl_offset:-1/, 'second_repl_offset:x'),
      /second_repl_offset/,
    ],
    [
      'an offset that is not a number',
      master.replace(/master_repl_offset:\d+/, 'master_repl_offset:lots'),
      /master_repl_offset/,
    ],
    ['a replica without its master port', replica.replace(/master_port:\d+\r\n/, ''), /master_port/],
    [
      'a replica with a strange link status',
      replica.replace('master_link_status:up', 'master_link_status:maybe'),
      /master_link_status/,
    ],
    [
      'a replica offset that is not a number',
      replica.replace(/slave_repl_offset:\d+/, 'slave_repl_offset:-'),
      /slave_repl_offset/,
    ],
  ];
  for (const [name, reply, why] of cases) {
    test(name, () => {
      const e = failure(parseInfo(reply));
      assert.equal(e.kind, 'garbage');
      assert.match(e.reason, why);
    });
  }

  test('an unknown role is unknown-role', () => {
    assert.equal(failure(parseInfo(master.replace('role:master', 'role:sentinel'))).kind, 'unknown-role');
  });

  test('absurd sizes are refused before parsing', () => {
    assert.match(failure(parseInfo('x'.repeat(MAX_INFO_BYTES + 1))).reason, /over the cap/);
    assert.match(failure(parseInfo('a:b\n'.repeat(30_000))).reason, /lines, over the cap/);
  });
});
