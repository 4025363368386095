// The pure part of `raftinel import-sentinel` (docs/migration.md): reading sentinel.conf as Redis
// splits its lines, and the mapping of every setting. The fixture is a real sentinel.conf as
// redis-sentinel 7.0.15 rewrote it after a failover (known-replica, known-sentinel, myid and
// epoch lines, the monitor line pointing at the new master).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderNotes } from '../../../src/cli/commands/import-sentinel-run.js';
import { parseSentinelConf, splitConfigLine } from '../../../src/cli/import/conf-parse.js';
import { mapDeployment, type ImportOptions } from '../../../src/cli/import/mapping.js';
import { parseConfigText } from '../../../src/config/index.js';

const FIXTURE = fileURLToPath(
  new URL('../../../../test/unit/cli/fixtures/sentinel-rewritten.conf', import.meta.url),
);
const REWRITTEN = readFileSync(FIXTURE, 'utf8');
const SECRET = 's3cret'; // the fixture's auth-pass

const THREE_PEERS: ImportOptions = {
  cluster: 'prod',
  nodeId: 'n1',
  peers: [
    { id: 'n1', raft: '127.0.0.1:27392' },
    { id: 'n2', raft: '127.0.0.2:27392' },
    { id: 'n3', raft: '127.0.0.3:27392' },
  ],
  listen: {},
};
const ALONE: ImportOptions = { cluster: 'c', nodeId: 'n1', peers: null, listen: {} };

function mapText(text: string, options: ImportOptions = THREE_PEERS) {
  return mapDeployment(parseSentinelConf(text, 'sentinel.conf'), options);
}

const noteFor = (result: ReturnType<typeof mapText>, setting: string) =>
  result.notes.filter((n) => n.setting === setting);

describe('splitConfigLine (as Redis splits config lines)', () => {
  test('words, double quotes with escapes, single quotes', () => {
    assert.deepEqual(splitConfigLine('sentinel announce-ip "127.0.0.1"'), [
      'sentinel',
      'announce-ip',
      '127.0.0.1',
    ]);
    assert.deepEqual(splitConfigLine("a \"x y\\n\\x41\" 'it\\'s'  b"), ['a', 'x y\nA', "it's", 'b']);
    assert.deepEqual(splitConfigLine('auth-pass m ""'), ['auth-pass', 'm', '']);
  });

  test('unbalanced quotes and a quote glued to a word are refused', () => {
    assert.equal(splitConfigLine('a "b'), null);
    assert.equal(splitConfigLine('a "b"c'), null);
    assert.equal(splitConfigLine("a 'b"), null);
  });
});

describe('parseSentinelConf on a sentinel.conf Sentinel rewrote', () => {
  const d = parseSentinelConf(REWRITTEN, FIXTURE);

  test('the monitored master as Sentinel last knew it, with its settings', () => {
    assert.equal(d.masters.length, 1);
    const m = d.masters[0];
    assert.equal(m.name, 'mymaster');
    assert.deepEqual(m.master, { host: '127.0.0.1', port: 17382 });
    assert.equal(m.quorum, 2);
    assert.equal(m.downAfterMs, 5000);
    assert.equal(m.failoverTimeoutMs, 60000);
    assert.equal(m.parallelSyncs, 2);
    assert.equal(m.authPass, SECRET);
    assert.deepEqual(m.renamedCommands, { CONFIG: 'MYCONFIG' });
    assert.deepEqual(
      m.replicas.map((r) => r.port),
      [17380, 17381],
    );
    assert.deepEqual(m.sentinels, [
      { host: '127.0.0.1', port: 27391, runId: '4fc122ec79b682affa3060508d342ef5e3128a59' },
    ]);
    assert.deepEqual(m.epochs, ['config-epoch 6', 'leader-epoch 6']);
  });

  test('settings of the Sentinel process; the ACL line keeps only the user name', () => {
    const names = d.settings.map((s) => s.name);
    for (const n of [
      'port',
      'bind',
      'dir',
      'sentinel announce-ip',
      'sentinel myid',
      'sentinel current-epoch',
      'user',
    ])
      assert.ok(names.includes(n), n);
    assert.deepEqual(d.settings.find((s) => s.name === 'user')?.args, ['default']);
    assert.deepEqual(d.unreadable, []);
  });

  test('directives before their monitor line are read (Sentinel reads monitor lines first)', () => {
    const early = parseSentinelConf(
      'sentinel down-after-milliseconds m 700\nsentinel monitor m h 1 2\n',
      'x',
    );
    assert.equal(early.masters[0].downAfterMs, 700);
  });

  test('lines that cannot be read are kept with why, secrets cut out of them', () => {
    const bad = parseSentinelConf(
      'sentinel known-replica nosuch 127.0.0.1 6380\nsentinel auth-pass nosuch hunter2\nsentinel monitor m h 99999 2\n',
      'x',
    );
    assert.equal(bad.unreadable.length, 3);
    const why = bad.unreadable.map((u) => u.why).join('\n');
    assert.match(why, /no "sentinel monitor" line for master "nosuch"/);
    assert.match(why, /expected: sentinel monitor <name> <host> <port> <quorum>/);
    assert.ok(!JSON.stringify(bad.unreadable).includes('hunter2'));
  });
});

describe('mapDeployment', () => {
  const result = mapText(REWRITTEN);

  test('the fixture maps to a config that loads, with the shard as Sentinel knew it', () => {
    const doc = result.document as { shards: Record<string, unknown>[]; node: Record<string, unknown> };
    assert.deepEqual(doc.shards[0], {
      name: 'mymaster',
      nodes: [
        { id: 'r1', host: '127.0.0.1', port: 17382 },
        { id: 'r2', host: '127.0.0.1', port: 17380 },
        { id: 'r3', host: '127.0.0.1', port: 17381 },
      ],
      initialMaster: 'r1',
      quorum: 2,
      downAfterMs: 5000,
      failoverTimeoutMs: 60000,
      parallelSyncs: 2,
      selection: 'priority-first',
      auth: { username: null, passwordFile: './mymaster.redis.pass' },
      renameCommands: { CONFIG: 'MYCONFIG' },
    });
    assert.deepEqual(doc.node.listen, {
      sentinel: '127.0.0.1:27390',
      http: '127.0.0.1:27391',
      raft: '127.0.0.1:27392',
    });
    assert.deepEqual(doc.node.announce, { host: '127.0.0.1' });
    const loaded = parseConfigText(JSON.stringify(result.document), '/tmp');
    assert.equal(loaded.shards[0].downAfterMs, 5000);
    assert.equal(loaded.shards[0].auth?.username, null);
  });

  test('the secret goes to its own file, never into the document or a note', () => {
    assert.deepEqual(
      result.secretFiles.map((s) => [s.path, s.value]),
      [['./mymaster.redis.pass', SECRET]],
    );
    assert.ok(!JSON.stringify(result.document).includes(SECRET));
    assert.ok(!JSON.stringify(result.notes).includes(SECRET));
    assert.ok(!renderNotes(result, undefined).includes(SECRET));
  });

  test('every directive of the file is accounted for: mapped, or listed with why', () => {
    const noted = new Set(result.notes.map((n) => n.setting.replace(/ [A-Z]+$/, '')));
    noted.add('sentinel monitor');
    for (const line of REWRITTEN.split('\n')) {
      const words = splitConfigLine(line.trim());
      if (words === null || words.length === 0 || words[0].startsWith('#')) continue;
      const setting = words[0] === 'sentinel' ? `sentinel ${words[1]}` : words[0];
      assert.ok(noted.has(setting), `${setting} has no note`);
    }
    for (const n of result.notes.filter((n) => n.status === 'not-mapped'))
      assert.ok(n.why.length > 10, n.setting);
    assert.match(noteFor(result, 'sentinel known-sentinel')[0].why, /127\.0\.0\.1:27391.*--peers/);
    assert.equal(noteFor(result, 'sentinel current-epoch')[0].status, 'not-mapped');
  });

  test("Sentinel's defaults are written out where the file leaves a setting out", () => {
    const r = mapText('sentinel monitor m 10.0.0.1 6379 2\n');
    const shard = (r.document.shards as Record<string, unknown>[])[0];
    assert.equal(shard.downAfterMs, 30000);
    assert.equal(shard.failoverTimeoutMs, 180000);
    assert.equal(shard.parallelSyncs, 1);
    assert.equal(noteFor(r, 'sentinel down-after-milliseconds')[0].status, 'default');
    assert.match(noteFor(r, 'sentinel known-replica')[0].why, /no replica known/);
    assert.deepEqual((r.document.node as { listen: unknown }).listen, {
      sentinel: '127.0.0.1:26379',
      http: '127.0.0.1:26380',
      raft: '127.0.0.1:26381',
    });
  });

  test('a quorum that does not fit the raftinel peers becomes "majority", said so', () => {
    const one = mapText('sentinel monitor m h 6379 1\n');
    assert.equal((one.document.shards as { quorum: unknown }[])[0].quorum, 'majority');
    assert.match(noteFor(one, 'quorum')[0].why, /quorum 1 does not fit 3 raftinel peers/);
    const alone = mapText('sentinel monitor m h 6379 2\n', ALONE);
    assert.equal((alone.document.shards as { quorum: unknown }[])[0].quorum, 'majority');
  });

  test('auth-user, renamed commands raftinel does not send, scripts, announce, requirepass, TLS', () => {
    const r = mapText(
      [
        'port 26400',
        'bind 0.0.0.0',
        'requirepass clientsecret',
        'tls-port 26401',
        'loglevel warning',
        'sentinel announce-ip 10.1.1.1',
        'sentinel announce-port 36400',
        'sentinel sentinel-pass peersecret',
        'sentinel monitor m h 6379 2',
        'sentinel auth-user m raftinel',
        'sentinel auth-pass m redissecret',
        'sentinel rename-command m SLAVEOF MYSLAVEOF',
        'sentinel rename-command m client ""',
        'sentinel rename-command m INFO MYINFO',
        'sentinel client-reconfig-script m /usr/local/bin/reconf.sh',
        'sentinel notification-script m /usr/local/bin/notify.sh',
        'sentinel master-reboot-down-after-period m 1000',
      ].join('\n'),
    );
    const doc = r.document as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const shard = doc.shards[0];
    assert.deepEqual(shard.auth, { username: 'raftinel', passwordFile: './m.redis.pass' });
    assert.deepEqual(shard.renameCommands, { CLIENT: '' });
    assert.match(noteFor(r, 'sentinel rename-command SLAVEOF')[0].why, /raftinel sends REPLICAOF/);
    assert.match(noteFor(r, 'sentinel rename-command INFO')[0].why, /must not be renamed/);
    assert.deepEqual(doc.hooks, { onSwitchMaster: '/usr/local/bin/reconf.sh' });
    assert.equal(noteFor(r, 'sentinel notification-script')[0].status, 'not-mapped');
    assert.equal(noteFor(r, 'sentinel master-reboot-down-after-period')[0].status, 'not-mapped');
    assert.deepEqual(doc.node.listen, {
      sentinel: '127.0.0.1:26400',
      http: '127.0.0.1:26401',
      raft: '127.0.0.1:26402',
    });
    assert.deepEqual(doc.node.announce, { host: '10.1.1.1', sentinel: '10.1.1.1:36400' });
    assert.deepEqual(doc.clients, { auth: { username: null, passwordFile: './clients.pass' } });
    assert.deepEqual(doc.log, { level: 'warn' });
    assert.match(noteFor(r, 'tls-port')[0].why, /tls\.sentinel/);
    assert.equal(noteFor(r, 'sentinel sentinel-pass')[0].status, 'not-mapped');
    assert.deepEqual(
      r.secretFiles.map((s) => s.path),
      ['./m.redis.pass', './clients.pass'],
    );
    const shown = JSON.stringify({ doc: r.document, notes: r.notes }) + renderNotes(r, undefined);
    for (const secret of ['clientsecret', 'redissecret', 'peersecret'])
      assert.ok(!shown.includes(secret), secret);
    parseConfigText(JSON.stringify(r.document), '/tmp');
  });

  test('a master name raftinel cannot use is renamed, and the note says clients must follow', () => {
    const r = mapText('sentinel monitor "my master" h 6379 2\n');
    assert.equal((r.document.shards as { name: string }[])[0].name, 'my_master');
    assert.ok(r.notes.some((n) => /clients asking for "my master" must ask for "my_master"/.test(n.why)));
  });

  test('two masters: node ids stay unique across shards', () => {
    const r = mapText('sentinel monitor a h 1 2\nsentinel monitor b h 2 2\nsentinel known-replica b h 3\n');
    const ids = (r.document.shards as { nodes: { id: string }[] }[]).flatMap((s) => s.nodes.map((n) => n.id));
    assert.deepEqual(ids, ['a-r1', 'b-r1', 'b-r2']);
    parseConfigText(JSON.stringify(r.document), '/tmp');
  });

  test('replica priorities seen by a live Sentinel are kept (0 = never promoted)', () => {
    const d = parseSentinelConf('sentinel monitor m h 6379 2\n', 'x');
    const live = {
      ...d,
      masters: [
        {
          ...d.masters[0],
          replicas: [
            { host: 'h', port: 6380, priority: 0, flags: 'slave' },
            { host: 'h', port: 6381, priority: 100, flags: 'slave,s_down,disconnected' },
          ],
        },
      ],
    };
    const r = mapDeployment(live, THREE_PEERS);
    const nodes = (r.document.shards as { nodes: Record<string, unknown>[] }[])[0].nodes;
    assert.deepEqual(nodes[1], { id: 'r2', host: 'h', port: 6380, priority: 0 });
    assert.deepEqual(nodes[2], { id: 'r3', host: 'h', port: 6381 });
    const replicaNotes = noteFor(r, 'sentinel known-replica').map((n) => n.why);
    assert.match(replicaNotes[0], /never promoted/);
    assert.match(replicaNotes[1], /s_down,disconnected when imported/);
  });
});
