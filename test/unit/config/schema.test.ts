import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  parseConfigText,
  type ConfigIssue,
  type RaftinelConfig,
} from '../../../src/config/index.js';
import { DESIGN_EXAMPLE, MINIMAL } from './fixtures.js';

const BASE = '/etc/raftinel';

function parse(text: string): RaftinelConfig {
  return parseConfigText(text, BASE);
}

function issuesOf(text: string): ConfigIssue[] {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'config_invalid');
    return [...err.issues];
  }
  assert.fail('expected the config to be refused');
}

function issueAt(issues: ConfigIssue[], path: string): ConfigIssue {
  const found = issues.find((i) => i.path === path);
  assert.ok(found, `no issue at ${path}; issues: ${issues.map((i) => i.path).join(', ')}`);
  return found;
}

/** MINIMAL with extra lines appended (top-level keys) or a shard key replaced. */
function minimalWith(extra: string): string {
  return `${MINIMAL}${extra}\n`;
}

const SHARD_DEFAULTS = {
  downAfterMs: 5000,
  pingIntervalMs: 100,
  infoIntervalMs: 1000,
  quorum: 'majority',
  selection: 'least-lag',
  maxLagBytes: null,
  maxLinkDownMs: null,
  parallelSyncs: 1,
  failoverCooldownMs: 60000,
  failoverTimeoutMs: 30000,
  holistic: false,
  minReplicasToWrite: null,
  minReplicasMaxLagMs: 10000,
};

test('the example of docs/design.md 6a parses, every shard setting resolved and the shard overrides winning', () => {
  const config = parse(DESIGN_EXAMPLE);
  assert.equal(config.cluster, 'demo');
  assert.equal(config.node.id, 'n1');
  assert.equal(config.isBootstrapVoter, true);
  assert.deepEqual(
    config.peers.map((p) => `${p.id}@${p.raft}`),
    ['n1@127.0.0.1:26381', 'n2@127.0.0.1:26391', 'n3@127.0.0.1:26401'],
  );
  const [shard] = config.shards;
  assert.equal(shard.name, 'mymaster');
  assert.equal(shard.initialMaster, 'r1');
  assert.equal(shard.quorum, 2, 'the shard override wins over defaults.quorum');
  assert.equal(shard.downAfterMs, 5000);
  assert.equal(shard.selection, 'least-lag');
  assert.equal(shard.maxLinkDownMs, null);
  assert.deepEqual(
    shard.nodes.map((n) => [n.id, n.port, n.priority, n.noFailover]),
    [
      ['r1', 6379, 100, false],
      ['r2', 6380, 100, false],
      ['r3', 6381, 50, false],
    ],
  );
  assert.deepEqual(shard.auth, { username: 'raftinel', passwordFile: `${BASE}/redis.pass` });
  assert.deepEqual(shard.tls, { ca: `${BASE}/ca.pem`, cert: null, key: null });
  assert.deepEqual(config.admin, { tokenFile: `${BASE}/admin.token` });
  assert.deepEqual(config.clients, { auth: { username: null, passwordFile: `${BASE}/clients.pass` } });
  assert.deepEqual(
    config.tls,
    { peer: null, sentinel: null, http: null },
    'an empty TLS block of a listener is off',
  );
  assert.deepEqual(config.sidecar, { redis: 'r1', fenceAfterMs: 3000 });
  assert.deepEqual(config.hooks, {
    onSwitchMaster: `${BASE}/on-switch.sh`,
    onFailoverEnd: null,
    timeoutMs: 10000,
  });
  assert.deepEqual(config.log, { level: 'info' });
});

test('a minimal config (cluster, node, peers, shards) gets every shipped default', () => {
  const config = parse(MINIMAL);
  assert.deepEqual(config.node, {
    id: 'n1',
    dataDir: `${BASE}/data/n1`,
    bootstrap: 'new',
    listen: { sentinel: '127.0.0.1:26379', http: '127.0.0.1:26380', raft: '127.0.0.1:26381' },
    announce: { host: null, sentinel: null, http: null, raft: null },
    sourceAddress: null,
  });
  assert.deepEqual(config.raft, {
    tickMs: 100,
    electionTicks: 10,
    heartbeatTicks: 2,
    snapshotEntries: 10000,
  });
  assert.deepEqual(config.defaults, SHARD_DEFAULTS);
  assert.deepEqual(config.shards, [
    {
      name: 'mymaster',
      nodes: [
        {
          id: 'r1',
          host: '127.0.0.1',
          port: 6379,
          priority: 100,
          noFailover: false,
          announce: null,
          replicationAddress: null,
        },
        {
          id: 'r2',
          host: '127.0.0.1',
          port: 6380,
          priority: 100,
          noFailover: false,
          announce: null,
          replicationAddress: null,
        },
      ],
      initialMaster: null,
      auth: null,
      tls: null,
      renameCommands: {},
      ...SHARD_DEFAULTS,
    },
  ]);
  assert.equal(config.admin, null);
  assert.equal(config.peerAuth, null);
  assert.equal(config.clients, null);
  assert.deepEqual(config.tls, { peer: null, sentinel: null, http: null });
  assert.deepEqual(config.sidecar, { redis: null, fenceAfterMs: null });
  assert.deepEqual(config.hooks, { onSwitchMaster: null, onFailoverEnd: null, timeoutMs: 10000 });
  assert.deepEqual(config.log, { level: 'info' });
});

test('shard settings resolve: shard override, else the defaults block, else the shipped default', () => {
  const config = parse(`cluster: c
node: { id: n1 }
peers: [{ id: n1, raft: 127.0.0.1:26381 }, { id: n2, raft: 127.0.0.1:26391 }, { id: n3, raft: 127.0.0.1:26401 }]
defaults: { downAfterMs: 3000, maxLagBytes: 1048576, selection: priority-first, quorum: 3 }
shards:
  - { name: a, nodes: [{ id: a1, host: 10.0.0.1, port: 6379 }] }
  - name: b
    nodes: [{ id: b1, host: 10.0.0.2, port: 6379 }]
    downAfterMs: 800
    maxLagBytes: null
    holistic: true
    maxLinkDownMs: 0
`);
  const [a, b] = config.shards;
  assert.equal(a.downAfterMs, 3000);
  assert.equal(a.maxLagBytes, 1048576);
  assert.equal(a.selection, 'priority-first');
  assert.equal(a.quorum, 3);
  assert.equal(a.holistic, false);
  assert.equal(a.pingIntervalMs, 100);
  assert.equal(b.downAfterMs, 800);
  assert.equal(b.maxLagBytes, null, 'an explicit null overrides an inherited budget');
  assert.equal(b.holistic, true);
  assert.equal(b.maxLinkDownMs, 0);
  assert.equal(b.selection, 'priority-first');
  assert.equal(config.defaults.downAfterMs, 3000);
});

test('a node that peers does not list is valid and is not a bootstrap voter', () => {
  const config = parse(MINIMAL.replace('node: { id: n1 }', 'node: { id: n4 }'));
  assert.equal(config.isBootstrapVoter, false);
});

test('addresses: host:port, IPv6 in brackets, names; ports outside 1..65535 and junk refused', () => {
  const good = parse(
    MINIMAL.replace(
      'node: { id: n1 }',
      `node:
  id: n1
  listen: { sentinel: "[::1]:26379", http: "redis-sentinel.local:26380", raft: 0.0.0.0:26381 }
  announce: { host: "fd00::5", raft: "[fd00::5]:36381" }
  sourceAddress: 127.0.0.2
peerAuth: { secretFile: ./cluster.secret }`,
    ),
  );
  assert.equal(good.node.listen.sentinel, '[::1]:26379');
  assert.equal(good.node.announce.host, 'fd00::5');
  assert.equal(good.node.sourceAddress, '127.0.0.2');

  const bad = [
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1',
    '::1:26379',
    '[nothost]:1',
    'a b:1',
    '10.0.0.300:1',
    ':80',
  ];
  for (const addr of bad) {
    const issues = issuesOf(
      MINIMAL.replace('node: { id: n1 }', `node: { id: n1, listen: { http: "${addr}" } }`),
    );
    const issue = issueAt(issues, 'node.listen.http');
    assert.match(issue.expected, /host:port/, addr);
    assert.equal(issue.got, JSON.stringify(addr));
  }
  const ip = issuesOf(MINIMAL.replace('node: { id: n1 }', 'node: { id: n1, sourceAddress: localhost }'));
  assert.match(issueAt(ip, 'node.sourceAddress').expected, /IP address/);
});

test('a Redis node may have an announce and a replication address; each mistake in them is listed', () => {
  const good = parse(
    MINIMAL.replace(
      '- { id: r2, host: 127.0.0.1, port: 6380 }',
      '- { id: r2, host: 10.0.0.2, port: 6380, announce: { host: redis-2.example.com, port: 16380 }, replicationAddress: { host: "fd00::2", port: 6380 } }',
    ),
  );
  const [r1, r2] = good.shards[0].nodes;
  assert.equal(r1.announce, null);
  assert.equal(r1.replicationAddress, null);
  assert.deepEqual(r2.announce, { host: 'redis-2.example.com', port: 16380 });
  assert.deepEqual(r2.replicationAddress, { host: 'fd00::2', port: 6380 });
  const issues = issuesOf(
    MINIMAL.replace(
      '- { id: r2, host: 127.0.0.1, port: 6380 }',
      '- { id: r2, host: 127.0.0.1, port: 6380, announce: { host: "a b", port: 0 }, replicationAddress: "x:1" }',
    ),
  );
  issueAt(issues, 'shards[0].nodes[1].announce.host');
  issueAt(issues, 'shards[0].nodes[1].announce.port');
  issueAt(issues, 'shards[0].nodes[1].replicationAddress');
});

test('ids are non-empty [A-Za-z0-9_.-]', () => {
  for (const bad of ['""', '"a b"', '"x/y"', '7', `"${'x'.repeat(65)}"`]) {
    const issues = issuesOf(MINIMAL.replace('cluster: demo', `cluster: ${bad}`));
    assert.match(issueAt(issues, 'cluster').expected, /letters, digits/);
  }
  assert.equal(parse(MINIMAL.replace('cluster: demo', 'cluster: prod_eu-1.a')).cluster, 'prod_eu-1.a');
});

test('quorum is "majority" or an integer from 2 to the number of peers', () => {
  const withQuorum = (q: string): string => minimalWith(`defaults: { quorum: ${q} }`);
  assert.equal(parse(withQuorum('3')).defaults.quorum, 3);
  assert.equal(parse(withQuorum('majority')).defaults.quorum, 'majority');
  for (const q of ['1', '4', '2.5', 'most', 'null']) {
    const issue = issueAt(issuesOf(withQuorum(q)), 'defaults.quorum');
    assert.match(issue.expected, /majority/, q);
  }
  assert.match(issueAt(issuesOf(withQuorum('4')), 'defaults.quorum').expected, /from 2 to 3/);
});

test('durations are integers in ms, and the intervals that must not be 0 are not', () => {
  const issues = issuesOf(
    minimalWith(`defaults: { failoverCooldownMs: -1, infoIntervalMs: 0, failoverTimeoutMs: 1.5, maxLinkDownMs: "10s" }
raft: { tickMs: 3000000000 }`),
  );
  for (const path of [
    'defaults.failoverCooldownMs',
    'defaults.infoIntervalMs',
    'defaults.failoverTimeoutMs',
    'defaults.maxLinkDownMs',
    'raft.tickMs',
  ]) {
    assert.match(issueAt(issues, path).expected, /integer number of milliseconds/, path);
  }
  assert.equal(parse(minimalWith('defaults: { failoverCooldownMs: 0 }')).defaults.failoverCooldownMs, 0);
});

test('pings must be more frequent than downAfterMs, wherever either is set', () => {
  const shardLevel = issuesOf(
    MINIMAL.replace('  - name: mymaster', '  - name: mymaster\n    downAfterMs: 100'),
  );
  assert.match(issueAt(shardLevel, 'shards[0].downAfterMs').expected, /greater than pingIntervalMs \(100\)/);
  const inherited = issuesOf(minimalWith('defaults: { pingIntervalMs: 5000 }'));
  assert.match(issueAt(inherited, 'defaults.pingIntervalMs').expected, /less than downAfterMs \(5000\)/);
});

test('raft timing: electionTicks must exceed heartbeatTicks', () => {
  const issues = issuesOf(minimalWith('raft: { electionTicks: 3, heartbeatTicks: 3 }'));
  assert.match(issueAt(issues, 'raft.electionTicks').expected, /greater than heartbeatTicks \(3\)/);
});

test('TLS: a listener block needs cert and key once anything is set; Redis TLS may be {}', () => {
  const issues = issuesOf(
    minimalWith('tls: { peer: { ca: ./ca.pem }, http: { cert: ./c.pem, key: ./k.pem } }'),
  );
  issueAt(issues, 'tls.peer.cert');
  issueAt(issues, 'tls.peer.key');
  assert.equal(issues.length, 2);
  const config = parse(minimalWith('tls: { http: { cert: ./c.pem, key: ./k.pem } }'));
  assert.deepEqual(config.tls.http, { ca: null, cert: `${BASE}/c.pem`, key: `${BASE}/k.pem` });
  const redis = parse(MINIMAL.replace('  - name: mymaster', '  - name: mymaster\n    tls: {}'));
  assert.deepEqual(redis.shards[0].tls, { ca: null, cert: null, key: null });
  const half = issuesOf(
    MINIMAL.replace('  - name: mymaster', '  - name: mymaster\n    tls: { cert: ./c.pem }'),
  );
  issueAt(half, 'shards[0].tls.key');
});

test('clients.auth may not use the user name "admin", which admin commands reserve', () => {
  const issues = issuesOf(minimalWith('clients: { auth: { username: admin, passwordFile: ./p } }'));
  assert.match(issueAt(issues, 'clients.auth.username').expected, /reserved/);
});

test('selection, log level and priority take only their documented values', () => {
  const issues = issuesOf(
    `${MINIMAL.replace('port: 6380 }', 'port: 6380, priority: -1 }')}defaults: { selection: fastest }\nlog: { level: verbose }\n`,
  );
  assert.match(issueAt(issues, 'defaults.selection').expected, /"least-lag" or "priority-first"/);
  assert.match(issueAt(issues, 'log.level').expected, /trace, debug, info, warn, error, fatal/);
  assert.match(issueAt(issues, 'shards[0].nodes[1].priority').expected, /0 = never promote/);
  const zero = parse(MINIMAL.replace('port: 6380 }', 'port: 6380, priority: 0, noFailover: true }'));
  assert.equal(zero.shards[0].nodes[1].priority, 0);
  assert.equal(zero.shards[0].nodes[1].noFailover, true);
});

test('only cluster, node, peers and shards are required; empty lists are refused', () => {
  const issues = issuesOf('log: { level: info }\n');
  assert.deepEqual(issues.map((i) => i.path).sort(), ['cluster', 'node', 'peers', 'shards']);
  for (const issue of issues) assert.equal(issue.got, 'nothing');
  const empty = issuesOf(MINIMAL.replace(/peers:\n( {2}- .*\n)+/, 'peers: []\n'));
  issueAt(empty, 'peers');
  const noNodes = issuesOf(MINIMAL.replace(/ {4}nodes:\n( {6}- .*\n)+/, '    nodes: []\n'));
  issueAt(noNodes, 'shards[0].nodes');
});

test('a raft listener off loopback needs peerAuth or tls.peer (docs/design.md 2)', () => {
  const withListen = (raft: string, extra = '') =>
    MINIMAL.replace('node: { id: n1 }', `node: { id: n1, listen: { raft: "${raft}" } }${extra}`);
  for (const raft of ['0.0.0.0:26381', '10.0.0.5:26381', '[::]:26381', 'raft.example:26381']) {
    assert.throws(
      () => parse(withListen(raft)),
      (err: Error & { issues?: { path: string; expected: string }[] }) =>
        err.issues?.some(
          (i) => i.path === 'node.listen.raft' && /peerAuth\.secretFile or tls\.peer/.test(i.expected),
        ) === true,
      raft,
    );
  }
  for (const raft of ['127.0.0.1:26381', '127.0.0.9:26381', '[::1]:26381', 'localhost:26381'])
    parse(withListen(raft));
  parse(withListen('0.0.0.0:26381', '\npeerAuth: { secretFile: ./cluster.secret }'));
  parse(withListen('0.0.0.0:26381', '\ntls: { peer: { ca: ./ca.pem, cert: ./n1.pem, key: ./n1.key } }'));
});

test('renameCommands: known admin commands in upper case, a name without spaces or "" (disabled)', () => {
  const withRename = (map: string) => MINIMAL.replace('    nodes:', `    renameCommands: ${map}\n    nodes:`);
  assert.deepEqual(parse(withRename('{ CONFIG: MYCONFIG, CLIENT: "" }')).shards[0].renameCommands, {
    CONFIG: 'MYCONFIG',
    CLIENT: '',
  });
  for (const bad of ['{ config: X }', '{ FLUSHALL: X }', '{ CONFIG: "MY CONFIG" }']) {
    assert.throws(
      () => parse(withRename(bad)),
      (err: Error & { issues?: { path: string }[] }) =>
        err.issues?.some((i) => i.path.startsWith('shards[0].renameCommands')) === true,
      bad,
    );
  }
});

test('raft timing: the leader lease must outlast a heartbeat interval (lease-time)', () => {
  // electionTicks 3 x 50 ms: a vote window of 100 ms, a lease of 100 x 0.97/1.03 - 50 = 44 ms.
  const issues = issuesOf(minimalWith('raft: { tickMs: 50, electionTicks: 3, heartbeatTicks: 1 }'));
  assert.match(
    issueAt(issues, 'raft.electionTicks').expected,
    /leader lease \(44 ms\) outlasts a heartbeat interval \(50 ms\)/,
  );
  assert.equal(
    parse(minimalWith('raft: { tickMs: 50, electionTicks: 4, heartbeatTicks: 1 }')).raft.electionTicks,
    4,
  );
});
