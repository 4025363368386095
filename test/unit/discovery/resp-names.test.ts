// Names on the hot path, read from the bytes a client sent: command and subcommand names
// (NameIndex: ASCII case folding only, as Redis's strcasecmp) and shard names (RecentNames:
// decoded once, the same text as Buffer#toString for any bytes).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { NameIndex } from '../../../src/discovery/resp/name-index.js';
import { RecentNames } from '../../../src/discovery/resp/recent-names.js';

describe('NameIndex', () => {
  const index = new NameIndex([
    ['get-master-addr-by-name', 1],
    ['get-primary-addr-by-name', 2],
    ['ping', 3],
    ['role', 4],
  ]);
  const get = (text: string): number | undefined => index.get(Buffer.from(text, 'latin1'));

  test('finds names in any ASCII case', () => {
    assert.equal(get('get-master-addr-by-name'), 1);
    assert.equal(get('GET-MASTER-ADDR-BY-NAME'), 1);
    assert.equal(get('Get-Primary-Addr-By-Name'), 2);
    assert.equal(get('pInG'), 3);
    assert.equal(get('ROLE'), 4);
  });

  test('anything else is unknown: other names, prefixes, longer names, non-ASCII bytes', () => {
    for (const text of [
      '',
      'pin',
      'pings',
      'rolf',
      'get-master-addr-by-nam',
      'p\xc9ng',
      'p\x09ng',
      'ro\x8ce',
    ]) {
      assert.equal(get(text), undefined, JSON.stringify(text));
    }
    // Only A-Z fold: '@' (0x40) and '[' (0x5b) are next to them and must not become '`' or '{'.
    const odd = new NameIndex([['`{', 9]]);
    assert.equal(odd.get(Buffer.from('@[')), undefined);
    assert.equal(odd.get(Buffer.from('`{')), 9);
  });

  test('agrees with lower-casing for every ASCII name (property)', () => {
    const names = ['ping', 'role', 'get-master-addr-by-name'];
    const byString = new Map(names.map((n, i) => [n, i]));
    const index2 = new NameIndex(names.map((n, i) => [n, i] as const));
    const ascii = fc.string({ unit: fc.constantFrom(...'pingroleGETMASTRDBYN-_ ABC@[`{'), maxLength: 24 });
    fc.assert(
      fc.property(fc.oneof(ascii, fc.constantFrom('PING', 'Role', 'GET-MASTER-ADDR-BY-NAME')), (text) => {
        assert.equal(index2.get(Buffer.from(text, 'latin1')), byString.get(text.toLowerCase()));
      }),
    );
  });
});

describe('RecentNames', () => {
  test('decodes as Buffer#toString, for valid and invalid UTF-8 alike (property)', () => {
    const names = new RecentNames();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        assert.equal(names.decode(b), b.toString());
        assert.equal(names.decode(b), b.toString(), 'asked again');
      }),
    );
  });

  test('keeps a copy of the bytes: a reused receive buffer cannot change what a name decodes to', () => {
    const names = new RecentNames();
    const received = Buffer.from('xxmymasterxx');
    const view = received.subarray(2, 10);
    assert.equal(names.decode(view), 'mymaster');
    received.write('yourmast', 2, 'latin1'); // the same memory, other bytes
    assert.equal(names.decode(view), 'yourmast');
    assert.equal(names.decode(Buffer.from('mymaster')), 'mymaster');
  });

  test('many distinct names: each still decodes right after older ones are dropped', () => {
    const names = new RecentNames();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) {
        assert.equal(names.decode(Buffer.from(`shard-${i}`)), `shard-${i}`);
      }
    }
  });
});
