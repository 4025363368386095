import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from '../../../src/storage/crc32.js';
import { encodeRecord, MAX_FRAME_BYTES, scanLog } from '../../../src/storage/record.js';
import { copyBytes, crc32Reference, entry, joinBytes } from './helpers.js';

const FILE = '/data/raft.log';

/** A record with a correct checksum around any payload. */
function rawRecord(payload: string): Buffer {
  const p = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(p.length, 0);
  header.writeUInt32BE(crc32Reference(p), 4);
  return joinBytes(header, p);
}

function log(...records: Buffer[]): Buffer {
  return joinBytes(...records);
}

function refuses(buf: Buffer, offset: number, why: RegExp): void {
  assert.throws(
    () => scanLog(buf, FILE),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'storage_corrupt');
      assert.ok(err.message.includes(`${FILE} at byte offset ${offset}`), err.message);
      assert.match(err.message, why);
      return true;
    },
  );
}

describe('crc32', () => {
  it('matches the standard check value and a bitwise reference', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    assert.equal(crc32(bytes), crc32Reference(bytes));
    assert.equal(crc32(bytes, 10, 500), crc32Reference(bytes.subarray(10, 500)));
  });
});

describe('log records', () => {
  const r1 = encodeRecord(entry(1, 1));
  const r2 = encodeRecord(entry(2, 1));
  const r3 = encodeRecord(entry(3, 2));

  it('encode and scan back, with offsets', () => {
    const scan = scanLog(log(r1, r2, r3), FILE);
    assert.deepEqual(scan.entries, [entry(1, 1), entry(2, 1), entry(3, 2)]);
    assert.deepEqual(scan.offsets, [0, r1.length, r1.length + r2.length]);
    assert.equal(scan.torn, null);
  });

  it('store only the entry fields', () => {
    const extra = { ...entry(1, 1), secret: 'x' };
    assert.ok(!encodeRecord(extra).toString().includes('secret'));
  });

  it('refuse an entry whose index does not follow, even as the last record', () => {
    refuses(log(r1, r2, encodeRecord(entry(4, 2))), r1.length + r2.length, /index 4 does not follow 2/);
    refuses(log(r1, r1), r1.length, /index 1 does not follow 1/);
  });

  it('refuse a record whose checksum holds but whose payload is not an entry, even as the last', () => {
    refuses(log(r1, rawRecord('not json')), r1.length, /not JSON/);
    refuses(
      log(r1, rawRecord('{"index":2,"term":1,"kind":"bogus","data":""}'), r3),
      r1.length,
      /not a log entry/,
    );
    refuses(log(rawRecord('{"index":0,"term":1,"kind":"noop","data":""}')), 0, /not a log entry/);
  });

  it('refuse an impossible length in the middle, cut it at the tail', () => {
    const huge = copyBytes(r2);
    huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    refuses(log(r1, huge, r3), r1.length, /impossible record length/);
    const scan = scanLog(log(r1, r2, huge), FILE);
    assert.deepEqual(scan.torn?.offset, r1.length + r2.length);
    const zero = copyBytes(r2);
    zero.writeUInt32BE(0, 0);
    refuses(log(r1, zero, r3), r1.length, /impossible record length 0/);
  });

  it('refuse a middle record whose length points past the end of the file', () => {
    // The naive rule ("runs past EOF, so it is torn") would drop records 2 and 3 silently.
    const long = copyBytes(r2);
    long.writeUInt32BE(r2.length + 1000, 0);
    refuses(log(r1, long, r3), r1.length, /past end of file/);
  });

  it('treat a short header or short payload at the end as a torn tail', () => {
    for (const cut of [1, 7, 8, 9, r3.length - 1]) {
      const scan = scanLog(log(r1, r2, r3.subarray(0, cut)), FILE);
      assert.deepEqual(scan.entries, [entry(1, 1), entry(2, 1)]);
      assert.equal(scan.end, r1.length + r2.length);
      assert.equal(scan.torn?.offset, r1.length + r2.length);
    }
  });
});
