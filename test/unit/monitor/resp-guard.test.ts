import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_RESP_CAPS, RespGuard } from '../../../src/monitor/resp-guard.js';
import * as sample from './samples.js';

/** RESP2 as Redis writes it: strings as bulk strings, numbers as integers. */
function encode(value: unknown): string {
  if (value === null) return '$-1\r\n';
  if (typeof value === 'number') return `:${value}\r\n`;
  if (typeof value === 'string') return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
  if (Array.isArray(value)) return `*${value.length}\r\n${value.map(encode).join('')}`;
  throw new Error(`cannot encode ${typeof value}`);
}

// What a probe and admin connection receive: ROLE, INFO, simple replies, errors, EXEC results.
const stream = Buffer.from(
  [
    '+OK\r\n',
    encode(sample.masterRole),
    encode(sample.masterInfo),
    encode(sample.replicaRole),
    '-LOADING Redis is loading the dataset in memory\r\n',
    '*4\r\n+OK\r\n-ERR The server is running without a config file\r\n:1\r\n:0\r\n',
    encode(sample.promotedRole),
    '$0\r\n\r\n',
    '*-1\r\n',
    '*0\r\n',
    ':-1\r\n',
  ].join(''),
);
const REPLIES = 11;

function scan(chunks: readonly Uint8Array[]): { violation: string | null; completed: number } {
  const g = new RespGuard();
  let violation: string | null = null;
  for (const c of chunks) violation ??= g.push(c);
  return { violation, completed: g.completed };
}

describe('RespGuard accepts what Redis sends', () => {
  test('in one chunk', () => {
    assert.deepEqual(scan([stream]), { violation: null, completed: REPLIES });
  });

  test('split at every byte boundary', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const r = scan([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(r, { violation: null, completed: REPLIES }, `cut at ${cut}`);
    }
  });

  test('one byte at a time', () => {
    const bytes = [...stream].map((b) => Uint8Array.of(b));
    assert.deepEqual(scan(bytes), { violation: null, completed: REPLIES });
  });

  test('a bulk payload may hold CR, LF and any byte', () => {
    const payload = Buffer.from([13, 10, 0, 255, 36, 42, 13]);
    const bytes = Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
    assert.deepEqual(scan([bytes]), { violation: null, completed: 1 });
  });
});

describe('RespGuard refuses garbage and absurd sizes', () => {
  const cases: [string, string, RegExp][] = [
    ['a terabyte bulk string', '$999999999999\r\n', /bulk length 999999999999 over the cap/],
    ['a huge array', '*99999999\r\n', /array length 99999999 over the cap/],
    ['text that is not RESP', 'HTTP/1.1 400 Bad Request\r\n', /unexpected reply type byte 0x48 \("H"\)/],
    ['a RESP3 map (we never asked for RESP3)', '%1\r\n+a\r\n+b\r\n', /unexpected reply type byte 0x25/],
    ['a length that is not a number', '$12a\r\nhello\r\n', /malformed number/],
    ['a length below -1', '*-2\r\n', /negative length -2/],
    ['a number with too many digits', `:${'9'.repeat(40)}\r\n`, /too long/],
    ['a line ended by LF alone', '+OK\n', /not terminated by CRLF/],
    ['a bulk string longer than announced', '$2\r\nabc\r\n', /bulk string not terminated by CRLF/],
    ['arrays nested too deep', '*1\r\n'.repeat(DEFAULT_RESP_CAPS.maxDepth + 1), /nested deeper than 8/],
  ];
  for (const [name, bytes, why] of cases) {
    test(name, () => {
      const r = scan([Buffer.from(bytes, 'latin1')]);
      assert.ok(r.violation !== null, 'expected a violation');
      assert.match(r.violation, why);
    });
  }

  test('a line longer than the cap is refused while it streams, without waiting for its end', () => {
    const g = new RespGuard();
    assert.equal(g.push(Buffer.from('+')), null);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let violation: string | null = null;
    for (let i = 0; i < 8 && violation === null; i++) violation = g.push(chunk);
    assert.match(violation ?? '', /line over 65536 bytes/);
  });

  test('a reply whose parts together exceed the cap is refused', () => {
    const g = new RespGuard({ ...DEFAULT_RESP_CAPS, maxReplyBytes: 1000 });
    assert.equal(g.push(Buffer.from('*100\r\n')), null);
    let violation: string | null = null;
    for (let i = 0; i < 100 && violation === null; i++)
      violation = g.push(Buffer.from(encode('x'.repeat(50))));
    assert.match(violation ?? '', /reply over 1000 bytes/);
  });

  test('the reply cap counts one reply, not the connection', () => {
    const g = new RespGuard({ ...DEFAULT_RESP_CAPS, maxReplyBytes: 100 });
    for (let i = 0; i < 1000; i++) assert.equal(g.push(Buffer.from(encode('x'.repeat(50)))), null);
    assert.equal(g.completed, 1000);
  });

  test('a violation sticks: the stream cannot be resynchronised', () => {
    const g = new RespGuard();
    const first = g.push(Buffer.from('!junk\r\n'));
    assert.ok(first);
    assert.equal(g.push(Buffer.from('+OK\r\n')), first);
  });
});
