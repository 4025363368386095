import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  effectiveFenceAfterMs,
  formatConfigIssues,
  parseConfigText,
} from '../../../src/config/index.js';
import { RaftinelError } from '../../../src/util/errors.js';
import { MINIMAL } from './fixtures.js';

function refuse(text: string): ConfigError {
  try {
    parseConfigText(text, '/etc/raftinel');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected the config to be refused');
}

// Eight kinds of mistake in one file, each in a different place.
const MANY_MISTAKES = `cluster: demo
colour: blue
node:
  id: n1
peers:
  - { id: n1, raft: 127.0.0.1:26381 }
  - { id: n2, raft: 127.0.0.1:26391 }
  - { id: n3, raft: 127.0.0.1:26401 }
defaults:
  selection: fastest
  failoverCooldownMs: -5
shards:
  - name: alpha
    quorum: 7
    initialMaster: r9
    nodes:
      - { id: r1, host: 127.0.0.1, port: 6379 }
      - { id: r2, host: 127.0.0.1, port: abc }
  - name: beta
    nodes:
      - { id: r1, host: 10.0.0.2, port: 6379 }
      - { id: r4, host: 127.0.0.1, port: 6379 }
`;

test('a config with many mistakes reports every one of them, with its path', () => {
  const err = refuse(MANY_MISTAKES);
  assert.ok(err instanceof RaftinelError);
  assert.equal(err.code, 'config_invalid');
  assert.equal(err.name, 'ConfigError');
  const byPath = new Map(err.issues.map((i) => [i.path, i]));
  const expectations: [path: string, expected: RegExp, got: string][] = [
    ['colour', /a key of the config file \(cluster, node/, '"blue"'],
    ['defaults.selection', /"least-lag" or "priority-first"/, '"fastest"'],
    ['defaults.failoverCooldownMs', /integer number of milliseconds, 0\.\./, '-5'],
    ['shards[0].quorum', /from 2 to 3/, '7'],
    ['shards[0].initialMaster', /a node of this shard \(r1, r2\)/, '"r9"'],
    ['shards[0].nodes[1].port', /integer 1\.\.65535/, '"abc"'],
    ['shards[1].nodes[0].id', /unique in the whole config/, '"r1"'],
    [
      'shards[1].nodes[1]',
      /one Redis node belongs to one shard/,
      '{"id":"r4","host":"127.0.0.1","port":6379}',
    ],
  ];
  for (const [path, expected, got] of expectations) {
    const issue = byPath.get(path);
    assert.ok(issue, `missing issue at ${path}; got: ${[...byPath.keys()].join(', ')}`);
    assert.match(issue.expected, expected, path);
    assert.equal(issue.got, got, path);
    assert.equal(issue.message.startsWith(`expected ${issue.expected}, got ${got}`), true, issue.message);
  }
  assert.equal(err.issues.length, expectations.length, formatConfigIssues(err));
  assert.match(byPath.get('shards[1].nodes[0].id')?.message ?? '', /also shards\[0\]\.nodes\[0\]\.id/);
  assert.match(
    byPath.get('shards[1].nodes[1]')?.message ?? '',
    /127\.0\.0\.1:6379 is already shards\[0\]\.nodes\[0\]/,
  );
  assert.match(byPath.get('colour')?.message ?? '', /unknown key/);
});

test('issues come in file order, each with its line', () => {
  const err = refuse(MANY_MISTAKES);
  const lines = err.issues.map((i) => i.line ?? 0);
  assert.deepEqual(
    lines,
    [...lines].sort((a, b) => a - b),
  );
  const port = err.issues.find((i) => i.path === 'shards[0].nodes[1].port');
  assert.equal(port?.line, 18);
  assert.equal(err.issues.find((i) => i.path === 'colour')?.line, 2);
});

test('formatConfigIssues prints one line per issue: config: <path>: expected ..., got ...', () => {
  const err = refuse(MANY_MISTAKES);
  const lines = formatConfigIssues(err).split('\n');
  assert.equal(lines.length, err.issues.length);
  assert.ok(
    lines.includes('config: shards[0].nodes[1].port: expected an integer 1..65535, got "abc"'),
    lines.join('\n'),
  );
  for (const line of lines) assert.match(line, /^config: \S+: expected .+, got .+/);
});

test('the same Redis node twice within one shard is refused too', () => {
  const err = refuse(MINIMAL.replace('port: 6380', 'port: 6379'));
  assert.deepEqual(
    err.issues.map((i) => i.path),
    ['shards[0].nodes[1]'],
  );
});

test('duplicate peers, shard names and raft addresses, and a sidecar naming no Redis node, are all reported', () => {
  const err = refuse(`cluster: c
node: { id: n1 }
peers:
  - { id: n1, raft: 10.0.0.1:26381 }
  - { id: n1, raft: 10.0.0.2:26381 }
  - { id: n3, raft: 10.0.0.1:26381 }
shards:
  - { name: a, nodes: [{ id: r1, host: h1, port: 1 }] }
  - { name: a, nodes: [{ id: r2, host: h2, port: 1 }] }
sidecar: { redis: r7 }
`);
  assert.deepEqual(
    err.issues.map((i) => i.path),
    ['peers[1].id', 'peers[2].raft', 'shards[1].name', 'sidecar.redis'],
  );
  assert.match(err.issues[3].expected, /Redis node in shards \(r1, r2\)/);
});

test('got shows the raw value, truncated, and "nothing" for a missing key', () => {
  const long = 'x'.repeat(200);
  const err = refuse(
    MINIMAL.replace('cluster: demo', `cluster: "${long}"`).replace(
      'host: 127.0.0.1, port: 6379',
      'host: 127.0.0.1',
    ),
  );
  const cluster = err.issues.find((i) => i.path === 'cluster');
  assert.ok(cluster && cluster.got.length <= 60 && cluster.got.endsWith('...'), cluster?.got);
  assert.equal(err.issues.find((i) => i.path === 'shards[0].nodes[0].port')?.got, 'nothing');
});

test('a YAML syntax error is one issue with its line and column', () => {
  const err = refuse('cluster: demo\nnode:\n  id: n1\n  listen: { http: 127.0.0.1:1\npeers: []\n');
  assert.equal(err.code, 'config_invalid');
  assert.equal(err.issues.length, 1);
  const [issue] = err.issues;
  assert.equal(issue.expected, 'valid YAML');
  assert.equal(typeof issue.line, 'number');
  assert.equal(typeof issue.column, 'number');
  assert.match(
    issue.message,
    new RegExp(`^YAML syntax error at line ${issue.line}, column ${issue.column}: `),
  );
  assert.ok(issue.line !== undefined && issue.line >= 4 && issue.line <= 5, String(issue.line));
  assert.match(formatConfigIssues(err), /^config: YAML syntax error at line \d+, column \d+: /);
});

test('a key given twice is a YAML error with its line', () => {
  const err = refuse(`${MINIMAL}cluster: again\n`);
  assert.equal(err.issues.length, 1);
  assert.equal(err.issues[0].line, MINIMAL.split('\n').length);
});

test('a document that is not a mapping is one issue for the whole file', () => {
  for (const text of ['', '- a\n- b\n', 'just text\n']) {
    const err = refuse(text);
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0].path, '');
    assert.match(err.issues[0].expected, /a mapping for the config file/);
    assert.match(formatConfigIssues(err), /^config: expected a mapping/);
  }
});

test('unknown keys are errors at every level', () => {
  const err = refuse(
    MINIMAL.replace('node: { id: n1 }', 'node: { id: n1, dataDri: ./d }').replace(
      'port: 6379 }',
      'port: 6379, prio: 1 }',
    ) + 'raft: { tickMS: 10 }\n',
  );
  assert.deepEqual(
    err.issues.map((i) => i.path),
    ['node.dataDri', 'shards[0].nodes[0].prio', 'raft.tickMS'],
  );
  assert.match(
    err.issues[2].expected,
    /a key of raft \(tickMs, electionTicks, heartbeatTicks, snapshotEntries\)/,
  );
});

test('a sidecar fenceAfterMs over 0.8 x the downAfterMs of its shard is refused with the rule; null derives it', () => {
  const base = MINIMAL.replace('shards:', 'defaults: { downAfterMs: 1000 }\nshards:');
  const err = refuse(`${base}sidecar: { redis: r1, fenceAfterMs: 2000 }\n`);
  const issue = err.issues.find((i) => i.path === 'sidecar.fenceAfterMs');
  assert.ok(issue, JSON.stringify(err.issues));
  assert.match(issue.expected, /at most 800 \(0.8 x downAfterMs 1000 of shard mymaster\)/);
  assert.match(issue.expected, /before the majority can mark the master down and publish another/);
  const ok = parseConfigText(`${base}sidecar: { redis: r1, fenceAfterMs: 800 }\n`, '/etc/raftinel');
  assert.equal(effectiveFenceAfterMs(ok), 800);
  const derived = parseConfigText(`${base}sidecar: { redis: r1 }\n`, '/etc/raftinel');
  assert.equal(effectiveFenceAfterMs(derived), 800);
  const slow = parseConfigText(`${MINIMAL}sidecar: { redis: r1 }\n`, '/etc/raftinel');
  assert.equal(effectiveFenceAfterMs(slow), 3000, 'downAfterMs 5000: the derived value is capped at 3000');
});
