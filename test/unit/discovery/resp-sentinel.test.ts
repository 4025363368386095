// SENTINEL subcommands and INFO through the dispatcher, no sockets: record fields in Sentinel
// 7.0's order, exact bytes and error texts (captured from redis-sentinel 7.0.15 unless the test
// says the text is raftinel's).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandHarness } from './support/command-harness.js';
import { redisNode, shard, standardSource } from './support/fake-source.js';
import { items, pairs, record, str } from './support/resp-decode.js';

const MASTER_FIELDS = [
  'name',
  'ip',
  'port',
  'runid',
  'flags',
  'link-pending-commands',
  'link-refcount',
  'last-ping-sent',
  'last-ok-ping-reply',
  'last-ping-reply',
  'down-after-milliseconds',
  'info-refresh',
  'role-reported',
  'role-reported-time',
  'config-epoch',
  'num-slaves',
  'num-other-sentinels',
  'quorum',
  'failover-timeout',
  'parallel-syncs',
];
const REPLICA_FIELDS = [
  'name',
  'ip',
  'port',
  'runid',
  'flags',
  'link-pending-commands',
  'link-refcount',
  'last-ping-sent',
  'last-ok-ping-reply',
  'last-ping-reply',
  'down-after-milliseconds',
  'info-refresh',
  'role-reported',
  'role-reported-time',
  'master-link-down-time',
  'master-link-status',
  'master-host',
  'master-port',
  'slave-priority',
  'slave-repl-offset',
  'replica-announced',
];
const SENTINEL_FIELDS = [
  'name',
  'ip',
  'port',
  'runid',
  'flags',
  'link-pending-commands',
  'link-refcount',
  'last-ping-sent',
  'last-ok-ping-reply',
  'last-ping-reply',
  'down-after-milliseconds',
  'last-hello-message',
  'voted-leader',
  'voted-leader-epoch',
];

const keys = (value: Parameters<typeof pairs>[0]): string[] => pairs(value).map(([k]) => str(k));

describe('SENTINEL subcommand dispatch', () => {
  test("names are case-insensitive; unknown subcommands and arity use Redis's texts", async () => {
    const c = commandHarness(standardSource()).client();
    assert.match(await c.run('sentinel', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'), /^\*2\r\n/);
    assert.match(await c.run('SeNtInEl', 'get-master-addr-by-name', 'mymaster'), /^\*2\r\n/);
    assert.equal(await c.run('SENTINEL'), "-ERR wrong number of arguments for 'sentinel' command\r\n");
    assert.equal(await c.run('SENTINEL', 'FoO'), "-ERR unknown subcommand 'FoO'. Try SENTINEL HELP.\r\n");
    assert.equal(
      await c.run('SENTINEL', 'MASTER'),
      "-ERR wrong number of arguments for 'sentinel|master' command\r\n",
    );
    assert.equal(
      await c.run('SENTINEL', 'masters', 'x'),
      "-ERR wrong number of arguments for 'sentinel|masters' command\r\n",
    );
    assert.equal(
      await c.run('SENTINEL', 'myid', 'x'),
      "-ERR wrong number of arguments for 'sentinel|myid' command\r\n",
    );
    assert.equal(
      await c.run('SENTINEL', 'slaves'),
      "-ERR wrong number of arguments for 'sentinel|slaves' command\r\n",
    );
    assert.equal(
      await c.run('SENTINEL', 'set', 'mymaster'),
      "-ERR wrong number of arguments for 'sentinel|set' command\r\n",
    );
    for (const sub of ['master', 'replicas', 'slaves', 'sentinels', 'ckquorum']) {
      assert.equal(await c.run('SENTINEL', sub, 'nope'), '-ERR No such master with that name\r\n', sub);
    }
  });

  test('GET-MASTER-ADDR-BY-NAME: address, null array for unknown names, IDONTKNOW when stale', async () => {
    const source = standardSource(16379);
    const c = commandHarness(source).client();
    assert.equal(
      await c.run('SENTINEL', 'get-master-addr-by-name', 'mymaster'),
      '*2\r\n$9\r\n127.0.0.1\r\n$5\r\n16379\r\n',
    );
    assert.equal(
      await c.run('SENTINEL', 'get-primary-addr-by-name', 'mymaster'),
      '*2\r\n$9\r\n127.0.0.1\r\n$5\r\n16379\r\n',
    );
    assert.equal(await c.run('SENTINEL', 'get-master-addr-by-name', 'nope'), '*-1\r\n');
    await c.run('HELLO', '3');
    assert.equal(await c.run('SENTINEL', 'get-master-addr-by-name', 'nope'), '_\r\n');
    source.fresh = false;
    const idontknow = '-IDONTKNOW I have not enough information to reply. Please ask another Sentinel.\r\n';
    assert.equal(await c.run('SENTINEL', 'get-master-addr-by-name', 'mymaster'), idontknow);
    source.fresh = true;
    source.shardList = [shard('mymaster', null, [])];
    assert.equal(await c.run('SENTINEL', 'get-master-addr-by-name', 'mymaster'), idontknow);
  });

  test('GET-MASTER-ADDR-BY-NAME follows every change at once: freshness, then the applied master', async () => {
    const source = standardSource(16379);
    const c = commandHarness(source).client();
    const get = (): Promise<string> => c.run('SENTINEL', 'get-master-addr-by-name', 'mymaster');
    const idontknow = '-IDONTKNOW I have not enough information to reply. Please ask another Sentinel.\r\n';
    // Asked many times in a row (the encoded answer is reused), each answer is checked afresh.
    for (let i = 0; i < 3; i++) assert.equal(await get(), '*2\r\n$9\r\n127.0.0.1\r\n$5\r\n16379\r\n');
    source.fresh = false;
    assert.equal(await get(), idontknow, 'no fresh leader: not even a reused answer is sent');
    source.fresh = true;
    assert.equal(await get(), '*2\r\n$9\r\n127.0.0.1\r\n$5\r\n16379\r\n');
    source.shardList = [shard('mymaster', redisNode('127.0.0.1', 16380), [])];
    assert.equal(await get(), '*2\r\n$9\r\n127.0.0.1\r\n$5\r\n16380\r\n', 'a new master at once');
    source.masterAddress = (name) => (name === 'mymaster' ? { host: '127.0.0.3', port: 16381 } : undefined);
    assert.equal(await get(), '*2\r\n$9\r\n127.0.0.3\r\n$5\r\n16381\r\n', 'the fast path too');
    assert.equal(await c.run('SENTINEL', 'get-master-addr-by-name', 'constructor'), '*-1\r\n');
  });

  test('MYID, ROLE, PENDING-SCRIPTS', async () => {
    const source = standardSource();
    const c = commandHarness(source).client();
    assert.equal(await c.run('SENTINEL', 'MYID'), `$40\r\n${source.id}\r\n`);
    assert.equal(await c.run('ROLE'), '*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n');
    assert.equal(await c.run('ROLE', 'x'), "-ERR wrong number of arguments for 'role' command\r\n");
    assert.equal(await c.run('SENTINEL', 'pending-scripts'), '*0\r\n');
  });

  test('mutating subcommands name the raftinel CLI command to use (raftinel texts)', async () => {
    const c = commandHarness(standardSource()).client();
    const expectations: [string[], RegExp][] = [
      [
        ['SET', 'mymaster', 'quorum', '3'],
        /^-ERR SENTINEL SET is not supported by raftinel: .*'raftinel shard set <shard> \.\.\.'/,
      ],
      [['MONITOR', 'm', '127.0.0.1', '6379', '2'], /'raftinel shard add/],
      [['REMOVE', 'mymaster'], /'raftinel shard remove <shard>'/],
      [['FLUSHCONFIG'], /'raftinel status'/],
      [['SIMULATE-FAILURE', 'crash-after-election'], /'raftinel promote <shard> --dry-run'/],
      [['DEBUG'], /'raftinel status'/],
      [['INFO-CACHE', 'mymaster'], /'raftinel status'/],
      [
        ['CONFIG', 'SET', 'resolve-hostnames', 'yes'],
        /^-ERR SENTINEL CONFIG SET is not supported by raftinel/,
      ],
    ];
    for (const [args, re] of expectations) assert.match(await c.run('SENTINEL', ...args), re, args.join(' '));
  });

  test("CONFIG GET answers Sentinel 7.0's names, never a secret", async () => {
    const c = commandHarness(standardSource()).client();
    const [all] = await c.values('SENTINEL', 'CONFIG', 'GET', '*');
    assert.deepEqual(keys(all), [
      'resolve-hostnames',
      'announce-hostnames',
      'announce-ip',
      'announce-port',
      'sentinel-user',
      'sentinel-pass',
    ]);
    assert.equal(record(all)['sentinel-pass'], '');
    const [one] = await c.values('SENTINEL', 'config', 'get', 'announce-*');
    assert.deepEqual(keys(one), ['announce-hostnames', 'announce-ip', 'announce-port']);
  });

  test('HELP lists the subcommands', async () => {
    const c = commandHarness(standardSource()).client();
    assert.match(await c.run('SENTINEL', 'HELP'), /^\*\d+\r\n\+SENTINEL <subcommand>/);
  });
});

describe('SENTINEL records', () => {
  test('MASTERS / MASTER: Sentinel 7.0 field order, every value a bulk string', async () => {
    const source = standardSource(16379);
    const c = commandHarness(source).client();
    const [masters] = await c.values('SENTINEL', 'MASTERS');
    assert.equal(items(masters).length, 1);
    const rec = record(items(masters)[0]);
    assert.deepEqual(Object.keys(rec), MASTER_FIELDS);
    assert.deepEqual(
      {
        name: rec.name,
        ip: rec.ip,
        port: rec.port,
        flags: rec.flags,
        quorum: rec.quorum,
        others: rec['num-other-sentinels'],
        slaves: rec['num-slaves'],
      },
      {
        name: 'mymaster',
        ip: '127.0.0.1',
        port: '16379',
        flags: 'master',
        quorum: '2',
        others: '2',
        slaves: '1',
      },
    );
    const [one] = await c.values('SENTINEL', 'MASTER', 'mymaster');
    assert.deepEqual(record(one), rec);
    const [primary] = await c.values('SENTINEL', 'PRIMARY', 'mymaster');
    assert.deepEqual(record(primary), rec);
    const [primaries] = await c.values('SENTINEL', 'PRIMARIES');
    assert.deepEqual(record(items(primaries)[0]), rec);
  });

  test('RESP3: records are maps', async () => {
    const c = commandHarness(standardSource()).client();
    await c.run('HELLO', '3');
    const [master] = await c.values('SENTINEL', 'MASTER', 'mymaster');
    assert.equal(master.t, 'map');
    const [replicas] = await c.values('SENTINEL', 'REPLICAS', 'mymaster');
    assert.equal(replicas.t, 'array');
    assert.equal(items(replicas)[0].t, 'map');
  });

  test('a master down, agreed down, in failover: flags and the optional fields in place', async () => {
    const source = standardSource();
    const m = redisNode('127.0.0.1', 6379, { sdown: true, disconnected: true, lastOkPingAgoMs: 9000 });
    source.shardList = [shard('mymaster', m, [], { odown: true, failoverInProgress: true })];
    const c = commandHarness(source).client();
    const rec = record((await c.values('SENTINEL', 'MASTER', 'mymaster'))[0]);
    assert.equal(rec.flags, 's_down,o_down,master,disconnected,failover_in_progress');
    const expected = [...MASTER_FIELDS];
    expected.splice(expected.indexOf('last-ping-sent'), 0, 'failover-state');
    expected.splice(expected.indexOf('down-after-milliseconds'), 0, 's-down-time', 'o-down-time');
    assert.deepEqual(Object.keys(rec), expected);
    assert.equal(rec['failover-state'], 'wait_start');
    assert.equal(rec['s-down-time'], '4000');
    assert.equal(rec['last-ping-sent'], '9000');
  });

  test('a node without a fresh leader flags its masters s_down (clients go to another node)', async () => {
    const source = standardSource();
    source.fresh = false;
    const c = commandHarness(source).client();
    const rec = record(items((await c.values('SENTINEL', 'MASTERS'))[0])[0]);
    assert.equal(rec.flags, 's_down,master');
    assert.equal(rec['s-down-time'], '0');
    assert.match(await c.run('INFO', 'sentinel'), /master0:name=mymaster,status=sdown,/);
  });

  test('a shard without a master is listed, down and disconnected', async () => {
    const source = standardSource();
    source.shardList = [shard('mymaster', null, [])];
    const rec = record((await commandHarness(source).client().values('SENTINEL', 'MASTER', 'mymaster'))[0]);
    assert.equal(rec.flags, 's_down,master,disconnected');
    assert.equal(rec.ip, '?');
  });

  test('REPLICAS and SLAVES: replica records, name ip:port', async () => {
    const source = standardSource(16379, 16380);
    const c = commandHarness(source).client();
    const [replicas] = await c.values('SENTINEL', 'REPLICAS', 'mymaster');
    const [slaves] = await c.values('SENTINEL', 'slaves', 'mymaster');
    assert.deepEqual(replicas, slaves);
    const rec = record(items(replicas)[0]);
    assert.deepEqual(Object.keys(rec), REPLICA_FIELDS);
    assert.equal(rec.name, '127.0.0.1:16380');
    assert.equal(rec.flags, 'slave');
    assert.equal(rec['master-link-status'], 'ok');
    assert.equal(rec['master-port'], '16379');
    assert.equal(rec['slave-repl-offset'], '12345');
  });

  test('a replica down: s_down,slave,disconnected and s-down-time', async () => {
    const source = standardSource();
    const master = source.shardList[0].master!;
    const r = redisNode('127.0.0.1', 6380, {
      sdown: true,
      disconnected: true,
      roleReported: 'slave',
      linkUp: false,
      masterHost: null,
    });
    source.shardList = [shard('mymaster', master, [r])];
    const rec = record(
      items((await commandHarness(source).client().values('SENTINEL', 'REPLICAS', 'mymaster'))[0])[0],
    );
    assert.equal(rec.flags, 's_down,slave,disconnected');
    assert.ok('s-down-time' in rec);
    assert.equal(rec['master-link-status'], 'err');
    assert.equal(rec['master-host'], '?');
  });

  test('SENTINELS: the other nodes, name = runid; an unreachable peer is s_down,disconnected', async () => {
    const source = standardSource();
    source.peers = [{ ...source.peers[0] }, { ...source.peers[1], up: false, lastContactMs: 8000 }];
    const [sentinels] = await commandHarness(source).client().values('SENTINEL', 'SENTINELS', 'mymaster');
    const [a, b] = items(sentinels).map(record);
    assert.deepEqual(Object.keys(a), SENTINEL_FIELDS);
    assert.equal(a.name, 'c'.repeat(40));
    assert.equal(a.runid, a.name);
    assert.equal(a.port, '26380');
    assert.equal(a.flags, 'sentinel');
    assert.equal(a['voted-leader'], '?');
    assert.equal(b.flags, 's_down,sentinel,disconnected');
    assert.ok('s-down-time' in b);
  });

  test("CKQUORUM: Sentinel's texts", async () => {
    const source = standardSource();
    const c = commandHarness(source).client();
    assert.equal(
      await c.run('SENTINEL', 'CKQUORUM', 'mymaster'),
      '+OK 3 usable Sentinels. Quorum and failover authorization can be reached\r\n',
    );
    source.peers = source.peers.map((p) => ({ ...p, up: false }));
    assert.equal(
      await c.run('SENTINEL', 'CKQUORUM', 'mymaster'),
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover\r\n',
    );
    source.shardList = [{ ...source.shardList[0], quorum: 1 }];
    assert.equal(
      await c.run('SENTINEL', 'CKQUORUM', 'mymaster'),
      '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover\r\n',
    );
  });
});

describe('SENTINEL FAILOVER', () => {
  test('refused without AUTH admin, naming AUTH admin and raftinel promote (raftinel text)', async () => {
    const source = standardSource();
    const c = commandHarness(source).client();
    const reply = await c.run('SENTINEL', 'FAILOVER', 'mymaster');
    assert.match(reply, /^-NOPERM .*AUTH admin <token>.*raftinel promote <shard>/);
    assert.deepEqual(source.failoverCalls, []);
  });

  test('on an admin connection: runs the switchover and answers when it is done', async () => {
    const source = standardSource();
    const c = commandHarness(source).client();
    await c.run('AUTH', 'admin', source.adminToken);
    assert.equal(await c.run('SENTINEL', 'failover', 'nope'), '-ERR No such master with that name\r\n');
    assert.equal(await c.run('SENTINEL', 'FAILOVER', 'mymaster'), '+OK\r\n');
    assert.deepEqual(source.failoverCalls, ['mymaster']);
    source.failoverResult = { ok: false, error: 'INPROG Failover already in progress' };
    assert.equal(await c.run('SENTINEL', 'FAILOVER', 'mymaster'), '-INPROG Failover already in progress\r\n');
    source.failoverResult = { ok: false, error: 'no replica in sync' };
    assert.equal(await c.run('SENTINEL', 'FAILOVER', 'mymaster'), '-ERR no replica in sync\r\n');
  });
});

describe('INFO', () => {
  test('default, all, everything: Server, Clients, Stats, CPU, Sentinel in that order', async () => {
    const c = commandHarness(standardSource()).client();
    for (const args of [[], ['all'], ['everything'], ['default'], ['ALL']]) {
      const [text] = await c.values('INFO', ...args);
      const titles = str(text)
        .split('\r\n')
        .filter((l) => l.startsWith('# '));
      assert.deepEqual(titles, ['# Server', '# Clients', '# Stats', '# CPU', '# Sentinel'], args.join(' '));
    }
  });

  test('INFO sentinel: exact lines', async () => {
    const source = standardSource(16379);
    const c = commandHarness(source).client();
    const text =
      '# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\nsentinel_running_scripts:0\r\n' +
      'sentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\n' +
      'master0:name=mymaster,status=ok,address=127.0.0.1:16379,slaves=1,sentinels=3\r\n';
    assert.equal(await c.run('INFO', 'SENTINEL'), `$${text.length}\r\n${text}\r\n`);
  });

  test('section selection: several sections, unknown sections answer an empty bulk', async () => {
    const c = commandHarness(standardSource()).client();
    const [two] = await c.values('INFO', 'clients', 'server');
    assert.deepEqual(
      str(two)
        .split('\r\n')
        .filter((l) => l.startsWith('# ')),
      ['# Server', '# Clients'],
    );
    assert.equal(await c.run('INFO', 'replication'), '$0\r\n\r\n');
    const [server] = await c.values('INFO', 'server');
    const fields = Object.fromEntries(
      str(server)
        .split('\r\n')
        .filter((l) => l.includes(':'))
        .map((l) => l.split(/:(.*)/s).slice(0, 2)),
    );
    assert.equal(fields.redis_mode, 'sentinel');
    assert.equal(fields.redis_version, '7.0.15');
    assert.equal(fields.tcp_port, '26379');
    assert.match(fields.run_id, /^[0-9a-f]{40}$/);
  });

  test('status per master: ok, sdown, odown', async () => {
    const source = standardSource();
    const m = source.shardList[0].master!;
    source.shardList = [
      shard('a', m, []),
      shard('b', { ...m, sdown: true }, []),
      shard('c', { ...m, sdown: true }, [], { odown: true }),
    ];
    const [text] = await commandHarness(source).client().values('INFO', 'sentinel');
    assert.match(
      str(text),
      /master0:name=a,status=ok,.*\r\nmaster1:name=b,status=sdown,.*\r\nmaster2:name=c,status=odown,/,
    );
  });
});
