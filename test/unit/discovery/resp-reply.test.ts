import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RaftinelError } from '../../../src/util/errors.js';
import { MasterAddressReplies } from '../../../src/discovery/resp/commands/address-reply.js';
import { globMatch } from '../../../src/discovery/resp/glob.js';
import {
  array,
  bulk,
  bulkMap,
  encode,
  error,
  integer,
  NULL_ARRAY,
  NULL_BULK,
  preEncoded,
  push,
  simple,
  type Reply,
} from '../../../src/discovery/resp/reply.js';

const both = (reply: Reply): [string, string] => [
  encode(reply, 2).toString('latin1'),
  encode(reply, 3).toString('latin1'),
];

describe('reply encoding', () => {
  test('scalars are the same in RESP2 and RESP3', () => {
    assert.deepEqual(both(simple('PONG')), ['+PONG\r\n', '+PONG\r\n']);
    assert.deepEqual(both(integer(42)), [':42\r\n', ':42\r\n']);
    assert.deepEqual(both(bulk('16379')), ['$5\r\n16379\r\n', '$5\r\n16379\r\n']);
    assert.deepEqual(both(bulk('')), ['$0\r\n\r\n', '$0\r\n\r\n']);
    assert.deepEqual(both(bulk(Buffer.from([0, 255]))), ['$2\r\n\x00\xff\r\n', '$2\r\n\x00\xff\r\n']);
  });

  test('bulk lengths count bytes, not characters', () => {
    assert.equal(encode(bulk('é'), 2).toString('latin1'), '$2\r\n\xc3\xa9\r\n');
  });

  test('nulls: $-1 / *-1 in RESP2, _ in RESP3', () => {
    assert.deepEqual(both(NULL_BULK), ['$-1\r\n', '_\r\n']);
    assert.deepEqual(both(NULL_ARRAY), ['*-1\r\n', '_\r\n']);
  });

  test('maps are flat arrays in RESP2, % maps in RESP3, values bulk strings', () => {
    const [r2, r3] = both(
      bulkMap([
        ['port', 6379],
        ['flags', 'master'],
      ]),
    );
    assert.equal(r2, '*4\r\n$4\r\nport\r\n$4\r\n6379\r\n$5\r\nflags\r\n$6\r\nmaster\r\n');
    assert.equal(r3, '%2\r\n$4\r\nport\r\n$4\r\n6379\r\n$5\r\nflags\r\n$6\r\nmaster\r\n');
  });

  test('push frames are arrays in RESP2 and > in RESP3', () => {
    const [r2, r3] = both(push([bulk('message'), bulk('+sdown'), bulk('x')]));
    assert.equal(r2, '*3\r\n$7\r\nmessage\r\n$6\r\n+sdown\r\n$1\r\nx\r\n');
    assert.equal(r3, '>3\r\n$7\r\nmessage\r\n$6\r\n+sdown\r\n$1\r\nx\r\n');
  });

  test('nested arrays', () => {
    assert.deepEqual(both(array([bulk('sentinel'), array([bulk('mymaster')])])), [
      '*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n',
      '*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n',
    ]);
  });

  test('CR and LF in error and status texts become spaces (no reply injection)', () => {
    assert.equal(
      encode(error("ERR unknown command 'a\r\n+OK'"), 2).toString(),
      "-ERR unknown command 'a  +OK'\r\n",
    );
    assert.equal(encode(simple('a\nb'), 3).toString(), '+a b\r\n');
  });

  test('a pre-encoded reply is sent as encoded, the same bytes in RESP2 and RESP3', () => {
    const reply = preEncoded(array([bulk('127.0.0.1'), bulk('6379')]));
    assert.deepEqual(both(reply), [
      '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n',
      '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n',
    ]);
  });

  test('replies that differ between RESP2 and RESP3 cannot be pre-encoded', () => {
    for (const reply of [NULL_BULK, bulkMap([['a', 1]]), push([bulk('x')]), array([NULL_ARRAY])]) {
      assert.throws(
        () => preEncoded(reply),
        (err: unknown) => err instanceof RaftinelError && err.code === 'reply_not_protocol_neutral',
        reply.type,
      );
    }
  });
});

describe('the encoded answers of GET-MASTER-ADDR-BY-NAME', () => {
  const text = (reply: Reply): string => encode(reply, 2).toString();

  test('are encoded once per shard and master, and reused while host and port stay', () => {
    const replies = new MasterAddressReplies();
    const first = replies.reply('mymaster', { host: '127.0.0.1', port: 6379 });
    assert.equal(text(first), '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n');
    // A source may name the master with a new object each time: the values decide.
    assert.equal(replies.reply('mymaster', { host: '127.0.0.1', port: 6379 }), first, 'not encoded again');
    const other = replies.reply('other', { host: '10.0.0.2', port: 7000 });
    assert.equal(text(other), '*2\r\n$8\r\n10.0.0.2\r\n$4\r\n7000\r\n');
    assert.equal(replies.reply('mymaster', { host: '127.0.0.1', port: 6379 }), first, 'per shard');
  });

  test('follow a new master at once, port or host', () => {
    const replies = new MasterAddressReplies();
    const master: { host: string; port: number } = { host: '127.0.0.1', port: 6379 };
    replies.reply('mymaster', master);
    master.port = 6380; // even the same object changed in place
    assert.equal(text(replies.reply('mymaster', master)), '*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n');
    assert.equal(
      text(replies.reply('mymaster', { host: '127.0.0.2', port: 6380 })),
      '*2\r\n$9\r\n127.0.0.2\r\n$4\r\n6380\r\n',
    );
  });
});

describe('glob patterns (PSUBSCRIBE)', () => {
  const cases: [string, string, boolean][] = [
    ['*', '+switch-master', true],
    ['+switch*', '+switch-master', true],
    ['switch-master', '+switch-master', false],
    ['[-+]sdown', '+sdown', true],
    ['[-+]sdown', '-sdown', true],
    ['[-+]sdown', '+odown', false],
    ['+?down', '+sdown', true],
    ['[^+]sdown', '+sdown', false],
    ['[a-c]x', 'bx', true],
    ['[c-a]x', 'bx', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['', '', true],
    ['*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000), false],
  ];
  for (const [pattern, text, expected] of cases) {
    test(`${JSON.stringify(pattern)} ~ ${JSON.stringify(text.slice(0, 20))}`, () => {
      assert.equal(globMatch(pattern, text), expected);
    });
  }
});
