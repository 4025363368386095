import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RaftStorage } from '../../../src/runtime/ports.js';
import { writeChecksummed } from '../../../src/storage/checksummed-file.js';
import { FileStorage, nodeFs, openFileStorage, WAL_FILE } from '../../../src/storage/index.js';
import { encodeRecord } from '../../../src/storage/record.js';
import { storageContract } from './contract.js';
import {
  captureLogger,
  crc32Reference,
  entries,
  entry,
  joinBytes,
  snapshot,
  tempDir,
  writeBytes,
} from './helpers.js';

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
    assert.deepEqual(readdirSync(dir).sort(), [WAL_FILE, 'snapshot-1-1.json']);
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

  it('refuses a corrupt snapshot file, naming it, and one the WAL names but that is missing', () => {
    const s = open();
    s.save(null, entries(1, 3, 1));
    s.saveSnapshot(snapshot(2, 1));
    s.close();
    const file = join(t.dir, 'snapshot-2-1.json');
    const good = readFileSync(file);
    flipByte(file, good.indexOf('state@2'));
    const names = (err: Error & { code?: string }): boolean => {
      assert.equal(err.code, 'storage_corrupt');
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, /raftinel members remove/);
      assert.match(err.message, /raftinel members add/);
      return true;
    };
    assert.throws(() => open(), names);
    unlinkSync(file);
    assert.throws(() => open(), names);
    writeBytes(file, good);
    assert.equal(open().load().snapshot?.meta.index, 2);
  });

  it('a crash after a snapshot file is written and before the WAL names it leaves the old state', () => {
    const s = open();
    s.save({ term: 1, vote: null, commit: 6 }, entries(1, 6, 1));
    s.saveSnapshot(snapshot(2, 1));
    s.close();
    const wal = join(t.dir, WAL_FILE);
    const before = readFileSync(wal);
    const oldSnap = join(t.dir, 'snapshot-2-1.json');
    const oldSnapBytes = readFileSync(oldSnap);
    const s2 = open();
    s2.saveSnapshot(snapshot(5, 1));
    s2.close();
    // The rename of the rewritten WAL never happened, so neither did the old file's removal.
    writeBytes(wal, before);
    writeBytes(oldSnap, oldSnapBytes);
    assert.ok(existsSync(join(t.dir, 'snapshot-5-1.json')));
    const s3 = open();
    assert.equal(s3.load().snapshot?.meta.index, 2);
    assert.deepEqual(
      s3.load().entries.map((e) => e.index),
      [3, 4, 5, 6],
    );
    s3.close();
    assert.deepEqual(readdirSync(t.dir).sort(), ['raft.wal', 'snapshot-2-1.json']);
  });

  it('a save cut short anywhere keeps all of it or none of it (entries and hard state together)', () => {
    const s = open();
    s.save({ term: 2, vote: 'a', commit: 3 }, entries(1, 4, 2));
    s.close();
    const wal = join(t.dir, WAL_FILE);
    const before = readFileSync(wal);
    const s2 = open();
    s2.save({ term: 2, vote: 'a', commit: 5 }, [entry(5, 2, '{"type":"promote","id":"n5"}', 'conf')]);
    const after = s2.load();
    s2.close();
    const full = readFileSync(wal);
    for (let cut = before.length; cut <= full.length; cut++) {
      writeBytes(wal, full.subarray(0, cut));
      const st = open().load();
      if (cut === full.length) assert.deepEqual(st, after);
      else {
        assert.deepEqual(st.hardState, { term: 2, vote: 'a', commit: 3 }, `cut at ${cut}`);
        assert.deepEqual(st.entries, entries(1, 4, 2), `cut at ${cut}`);
      }
    }
  });

  it('refuses a WAL record whose checksum holds but whose content cannot have been written', () => {
    const s = open();
    s.save(null, entries(1, 2, 1));
    s.close();
    const wal = join(t.dir, WAL_FILE);
    const good = readFileSync(wal);
    for (const payload of [
      '{"entries":[{"index":5,"term":1,"kind":"normal","data":""}]}',
      '{"hardState":{"term":-1,"vote":null,"commit":0},"entries":[]}',
      '{"nope":1}',
    ]) {
      const p = Buffer.from(payload);
      const header = Buffer.alloc(8);
      header.writeUInt32BE(p.length, 0);
      header.writeUInt32BE(crc32Reference(p), 4);
      writeBytes(wal, Buffer.concat([good, header, p].map((b) => new Uint8Array(b))));
      assert.throws(
        () => open(),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'storage_corrupt', payload);
          assert.ok(err.message.includes(`${wal} at byte offset ${good.length}`), err.message);
          return true;
        },
      );
    }
  });

  it('converts a data dir of the layout before the WAL, then removes the old files', () => {
    writeChecksummed(nodeFs, t.dir, 'hardstate.json', { term: 3, vote: 'b', commit: 4 });
    writeChecksummed(nodeFs, t.dir, 'snapshot.json', snapshot(2, 1));
    writeBytes(join(t.dir, 'raft.log'), joinBytes(...entries(1, 5, 1).map(encodeRecord)));
    const cap = captureLogger();
    const s = openFileStorage(t.dir, cap.logger);
    assert.deepEqual(s.load(), {
      hardState: { term: 3, vote: 'b', commit: 4 },
      snapshot: snapshot(2, 1),
      entries: entries(3, 5, 1),
    });
    s.close();
    assert.equal(cap.events('storage-migrated').length, 1);
    assert.deepEqual(readdirSync(t.dir).sort(), ['raft.wal', 'snapshot-2-1.json']);
    assert.deepEqual(open().load().entries, entries(3, 5, 1));
  });

  it('removes temporary files left by a crash and ignores their content', () => {
    const s = open();
    s.save({ term: 2, vote: null, commit: 0 }, entries(1, 2, 2));
    s.close();
    for (const name of [WAL_FILE, 'snapshot-1-1.json']) writeBytes(join(t.dir, `${name}.tmp`), 'garbage');
    const s2 = open();
    assert.deepEqual(s2.load().hardState, { term: 2, vote: null, commit: 0 });
    assert.equal(s2.load().entries.length, 2);
    s2.close();
    assert.ok(!readdirSync(t.dir).some((n) => n.endsWith('.tmp')));
  });

  it('keeps working after a torn tail is cut off', () => {
    const s = open();
    s.save(null, entries(1, 2, 1));
    s.save(null, [entry(3, 1)]);
    s.close();
    const wal = join(t.dir, WAL_FILE);
    writeBytes(wal, readFileSync(wal).subarray(0, readFileSync(wal).length - 3));
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

  it('creates only an empty WAL until something is saved', () => {
    const dir = join(t.dir, 'fresh');
    mkdirSync(dir);
    open(dir).close();
    assert.deepEqual(readdirSync(dir), [WAL_FILE]);
    assert.equal(statSync(join(dir, WAL_FILE)).size, 0);
    assert.ok(!existsSync(join(dir, 'snapshot.json')));
  });
});

describe('FileStorage on an unusable data dir', () => {
  it('reports a state file that cannot be read as data_dir_unusable', () => {
    const t = tempDir('unusable');
    try {
      mkdirSync(join(t.dir, WAL_FILE)); // a directory where a file belongs: EISDIR
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
