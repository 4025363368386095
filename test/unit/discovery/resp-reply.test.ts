import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
