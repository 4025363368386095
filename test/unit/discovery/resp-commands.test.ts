// Commands through the dispatcher, no sockets: exact reply bytes and Redis's error texts (each
// text below was captured from redis-sentinel 7.0.15 unless the test says it is raftinel's).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandHarness } from './support/command-harness.js';
import { standardSource } from './support/fake-source.js';
import { items, pairs, str } from './support/resp-decode.js';

describe('connection commands', () => {
  test('PING, PING <msg>, and its arity', async () => {
    const c = commandHarness(standardSource()).client();
    assert.equal(await c.run('PING'), '+PONG\r\n');
    assert.equal(await c.run('ping', 'hi'), '$2\r\nhi\r\n');
    assert.equal(await c.run('PING', 'a', 'b'), "-ERR wrong number of arguments for 'ping' command\r\n");
  });

  test('command and subcommand names in any ASCII case; nothing else folds (as strcasecmp)', async () => {
    const c = commandHarness(standardSource()).client();
    const address = '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n';
    for (const [cmd, sub] of [
      ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME'],
      ['sentinel', 'get-master-addr-by-name'],
      ['SeNtInEl', 'Get-Master-Addr-By-Name'],
    ]) {
      assert.equal(await c.run(cmd, sub, 'mymaster'), address, `${cmd} ${sub}`);
    }
    assert.equal(await c.run('PiNg'), '+PONG\r\n');
    // U+212A KELVIN SIGN lower-cases to 'k' in JavaScript, but Redis compares bytes: unknown.
    const kelvin = Buffer.from('c\u212aquorum', 'utf8').toString('latin1');
    assert.match(await c.run('SENTINEL', kelvin, 'mymaster'), /^-ERR unknown subcommand /);
    assert.match(await c.run('PINGx'), /^-ERR unknown command 'PINGx'/);
    assert.match(await c.run('PIN'), /^-ERR unknown command 'PIN'/);
    assert.match(await c.run(''), /^-ERR unknown command '', with args beginning with: /);
  });

  test('HELLO 3 answers the map redis-sentinel sends (mode sentinel, no role)', async () => {
    const c = commandHarness(standardSource()).client();
    const id = c.session.id;
    assert.equal(
      await c.run('HELLO', '3'),
      `%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:${id}\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n`,
    );
    assert.equal(c.session.proto, 3);
    assert.match(await c.run('HELLO', '2'), /^\*12\r\n\$6\r\nserver\r\n/);
    assert.match(await c.run('HELLO'), /^\*12\r\n/);
  });

  test('HELLO errors', async () => {
    const c = commandHarness(standardSource()).client();
    assert.equal(await c.run('HELLO', '4'), '-NOPROTO unsupported protocol version\r\n');
    assert.equal(await c.run('HELLO', 'abc'), '-ERR Protocol version is not an integer or out of range\r\n');
    assert.equal(await c.run('HELLO', '3', 'FOO'), "-ERR Syntax error in HELLO option 'FOO'\r\n");
    assert.equal(await c.run('HELLO', '3', 'AUTH', 'a'), "-ERR Syntax error in HELLO option 'AUTH'\r\n");
    assert.equal(
      await c.run('HELLO', '3', 'SETNAME', 'a b'),
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
    );
    assert.equal(c.session.proto, 2);
    await c.run('HELLO', '3', 'SETNAME', 'app');
    assert.equal(await c.run('CLIENT', 'GETNAME'), '$3\r\napp\r\n');
  });

  test("CLIENT ID, SETNAME, GETNAME; other subcommands get Redis's text", async () => {
    const c = commandHarness(standardSource()).client();
    assert.equal(await c.run('CLIENT', 'ID'), `:${c.session.id}\r\n`);
    assert.equal(await c.run('CLIENT', 'GETNAME'), '$-1\r\n');
    assert.equal(await c.run('client', 'setname', 'worker-1'), '+OK\r\n');
    assert.equal(await c.run('CLIENT', 'GETNAME'), '$8\r\nworker-1\r\n');
    assert.equal(await c.run('CLIENT', 'SETNAME', ''), '+OK\r\n');
    assert.equal(await c.run('CLIENT', 'GETNAME'), '$-1\r\n');
    assert.equal(
      await c.run('CLIENT', 'SETNAME', 'a\nb'),
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
    );
    assert.equal(await c.run('CLIENT', 'LIST'), "-ERR unknown subcommand 'LIST'. Try CLIENT HELP.\r\n");
    assert.equal(
      await c.run('CLIENT', 'SETINFO', 'LIB-NAME', 'x'),
      "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n",
    );
    assert.equal(await c.run('CLIENT'), "-ERR wrong number of arguments for 'client' command\r\n");
    assert.equal(
      await c.run('CLIENT', 'SETNAME'),
      "-ERR wrong number of arguments for 'client|setname' command\r\n",
    );
    assert.match(await c.run('CLIENT', 'HELP'), /^\*\d+\r\n\+CLIENT <subcommand>/);
  });

  test('unknown commands: the name as sent, arguments quoted up to ~128 characters', async () => {
    const c = commandHarness(standardSource()).client();
    assert.equal(
      await c.run('get', 'foo'),
      "-ERR unknown command 'get', with args beginning with: 'foo' \r\n",
    );
    assert.equal(await c.run('FOO'), "-ERR unknown command 'FOO', with args beginning with: \r\n");
    const long = 'x'.repeat(200);
    assert.equal(
      await c.run('FOO', long, long),
      `-ERR unknown command 'FOO', with args beginning with: '${'x'.repeat(128)}' \r\n`,
    );
    assert.equal(
      await c.run('F\rO', 'a\nb'),
      "-ERR unknown command 'F O', with args beginning with: 'a b' \r\n",
    );
    // Not sentinel commands in Redis either.
    assert.match(await c.run('ECHO', 'x'), /^-ERR unknown command 'ECHO'/);
    assert.match(await c.run('SSUBSCRIBE', 'x'), /^-ERR unknown command 'SSUBSCRIBE'/);
  });

  test('QUIT answers +OK and closes; PUBLISH and SHUTDOWN are refused', async () => {
    const c = commandHarness(standardSource()).client();
    assert.equal(
      await c.run('PUBLISH', 'a', 'b'),
      '-ERR Only HELLO messages are accepted by Sentinel instances.\r\n',
    );
    assert.match(await c.run('SHUTDOWN'), /^-ERR SHUTDOWN is not supported by raftinel/);
    assert.equal(await c.run('QUIT'), '+OK\r\n');
    assert.equal(c.closed, true);
  });
});

describe('AUTH', () => {
  test('without client auth configured: the default user has no password', async () => {
    const c = commandHarness(standardSource()).client();
    assert.equal(
      await c.run('AUTH', 'x'),
      '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n',
    );
    assert.equal(await c.run('AUTH', 'default', 'anything'), '+OK\r\n');
    assert.equal(
      await c.run('AUTH', 'bob', 'x'),
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    assert.equal(await c.run('AUTH', 'a', 'b', 'c'), '-ERR syntax error\r\n');
    assert.equal(await c.run('AUTH'), "-ERR wrong number of arguments for 'auth' command\r\n");
  });

  test('requirepass style: NOAUTH until AUTH <password> or AUTH default <password>', async () => {
    const source = standardSource();
    source.clientAuth = { username: null, password: 's3cret' };
    const h = commandHarness(source);
    const c = h.client();
    assert.equal(await c.run('SENTINEL', 'masters'), '-NOAUTH Authentication required.\r\n');
    assert.equal(await c.run('PING'), '-NOAUTH Authentication required.\r\n');
    assert.equal(
      await c.run('HELLO', '3'),
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
    );
    // Redis checks existence and arity before authentication.
    assert.match(await c.run('GET', 'a'), /^-ERR unknown command 'GET'/);
    assert.equal(
      await c.run('AUTH', 'wrong'),
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    assert.equal(await c.run('AUTH', 's3cret'), '+OK\r\n');
    assert.equal(await c.run('PING'), '+PONG\r\n');
    const d = h.client();
    assert.equal(await d.run('AUTH', 'default', 's3cret'), '+OK\r\n');
    const e = h.client();
    assert.match(await e.run('HELLO', '3', 'AUTH', 'default', 's3cret'), /^%6\r\n/);
    assert.equal(e.session.proto, 3);
    const f = h.client();
    assert.equal(
      await f.run('HELLO', '3', 'AUTH', 'default', 'nope'),
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    assert.equal(f.session.proto, 2);
  });

  test('ACL-user style: only that user authenticates', async () => {
    const source = standardSource();
    source.clientAuth = { username: 'app', password: 'pw' };
    const c = commandHarness(source).client();
    assert.equal(
      await c.run('AUTH', 'pw'),
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    assert.equal(
      await c.run('AUTH', 'default', 'pw'),
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    assert.equal(await c.run('AUTH', 'app', 'pw'), '+OK\r\n');
    assert.equal(await c.run('ACL', 'WHOAMI'), '$3\r\napp\r\n');
  });

  test('AUTH admin <token> marks the connection admin (and authenticates it)', async () => {
    const source = standardSource();
    source.clientAuth = { username: null, password: 'pw' };
    const c = commandHarness(source).client();
    assert.equal(
      await c.run('AUTH', 'admin', 'wrong'),
      '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    );
    assert.equal(c.session.admin, false);
    assert.equal(await c.run('AUTH', 'admin', source.adminToken), '+OK\r\n');
    assert.equal(c.session.admin, true);
    assert.equal(await c.run('ACL', 'WHOAMI'), '$5\r\nadmin\r\n');
    assert.equal(await c.run('AUTH', 'pw'), '+OK\r\n');
    assert.equal(c.session.admin, false);
  });
});

describe('pub/sub', () => {
  test('RESP2: subscribed mode allows only (P)(UN)SUBSCRIBE, PING, QUIT, RESET', async () => {
    const c = commandHarness(standardSource()).client();
    assert.equal(
      await c.run('SUBSCRIBE', '+switch-master'),
      '*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n',
    );
    assert.equal(await c.run('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    assert.equal(await c.run('PING', 'x'), '*2\r\n$4\r\npong\r\n$1\r\nx\r\n');
    assert.equal(
      await c.run('INFO'),
      "-ERR Can't execute 'info': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    assert.equal(
      await c.run('SENTINEL', 'myid'),
      "-ERR Can't execute 'sentinel|myid': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    assert.equal(await c.run('PSUBSCRIBE', '*'), '*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:2\r\n');
    assert.equal(await c.run('UNSUBSCRIBE'), '*3\r\n$11\r\nunsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n');
    assert.equal(await c.run('PUNSUBSCRIBE'), '*3\r\n$12\r\npunsubscribe\r\n$1\r\n*\r\n:0\r\n');
    assert.equal(await c.run('PING'), '+PONG\r\n');
    assert.equal(await c.run('UNSUBSCRIBE'), '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
  });

  test('RESP3: push frames, and every command stays allowed', async () => {
    const c = commandHarness(standardSource()).client();
    await c.run('HELLO', '3');
    assert.equal(
      await c.run('SUBSCRIBE', 'a', 'b'),
      '>3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n',
    );
    assert.equal(await c.run('PING'), '+PONG\r\n');
    assert.match(await c.run('INFO', 'server'), /^\$\d+\r\n# Server/);
    assert.equal(await c.run('PUNSUBSCRIBE'), '>3\r\n$12\r\npunsubscribe\r\n_\r\n:2\r\n');
  });

  test("published events reach channel, then pattern subscribers, in each protocol's framing", async () => {
    const h = commandHarness(standardSource());
    const r2 = h.client();
    const r3 = h.client();
    await r3.run('HELLO', '3');
    await r2.run('SUBSCRIBE', '+switch-master');
    await r3.run('PSUBSCRIBE', '+switch*', '[-+]sdown');
    const msg = 'mymaster 127.0.0.1 16379 127.0.0.1 16380';
    assert.equal(h.hub.publish('+switch-master', msg), 2);
    assert.equal(
      r2.takePushed(),
      `*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n$${msg.length}\r\n${msg}\r\n`,
    );
    assert.equal(
      r3.takePushed(),
      `>4\r\n$8\r\npmessage\r\n$8\r\n+switch*\r\n$14\r\n+switch-master\r\n$${msg.length}\r\n${msg}\r\n`,
    );
    assert.equal(h.hub.publish('-sdown', 'x'), 1);
    assert.equal(h.hub.publish('+odown', 'x'), 0);
  });

  test('RESET leaves subscribed mode, back to RESP2 (raftinel: redis-sentinel 7.0 lacks RESET)', async () => {
    const h = commandHarness(standardSource());
    const c = h.client();
    await c.run('HELLO', '3');
    await c.run('SUBSCRIBE', 'x');
    assert.equal(await c.run('RESET'), '+RESET\r\n');
    assert.equal(c.session.proto, 2);
    assert.equal(h.hub.publish('x', 'y'), 0);
    assert.equal(await c.run('PING'), '+PONG\r\n');
  });

  test('subscriptions per connection are capped (raftinel)', async () => {
    const c = commandHarness(standardSource(), { maxSubscriptions: 2 }).client();
    const reply = await c.run('SUBSCRIBE', 'a', 'b', 'c');
    assert.match(reply, /:2\r\n-ERR too many subscriptions on this connection \(at most 2\)\r\n$/);
    assert.match(await c.run('SUBSCRIBE', 'a'), /:2\r\n$/);
  });
  test('a channel or pattern name over 1 KiB is refused; the connection and its other subscriptions stay', async () => {
    const h = commandHarness(standardSource());
    const c = h.client();
    await c.run('PSUBSCRIBE', '+sw*');
    const long = 'a*'.repeat(512) + 'b';
    assert.match(
      await c.run('PSUBSCRIBE', long),
      /^-ERR channel or pattern name longer than 1024 bytes\r\n$/,
    );
    assert.match(await c.run('SUBSCRIBE', 'x'.repeat(1025)), /^-ERR channel or pattern name longer/);
    assert.equal(h.hub.patternCount, 1);
    assert.equal(h.hub.channelCount, 0);
    assert.equal(h.hub.publish('+switch-master', 'm'), 1);
    // 1024 bytes exactly is a name like any other.
    assert.match(await c.run('SUBSCRIBE', 'y'.repeat(1024)), /:2\r\n$/);
  });

  test('a pattern keeps matching after another connection drops the same pattern', async () => {
    const h = commandHarness(standardSource());
    const a = h.client();
    const b = h.client();
    await a.run('PSUBSCRIBE', '[-+]sdown');
    await b.run('PSUBSCRIBE', '[-+]sdown');
    assert.equal(h.hub.publish('+sdown', 'x'), 2);
    await a.run('PUNSUBSCRIBE', '[-+]sdown');
    assert.equal(h.hub.publish('+sdown', 'x'), 1);
    assert.equal(h.hub.publish('-sdown', 'x'), 1);
    assert.equal(h.hub.publish('+odown', 'x'), 0);
    await b.run('PUNSUBSCRIBE');
    assert.equal(h.hub.publish('+sdown', 'x'), 0);
    await a.run('PSUBSCRIBE', '[-+]sdown');
    assert.equal(h.hub.publish('-sdown', 'x'), 1);
  });
});

describe('COMMAND (minimal)', () => {
  test('COUNT, LIST, INFO, DOCS', async () => {
    const c = commandHarness(standardSource()).client();
    const [count] = await c.values('COMMAND', 'COUNT');
    assert.equal(count.t, 'int');
    const [list] = await c.values('COMMAND', 'LIST');
    const names = items(list).map(str);
    for (const n of [
      'ping',
      'sentinel',
      'sentinel|masters',
      'sentinel|get-master-addr-by-name',
      'client|setname',
    ])
      assert.ok(names.includes(n), n);
    assert.equal(await c.run('COMMAND', 'INFO', 'get'), '*1\r\n$-1\r\n');
    const [info] = await c.values('COMMAND', 'INFO', 'ping', 'sentinel|master');
    const [ping, master] = items(info).map(items);
    assert.equal(str(ping[0]), 'ping');
    assert.deepEqual(ping[1], { t: 'int', v: -1 });
    assert.equal(str(master[0]), 'sentinel|master');
    const [all] = await c.values('COMMAND');
    assert.equal(items(all).length, count.t === 'int' ? count.v : -1);
    const [docs] = await c.values('COMMAND', 'DOCS', 'ping');
    assert.equal(str(pairs(docs)[0][0]), 'ping');
    assert.equal(await c.run('COMMAND', 'FOO'), "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n");
  });
});
