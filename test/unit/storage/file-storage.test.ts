import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RaftStorage } from '../../../src/runtime/ports.js';
import {
  FileStorage,
  HARD_STATE_FILE,
  LOG_FILE,
  openFileStorage,
  SNAPSHOT_FILE,
} from '../../../src/storage/index.js';
import { storageContract } from './contract.js';
import { captureLogger, crc32Reference, entries, entry, snapshot, tempDir, writeBytes } from './helpers.js';

storageContract('FileStorage', () => {
  const t = tempDir('contract');
  const open = (): RaftStorage => openFileStorage(t.dir, captureLogger().logger);
  return { create: open, reopen: open, cleanup: t.remove };
});

describe('FileStorage', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir('file');
  });
  afterEach(() => t.remove());

  const open = (dir = t.dir): FileStorage => openFileStorage(dir, captureLogger().logger);
  const flipByte = (file: string, at: number): void => {
    const b = readFileSync(file);
    b[at] ^= 0xff;
    writeBytes(file, b);
  };

  it('creates a missing data dir, with parents, and keeps its files in it', () => {
    const dir = join(t.dir, 'a', 'b', 'data');
    const s = open(dir);
    s.save({ term: 1, vote: 'n1', commit: 0 }, entries(1, 2, 1));
    s.saveSnapshot(snapshot(1, 1));
    s.close();
    assert.ok(statSync(dir).isDirectory());
    assert.deepEqual(readdirSync(dir).sort(), [HARD_STATE_FILE, LOG_FILE, SNAPSHOT_FILE].sort());
  });

  it('refuses a data dir path that is a file, naming the path', () => {
    const file = join(t.dir, 'not-a-dir');
    writeBytes(file, 'x');
    for (const dir of [file, join(file, 'sub')]) {
      assert.throws(
        () => open(dir),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'data_dir_unusable');
          assert.match(err.message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
          return true;
        },
      );
    }
  });

  it('refuses a corrupt hard state, naming the file', () => {
    const s = open();
    s.save({ term: 7, vote: 'n2', commit: 3 }, entries(1, 3, 7));
    s.close();
    const file = join(t.dir, HARD_STATE_FILE);
    const good = readFileSync(file);
    const variants: [string, Buffer | string][] = [
      ['flipped byte in payload', Buffer.from(good.toString('utf8').replace('"term\\":7', '"term\\":8'))],
      ['not JSON', good.subarray(0, good.length - 5)],
      ['empty', Buffer.alloc(0)],
      ['wrong shape', Buffer.from('{"format":1,"crc32":0,"payload":"x"}')],
    ];
    for (const [label, bytes] of variants) {
      writeBytes(file, bytes);
      assert.throws(
        () => open(),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'storage_corrupt', label);
          assert.ok(err.message.includes(file), `${label}: ${err.message}`);
          return true;
        },
      );
    }
    // A checksum-valid payload of the wrong shape is refused too.
    const payload = JSON.stringify({ term: -1, vote: null, commit: 0 });
    writeBytes(file, JSON.stringify({ format: 1, crc32: crc32Reference(Buffer.from(payload)), payload }));
    assert.throws(() => open(), { code: 'storage_corrupt' });
    writeBytes(file, good);
    assert.deepEqual(open().load().hardState, { term: 7, vote: 'n2', commit: 3 });
  });

  it('refuses a corrupt snapshot, naming the file', () => {
    const s = open();
    s.save(null, entries(1, 3, 1));
    s.saveSnapshot(snapshot(2, 1));
    s.close();
    const file = join(t.dir, SNAPSHOT_FILE);
    flipByte(file, readFileSync(file).indexOf('state@2'));
    assert.throws(
      () => open(),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'storage_corrupt');
        assert.ok(err.message.includes(file));
        return true;
      },
    );
  });

  it('finishes a compaction cut short between the snapshot write and the log rewrite', () => {
    for (const [snapTerm, expected] of [
      [1, [6, 7, 8, 9, 10]],
      [2, []],
    ] as const) {
      const s = open();
      s.save(null, entries(1, 10, 1));
      s.close();
      const log = join(t.dir, LOG_FILE);
      const oldLog = readFileSync(log);
      const s2 = open();
      s2.saveSnapshot(snapshot(5, snapTerm));
      s2.close();
      writeBytes(log, oldLog); // as if the crash came before the rename of the new log
      const cap = captureLogger();
      const s3 = openFileStorage(t.dir, cap.logger);
      assert.deepEqual(
        s3.load().entries.map((e) => e.index),
        expected,
      );
      assert.equal(cap.events('log-compaction-completed').length, 1);
      assert.ok(readFileSync(log).length < oldLog.length);
      s3.close();
      t.remove();
      t = tempDir('file');
    }
  });

  it('refuses a log that starts after the snapshot (entries missing)', () => {
    const s = open();
    s.save(null, entries(1, 6, 1));
    s.saveSnapshot(snapshot(3, 1));
    s.close();
    unlinkSync(join(t.dir, SNAPSHOT_FILE));
    assert.throws(
      () => open(),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'storage_corrupt');
        assert.ok(err.message.includes(join(t.dir, LOG_FILE)));
        assert.match(err.message, /offset 0/);
        return true;
      },
    );
  });

  it('removes temporary files left by a crash and ignores their content', () => {
    const s = open();
    s.save({ term: 2, vote: null, commit: 0 }, entries(1, 2, 2));
    s.close();
    for (const name of [HARD_STATE_FILE, SNAPSHOT_FILE, LOG_FILE])
      writeBytes(join(t.dir, `${name}.tmp`), 'garbage');
    const s2 = open();
    assert.deepEqual(s2.load().hardState, { term: 2, vote: null, commit: 0 });
    assert.equal(s2.load().entries.length, 2);
    s2.close();
    assert.ok(!readdirSync(t.dir).some((n) => n.endsWith('.tmp')));
  });

  it('keeps working after a torn tail is cut off', () => {
    const s = open();
    s.save(null, entries(1, 3, 1));
    s.close();
    const log = join(t.dir, LOG_FILE);
    writeBytes(log, readFileSync(log).subarray(0, readFileSync(log).length - 3));
    const s2 = open();
    assert.deepEqual(s2.load().entries, entries(1, 2, 1));
    s2.save(null, [entry(3, 2)]);
    s2.close();
    assert.deepEqual(open().load().entries, [...entries(1, 2, 1), entry(3, 2)]);
  });

  it('refuses every call once closed', () => {
    const s = open();
    s.close();
    s.close();
    assert.throws(() => s.load(), { code: 'storage_closed' });
    assert.throws(() => s.save(null, [entry(1, 1)]), { code: 'storage_closed' });
    assert.throws(() => s.saveSnapshot(snapshot(1, 1)), { code: 'storage_closed' });
  });

  it('creates no state files until something is saved', () => {
    const dir = join(t.dir, 'fresh');
    mkdirSync(dir);
    open(dir).close();
    assert.ok(!existsSync(join(dir, HARD_STATE_FILE)));
    assert.ok(!existsSync(join(dir, SNAPSHOT_FILE)));
  });
});

describe('FileStorage on an unusable data dir', () => {
  it('reports a state file that cannot be read as data_dir_unusable', () => {
    const t = tempDir('unusable');
    try {
      mkdirSync(join(t.dir, HARD_STATE_FILE)); // a directory where a file belongs: EISDIR
      assert.throws(
        () => openFileStorage(t.dir, captureLogger().logger),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'data_dir_unusable');
          assert.ok(err.message.includes(t.dir), err.message);
          assert.match(err.message, /EISDIR/);
          return true;
        },
      );
    } finally {
      t.remove();
    }
  });
});
