import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { splitInlineArgs } from '../../../src/discovery/resp/inline.js';
import {
  parseInteger,
  RequestParser,
  type ParserLimits,
  type ParseResult,
} from '../../../src/discovery/resp/parser.js';
import { encodeCommand } from './support/raw-client.js';

const AUTHED: ParserLimits = {
  maxArgs: 1024,
  maxBulkBytes: 512 * 1024,
  maxCommandBytes: 1024 * 1024,
  unauthenticated: false,
};
const PRE_AUTH: ParserLimits = {
  maxArgs: 10,
  maxBulkBytes: 16 * 1024,
  maxCommandBytes: 1024 * 1024,
  unauthenticated: true,
};

/** Feeds the chunks one by one, collecting every command and error until input runs out. */
function parseChunks(chunks: readonly Buffer[], limits = AUTHED): (string[] | string)[] {
  const parser = new RequestParser();
  const out: (string[] | string)[] = [];
  const drain = (): boolean => {
    for (;;) {
      const r: ParseResult = parser.next(limits);
      if (r.kind === 'incomplete') return true;
      if (r.kind === 'error') {
        out.push(`error: ${r.message}`);
        return false;
      }
      out.push(r.args.map((a) => a.toString('latin1')));
    }
  };
  for (const chunk of chunks) {
    parser.push(chunk);
    if (!drain()) break;
  }
  return out;
}

const parse = (text: string, limits = AUTHED): (string[] | string)[] =>
  parseChunks([Buffer.from(text, 'latin1')], limits);

describe('RESP request parser', () => {
  test('multibulk commands, several in one chunk (pipelining)', () => {
    const bytes = Buffer.concat([
      encodeCommand(['PING']),
      encodeCommand(['SENTINEL', 'get-master-addr-by-name', 'mymaster']),
    ]);
    assert.deepEqual(parseChunks([bytes]), [['PING'], ['SENTINEL', 'get-master-addr-by-name', 'mymaster']]);
  });

  test('the same commands arrive when split one byte at a time', () => {
    const bytes = Buffer.concat([
      encodeCommand(['SENTINEL', 'masters']),
      Buffer.from('PING\r\n'),
      encodeCommand(['a', '']),
    ]);
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    assert.deepEqual(parseChunks(chunks), [['SENTINEL', 'masters'], ['PING'], ['a', '']]);
  });

  test('any split of a valid stream gives the same commands (property)', () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
    const command = fc.array(arg, { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (commands, cuts) => {
          const bytes = Buffer.concat(commands.map((c) => encodeCommand(c)));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(bytes.subarray(last, p));
            last = p;
          }
          chunks.push(bytes.subarray(last));
          const expected = commands.map((c) => c.map((a) => a.toString('latin1')));
          assert.deepEqual(parseChunks(chunks), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes never throw: commands, incomplete, or one error', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const out = parseChunks(chunks.map((c) => Buffer.from(c)));
        const errors = out.filter((o) => typeof o === 'string');
        assert.ok(errors.length <= 1);
        if (errors.length === 1) assert.equal(typeof out.at(-1), 'string');
      }),
      { numRuns: 500 },
    );
  });

  test('inline commands: CRLF or LF, blank lines skipped, quoting as redis-cli', () => {
    assert.deepEqual(parse('PING\r\n\r\n\n   \r\nSENTINEL get-master-addr-by-name mymaster\n'), [
      ['PING'],
      ['SENTINEL', 'get-master-addr-by-name', 'mymaster'],
    ]);
    assert.deepEqual(parse('SET "a b" \'c\\\'d\' "\\x41\\n"\r\n'), [['SET', 'a b', "c'd", 'A\n']]);
  });

  test('*0 and *-1 are skipped silently, as Redis does', () => {
    assert.deepEqual(parse('*0\r\n*-1\r\nPING\r\n'), [['PING']]);
  });

  test("Redis's protocol error texts", () => {
    assert.deepEqual(parse('*abc\r\n'), ['error: invalid multibulk length']);
    assert.deepEqual(parse('*1\r\n+foo\r\n'), ["error: expected '$', got '+'"]);
    assert.deepEqual(parse('*1\r\n$abc\r\n'), ['error: invalid bulk length']);
    assert.deepEqual(parse('*1\r\n$-1\r\n'), ['error: invalid bulk length']);
    assert.deepEqual(parse('*01\r\n'), ['error: invalid multibulk length']);
    assert.deepEqual(parse('*1\rx\n'), ['error: invalid multibulk length']);
    assert.deepEqual(parse('PING "abc\r\n'), ['error: unbalanced quotes in request']);
    assert.deepEqual(parse('PING "a"b\r\n'), ['error: unbalanced quotes in request']);
    assert.deepEqual(parse('*1\r\n$4\r\nPINGxx'), ['error: expected CRLF after bulk string']);
  });

  test('commands before a bad frame are still returned, then the error', () => {
    assert.deepEqual(parse('PING\r\n*1\r\n$9999999999\r\n'), [['PING'], 'error: invalid bulk length']);
  });

  test('caps: argument count, bulk length, command size', () => {
    assert.deepEqual(parse('*1025\r\n'), ['error: invalid multibulk length']);
    assert.equal(parse(`*1024\r\n${'$1\r\na\r\n'.repeat(1024)}`).length, 1);
    assert.deepEqual(parse(`*1\r\n$${512 * 1024 + 1}\r\n`), ['error: invalid bulk length']);
    const limits = { ...AUTHED, maxCommandBytes: 10 };
    assert.deepEqual(parse('*2\r\n$6\r\nabcdef\r\n$6\r\n', limits), ['error: too big request']);
  });

  test('before AUTH: at most 10 arguments of 16 KiB, with Redis\'s "unauthenticated" texts', () => {
    assert.deepEqual(parse('*11\r\n', PRE_AUTH), ['error: unauthenticated multibulk length']);
    assert.deepEqual(parse('*2\r\n$16385\r\n', PRE_AUTH), ['error: unauthenticated bulk length']);
    assert.equal(parse(`*1\r\n$16384\r\n${'x'.repeat(16384)}\r\n`, PRE_AUTH).length, 1);
    assert.deepEqual(parse(`${'a '.repeat(11)}\r\n`, PRE_AUTH), ['error: unauthenticated multibulk length']);
  });

  test('inline lines and header lines longer than 64 KiB', () => {
    assert.deepEqual(parse('x'.repeat(64 * 1024 + 1)), ['error: too big inline request']);
    assert.deepEqual(parse(`*${'1'.repeat(64 * 1024 + 1)}`), ['error: too big mbulk count string']);
    assert.deepEqual(parse(`*1\r\n$${'1'.repeat(64 * 1024 + 1)}`), ['error: too big bulk count string']);
  });

  test('after an error the parser stays failed', () => {
    const parser = new RequestParser();
    parser.push(Buffer.from('*x\r\n'));
    assert.equal(parser.next(AUTHED).kind, 'error');
    parser.push(Buffer.from('PING\r\n'));
    assert.equal(parser.next(AUTHED).kind, 'error');
  });

  test('a large bulk arriving in small chunks is complete only at its end', () => {
    const payload = Buffer.alloc(300 * 1024, 0x61);
    const bytes = encodeCommand(['AUTH', payload]);
    const parser = new RequestParser();
    let got: ParseResult = { kind: 'incomplete' };
    for (let i = 0; i < bytes.length; i += 1000) {
      parser.push(bytes.subarray(i, i + 1000));
      got = parser.next(AUTHED);
      if (i + 1000 < bytes.length) assert.equal(got.kind, 'incomplete');
    }
    assert.equal(got.kind, 'command');
    if (got.kind === 'command') assert.equal(got.args[1].length, payload.length);
    assert.equal(parser.bufferedBytes, 0);
  });

  test('a million blank lines do not overflow the stack', () => {
    assert.deepEqual(parse(`${'\n'.repeat(1_000_000)}PING\n`), [['PING']]);
  });
});

describe('inline splitting and integers', () => {
  test('sdssplitargs rules', () => {
    const split = (s: string): string[] | null =>
      splitInlineArgs(Buffer.from(s, 'latin1'))?.map((b) => b.toString('latin1')) ?? null;
    assert.deepEqual(split('  a\tb  c '), ['a', 'b', 'c']);
    assert.deepEqual(split('"" x'), ['', 'x']);
    assert.deepEqual(split('a"b c"'), ['ab c']);
    assert.deepEqual(split('"\\t\\r\\b\\a\\q"'), ['\t\r\b\x07q']);
    assert.equal(split("'abc"), null);
    assert.equal(split("'a'b"), null);
    assert.deepEqual(split('a\0b c'), ['a']);
  });

  test('parseInteger is strict like string2ll', () => {
    assert.equal(parseInteger(Buffer.from('0')), 0);
    assert.equal(parseInteger(Buffer.from('-1')), -1);
    assert.equal(parseInteger(Buffer.from('1024')), 1024);
    for (const bad of ['', '-', '+1', '01', '1a', ' 1', '1 ', '123456789012']) {
      assert.equal(parseInteger(Buffer.from(bad)), null, bad);
    }
  });
});
