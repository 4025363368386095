// The corruption test: a real log, cut at every byte offset and with every byte flipped.
// A cut must always open, keeping exactly the whole records before it; a flip must refuse to
// start (naming file and offset) unless it hit the last record, which is then a torn tail.
// Nothing may ever load a wrong entry.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Entry } from '../../../src/raft/types.js';
import { openFileStorage, WAL_FILE } from '../../../src/storage/index.js';
import { type Bytes, view } from '../../../src/storage/bytes.js';
import { captureLogger, copyBytes, entry, joinBytes, tempDir, writeBytes } from './helpers.js';

const written: Entry[] = [
  entry(1, 1, '', 'noop'),
  entry(2, 1, '{"op":"set","shard":"s1","primary":"10.0.0.1:6379"}'),
  entry(3, 1, JSON.stringify({ type: 'addLearner', id: 'n4' }), 'conf'),
  entry(4, 2, '', 'noop'),
  entry(5, 2, 'üñíçødé ✓ "quoted" \\ \n'),
  entry(6, 2, 'x'.repeat(40)),
];

describe('log corruption', () => {
  let t: ReturnType<typeof tempDir>;
  let good: Buffer;
  let starts: number[];
  let ends: number[];
  let logPath: string;

  before(() => {
    t = tempDir('corrupt');
    const s = openFileStorage(t.dir, captureLogger().logger);
    // One save per entry: the WAL holds one record per save.
    written.forEach((e, i) => s.save({ term: e.term, vote: 'a', commit: i }, [e]));
    s.close();
    logPath = join(t.dir, WAL_FILE);
    good = readFileSync(logPath);
    // Record boundaries from the headers, independently of the code under test.
    starts = [];
    ends = [];
    for (let pos = 0; pos < good.length; pos = ends[ends.length - 1]) {
      starts.push(pos);
      ends.push(pos + 8 + good.readUInt32BE(pos));
    }
    assert.equal(starts.length, written.length);
    assert.equal(ends[ends.length - 1], good.length);
  });
  after(() => t.remove());

  /** Opens the store over `bytes` as raft.wal; what it loaded, its warnings and the file size after. */
  function openWith(bytes: Bytes) {
    writeBytes(logPath, bytes);
    const cap = captureLogger();
    const s = openFileStorage(t.dir, cap.logger);
    try {
      return {
        entries: s.load().entries,
        torn: cap.events('log-torn-tail-truncated'),
        size: statSync(logPath).size,
      };
    } finally {
      s.close();
    }
  }

  it('the intact log loads as written', () => {
    const r = openWith(good);
    assert.deepEqual(r.entries, written);
    assert.equal(r.torn.length, 0);
  });

  it('a cut at every byte offset opens with exactly the whole records before it', () => {
    for (let cut = 0; cut < good.length; cut++) {
      const whole = ends.filter((e) => e <= cut).length;
      const boundary = whole === 0 ? 0 : ends[whole - 1];
      const r = openWith(good.subarray(0, cut));
      const at = `cut at ${cut}`;
      assert.deepEqual(r.entries, written.slice(0, whole), at);
      assert.equal(r.size, boundary, at);
      if (cut === boundary) {
        assert.equal(r.torn.length, 0, at);
      } else {
        assert.equal(r.torn.length, 1, at);
        assert.equal(r.torn[0].file, logPath, at);
        assert.equal(r.torn[0].offset, boundary, at);
        assert.equal(r.torn[0].level, 40, `${at}: logged as a warning`);
      }
    }
  });

  it('a flipped byte at every offset refuses to start, or cuts the last record as a torn tail', () => {
    const last = written.length - 1;
    let refused = 0;
    for (let at = 0; at < good.length; at++) {
      const bad = copyBytes(good);
      bad[at] ^= 0xff;
      const rec = starts.findIndex((s, i) => s <= at && at < ends[i]);
      const where = `byte ${at} flipped (record ${rec} at ${starts[rec]})`;
      if (rec === last) {
        const r = openWith(bad);
        assert.deepEqual(r.entries, written.slice(0, last), where);
        assert.equal(r.size, starts[last], where);
        assert.equal(r.torn.length, 1, where);
        assert.equal(r.torn[0].offset, starts[last], where);
        continue;
      }
      assert.throws(
        () => openWith(bad),
        (err: Error & { code?: string; details?: Record<string, unknown> }) => {
          assert.equal(err.code, 'storage_corrupt', `${where}: ${err.message}`);
          assert.ok(err.message.includes(logPath), `${where}: names the file: ${err.message}`);
          assert.ok(
            err.message.includes(`byte offset ${starts[rec]}`),
            `${where}: names the offset: ${err.message}`,
          );
          assert.deepEqual(err.details, { file: logPath, offset: starts[rec] }, where);
          return true;
        },
      );
      // Refusing must leave the file as it was, for the operator to inspect.
      assert.ok(readFileSync(logPath).equals(view(bad)), `${where}: file untouched`);
      refused++;
    }
    assert.equal(refused, starts[last]);
  });

  it('zeros after the last record (a size extended before its data landed) are a torn tail', () => {
    const r = openWith(joinBytes(good, new Uint8Array(100)));
    assert.deepEqual(r.entries, written);
    assert.equal(r.torn.length, 1);
    assert.equal(r.size, good.length);
  });
});
