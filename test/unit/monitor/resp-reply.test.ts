import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplyError } from '../../../src/monitor/classify.js';
import {
  DEFAULT_RESP_CAPS,
  encodeCommand,
  RespReader,
  type RespValue,
} from '../../../src/monitor/resp-reply.js';
import * as sample from './samples.js';

/** RESP2 as Redis writes it: strings as bulk strings, numbers as integers. */
function encode(value: unknown): string {
  if (value === null) return '$-1\r\n';
  if (typeof value === 'number') return `:${value}\r\n`;
  if (typeof value === 'string') return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
  if (Array.isArray(value)) return `*${value.length}\r\n${value.map(encode).join('')}`;
  throw new Error(`cannot encode ${typeof value}`);
}

/** Error replies as values, comparable with deepEqual. */
function plain(v: RespValue): unknown {
  if (v instanceof ReplyError) return { error: v.message, code: v.code, name: v.name };
  return Array.isArray(v) ? v.map(plain) : v;
}

// What a probe and admin connection receive: ROLE, INFO, simple replies, errors, EXEC results,
// null bulk strings and arrays, nesting, UTF-8.
const parts: [string, unknown][] = [
  ['+OK\r\n', 'OK'],
  [encode(sample.masterRole), sample.masterRole],
  [encode(sample.masterInfo), sample.masterInfo],
  [encode(sample.replicaRole), sample.replicaRole],
  [
    '-LOADING Redis is loading the dataset in memory\r\n',
    { error: 'LOADING Redis is loading the dataset in memory', code: 'LOADING', name: 'ReplyError' },
  ],
  [
    '*4\r\n+OK\r\n-ERR The server is running without a config file\r\n:1\r\n:0\r\n',
    [
      'OK',
      { error: 'ERR The server is running without a config file', code: 'ERR', name: 'ReplyError' },
      1,
      0,
    ],
  ],
  [encode(sample.promotedRole), sample.promotedRole],
  ['$0\r\n\r\n', ''],
  ['$-1\r\n', null],
  ['*-1\r\n', null],
  ['*0\r\n', []],
  [':-1\r\n', -1],
  ['*2\r\n*-1\r\n*2\r\n$-1\r\n*1\r\n*0\r\n', [null, [null, [[]]]]],
  [encode('grüße, 日本 🙂'), 'grüße, 日本 🙂'],
  ['+\r\n', ''],
];
const stream = Buffer.from(parts.map(([bytes]) => bytes).join(''));
const expected = parts.map(([, value]) => value);

function read(chunks: readonly Buffer[]): {
  violation: string | null;
  replies: unknown[];
  completed: number;
} {
  const replies: unknown[] = [];
  const r = new RespReader((v) => replies.push(plain(v)));
  let violation: string | null = null;
  for (const c of chunks) violation ??= r.push(c);
  return { violation, replies, completed: r.completed };
}

describe('RespReader reads what Redis sends', () => {
  test('in one chunk', () => {
    assert.deepEqual(read([stream]), { violation: null, replies: expected, completed: parts.length });
  });

  test('split at every byte boundary', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const r = read([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(r.replies, expected, `cut at ${cut}`);
      assert.equal(r.violation, null, `cut at ${cut}`);
    }
  });

  test('split at every pair of boundaries of the shorter replies', () => {
    const short = Buffer.from(
      parts
        .filter(([b]) => b.length < 100)
        .map(([b]) => b)
        .join(''),
    );
    const values = parts.filter(([b]) => b.length < 100).map(([, v]) => v);
    for (let a = 1; a < short.length; a++) {
      for (let b = a + 1; b < short.length; b++) {
        const r = read([short.subarray(0, a), short.subarray(a, b), short.subarray(b)]);
        assert.deepEqual(r.replies, values, `cuts at ${a} and ${b}`);
      }
    }
  });

  test('one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.of(b));
    assert.deepEqual(read(bytes), { violation: null, replies: expected, completed: parts.length });
  });

  test('a bulk payload may hold CR, LF and any byte', () => {
    const payload = Buffer.from([13, 10, 0, 36, 42, 13, 0x41]);
    const bytes = Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = read([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(r.replies, [payload.toString('utf8')], `cut at ${cut}`);
    }
  });

  test('a reply comes out only when complete', () => {
    const replies: RespValue[] = [];
    const r = new RespReader((v) => replies.push(v));
    assert.equal(r.push(Buffer.from('*2\r\n$4\r\nROLE\r\n')), null);
    assert.equal(replies.length, 0);
    assert.equal(r.push(Buffer.from(':7\r\n+OK')), null);
    assert.deepEqual(replies, [['ROLE', 7]]);
    assert.equal(r.push(Buffer.from('\r\n')), null);
    assert.deepEqual(replies, [['ROLE', 7], 'OK']);
  });
});

describe('RespReader refuses garbage and absurd sizes', () => {
  const cases: [string, string, RegExp][] = [
    ['a terabyte bulk string', '$999999999999\r\n', /bulk length 999999999999 over the cap/],
    ['a huge array', '*99999999\r\n', /array length 99999999 over the cap/],
    ['text that is not RESP', 'HTTP/1.1 400 Bad Request\r\n', /unexpected reply type byte 0x48 \("H"\)/],
    ['a RESP3 map (we never asked for RESP3)', '%1\r\n+a\r\n+b\r\n', /unexpected reply type byte 0x25/],
    ['a length that is not a number', '$12a\r\nhello\r\n', /malformed number/],
    ['an empty length', '*\r\n', /malformed number ""/],
    ['a length below -1', '*-2\r\n', /negative length -2/],
    ['a number with too many digits', `:${'9'.repeat(40)}\r\n`, /too long/],
    ['a line ended by LF alone', '+OK\n', /not terminated by CRLF/],
    ['a bare LF', '+\n', /not terminated by CRLF/],
    ['a bulk string longer than announced', '$2\r\nabc\r\n', /bulk string not terminated by CRLF/],
    ['arrays nested too deep', '*1\r\n'.repeat(DEFAULT_RESP_CAPS.maxDepth + 1), /nested deeper than 8/],
  ];
  for (const [name, bytes, why] of cases) {
    test(name, () => {
      const r = read([Buffer.from(bytes, 'latin1')]);
      assert.ok(r.violation !== null, 'expected a violation');
      assert.match(r.violation, why);
      assert.deepEqual(r.replies, []);
    });
  }

  test('the same verdicts over any chunking', () => {
    for (const [name, bytes, why] of cases) {
      const whole = Buffer.from(bytes, 'latin1');
      for (let cut = 1; cut < whole.length; cut++) {
        const r = read([whole.subarray(0, cut), whole.subarray(cut)]);
        assert.match(r.violation ?? '', why, `${name}, cut at ${cut}`);
      }
    }
  });

  test('arrays as deep as the cap are fine', () => {
    const depth = DEFAULT_RESP_CAPS.maxDepth;
    const r = read([Buffer.from(`${'*1\r\n'.repeat(depth)}:5\r\n`)]);
    let v: unknown = 5;
    for (let i = 0; i < depth; i++) v = [v];
    assert.deepEqual(r, { violation: null, replies: [v], completed: 1 });
  });

  test('a line longer than the cap is refused while it streams, without waiting for its end', () => {
    const r = new RespReader(() => assert.fail('no reply expected'));
    assert.equal(r.push(Buffer.from('+')), null);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let violation: string | null = null;
    for (let i = 0; i < 8 && violation === null; i++) violation = r.push(chunk);
    assert.match(violation ?? '', /line over 65536 bytes/);
  });

  test('a reply whose parts together exceed the cap is refused', () => {
    const r = new RespReader(() => assert.fail('no reply expected'), {
      ...DEFAULT_RESP_CAPS,
      maxReplyBytes: 1000,
    });
    assert.equal(r.push(Buffer.from('*100\r\n')), null);
    let violation: string | null = null;
    for (let i = 0; i < 100 && violation === null; i++)
      violation = r.push(Buffer.from(encode('x'.repeat(50))));
    assert.match(violation ?? '', /reply over 1000 bytes/);
  });

  test('the reply cap counts one reply, not the connection', () => {
    const r = new RespReader(() => {}, { ...DEFAULT_RESP_CAPS, maxReplyBytes: 100 });
    for (let i = 0; i < 1000; i++) assert.equal(r.push(Buffer.from(encode('x'.repeat(50)))), null);
    assert.equal(r.completed, 1000);
  });

  test('the replies before a violation are delivered; a violation sticks', () => {
    const replies: RespValue[] = [];
    const r = new RespReader((v) => replies.push(v));
    const first = r.push(Buffer.from('+OK\r\n:1\r\n!junk\r\n'));
    assert.ok(first);
    assert.deepEqual(replies, ['OK', 1]);
    assert.equal(r.push(Buffer.from('+OK\r\n')), first);
    assert.deepEqual(replies, ['OK', 1]);
  });
});

describe('encodeCommand', () => {
  test('an array of bulk strings, lengths in bytes', () => {
    assert.equal(encodeCommand(['ROLE']), '*1\r\n$4\r\nROLE\r\n');
    assert.equal(
      encodeCommand(['CLIENT', 'SETNAME', 'é']),
      '*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$2\r\né\r\n',
    );
    assert.equal(encodeCommand(['SET', '', 'a\r\nb']), '*3\r\n$3\r\nSET\r\n$0\r\n\r\n$4\r\na\r\nb\r\n');
  });

  test('what it encodes reads back as the same strings', () => {
    const args = ['AUTH', 'user name', 'pässwörd 🙂', '', '*1\r\n$-1\r\n'];
    const out: RespValue[] = [];
    assert.equal(new RespReader((v) => out.push(v)).push(Buffer.from(encodeCommand(args))), null);
    assert.deepEqual(out, [args]);
  });
});
