// RaftStorage on a data dir:
//   raft.wal                     one checksummed record per Ready: its entries, hard state and
//                                snapshot reference, durable together or not at all (wal.ts)
//   snapshot-<index>-<term>.json the snapshot a WAL record names (snapshot-files.ts)
// Every mutating call fsyncs before it returns (docs/design.md section 2: nothing is
// acknowledged before it is durable). The WAL only grows between snapshots; a snapshot (or a
// WAL grown large with replaced records) rewrites it into a new file renamed over the old one.
import { join, resolve } from 'node:path';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import type { RaftPersistedState, RaftStorage } from '../runtime/ports.js';
import { RaftinelError } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { entriesToAppend, outOfDateSnapshot, snapshotKeepsSuffix } from './append.js';
import type { StorageBugs } from './bugs.js';
import { fsyncDir, TMP_SUFFIX } from './durable.js';
import { dataDirUnusable, describe, storageCorrupt } from './errors.js';
import { nodeFs, type StorageFs, writeAll } from './fs.js';
import { readLegacy, removeLegacy } from './legacy.js';
import { copySnapshot } from './snapshot-copy.js';
import { readSnapshotFile, removeOtherSnapshots, writeSnapshotFile } from './snapshot-files.js';
import { encodeWalRecord, replayWal, scanWal, WAL_FILE, type WalRecord } from './wal.js';

/** A WAL this large is rewritten without its replaced records, once it doubled since the last rewrite. */
const REWRITE_BYTES = 64 * 1024 * 1024;
/** Entries per record when a rewrite copies the log (a rewrite is atomic by its rename). */
const REWRITE_BATCH_BYTES = 16 * 1024 * 1024;

export function openFileStorage(dir: string, logger?: Logger, fs: StorageFs = nodeFs): FileStorage {
  return FileStorage.open(dir, logger ?? createLogger(), fs);
}

interface Opened {
  fd: number;
  size: number;
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

export class FileStorage implements RaftStorage {
  private closed = false;
  /** Set when a write failed part-way: memory and disk may disagree, so only a restart is safe. */
  private failure: RaftinelError | null = null;
  private fd: number;
  private walSize: number;
  private sizeAfterRewrite: number;
  private hardState: HardState;
  private snapshot: Snapshot | null;
  /** Entries after the snapshot, contiguous. */
  private entries: Entry[];

  private constructor(
    readonly dir: string,
    private readonly fs: StorageFs,
    private readonly logger: Logger,
    opened: Opened,
    private readonly bugs: StorageBugs,
  ) {
    this.fd = opened.fd;
    this.walSize = opened.size;
    this.sizeAfterRewrite = opened.size;
    this.hardState = opened.hardState;
    this.snapshot = opened.snapshot;
    this.entries = opened.entries;
  }

  static open(
    dir: string,
    parentLogger: Logger,
    fs: StorageFs = nodeFs,
    bugs: StorageBugs = {},
  ): FileStorage {
    const abs = resolve(dir);
    const logger = parentLogger.child({ component: 'storage' });
    prepareDir(fs, abs);
    const opened = unusableUnlessCorrupt(abs, () => openWal(fs, abs, logger));
    logger.debug(
      {
        dir: abs,
        term: opened.hardState.term,
        snapshotIndex: opened.snapshot?.meta.index ?? 0,
        lastIndex: opened.entries.length > 0 ? opened.entries[opened.entries.length - 1].index : null,
      },
      'storage opened',
    );
    return new FileStorage(abs, fs, logger, opened, bugs);
  }

  load(): RaftPersistedState {
    this.usable();
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot === null ? null : copySnapshot(this.snapshot),
      entries: this.entries.map(copyEntry),
    };
  }

  /**
   * Persists what one Ready asks for as one unit: the snapshot (if any) is installed first, then
   * the entries appended, then the hard state set, and a crash keeps all of it or none of it.
   */
  save(hardState: HardState | null, entries: readonly Entry[], snapshot: Snapshot | null = null): void {
    this.usable();
    let snap = this.snapshot;
    let base = this.entries;
    if (snapshot !== null) {
      const current = this.snapshotIndex();
      if (snapshot.meta.index < current) throw outOfDateSnapshot(snapshot.meta.index, current);
      const keep = snapshotKeepsSuffix((i) => this.termAt(i), snapshot);
      base = keep ? this.entries.filter((e) => e.index > snapshot.meta.index) : [];
      snap = copySnapshot(snapshot);
    }
    const snapIndex = snap?.meta.index ?? 0;
    const last = base.length > 0 ? base[base.length - 1].index : snapIndex;
    const toAppend = entriesToAppend(entries, snapIndex, last).map(copyEntry);
    const merged =
      toAppend.length > 0
        ? base.slice(0, Math.max(0, toAppend[0].index - snapIndex - 1)).concat(toAppend)
        : base;
    const hsChanged = hardState !== null && !sameHardState(hardState, this.hardState);
    const hs = hsChanged ? copyHardState(hardState) : this.hardState;
    if (snapshot === null && toAppend.length === 0 && !hsChanged) return;

    if (snapshot !== null) {
      // Encoded before anything is written: an oversized entry must fail with the files intact.
      const frames = baseRecords(hs, snap, merged).map(encodeWalRecord);
      const s = snap as Snapshot;
      this.guard('write the snapshot', () => {
        writeSnapshotFile(this.fs, this.dir, s);
        this.replaceWal(frames);
        removeOtherSnapshots(this.fs, this.dir, s.meta);
      });
      this.logger.info(
        { event: 'snapshot-saved', index: s.meta.index, term: s.meta.term, keptLog: base.length > 0 },
        'snapshot saved and log compacted',
      );
    } else {
      const records: WalRecord[] =
        this.bugs.hardStateApart === true && hsChanged && toAppend.length > 0
          ? [{ entries: toAppend }, { hardState: hs, entries: [] }]
          : [{ hardState: hsChanged ? hs : undefined, entries: toAppend }];
      for (const frame of records.map(encodeWalRecord)) {
        this.guard('append to the WAL', () => {
          writeAll(this.fs, this.fd, frame, this.walSize);
          this.fs.fsync(this.fd);
        });
        this.walSize += frame.length;
      }
    }
    this.hardState = hs;
    this.snapshot = snap;
    this.entries = merged;
    if (this.walSize > REWRITE_BYTES && this.walSize > 2 * this.sizeAfterRewrite) {
      const frames = baseRecords(this.hardState, this.snapshot, this.entries).map(encodeWalRecord);
      this.guard('rewrite the WAL', () => this.replaceWal(frames));
    }
  }

  /** Installs a snapshot (a local compaction, or InstallSnapshot): save(null, [], snapshot). */
  saveSnapshot(snapshot: Snapshot): void {
    this.save(null, [], snapshot);
  }

  /** The term of the stored entry at index (or of the snapshot); undefined when not stored. */
  termAt(index: number): number | undefined {
    if (this.snapshot !== null && index === this.snapshot.meta.index) return this.snapshot.meta.term;
    return this.entries[index - this.snapshotIndex() - 1]?.term;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fs.close(this.fd);
  }

  private snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  /** A new WAL holding `frames`: written and fsynced aside, renamed over the old one, dir fsynced. */
  private replaceWal(frames: readonly Buffer[]): void {
    const size = writeWalAside(this.fs, this.dir, frames);
    this.fs.close(this.fd);
    this.fd = this.fs.open(join(this.dir, WAL_FILE), 'update');
    this.walSize = size;
    this.sizeAfterRewrite = size;
  }

  private usable(): void {
    if (this.closed) throw new RaftinelError('storage_closed', `storage ${this.dir} is closed`);
    if (this.failure !== null) throw this.failure;
  }

  private guard(what: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      this.failure = new RaftinelError(
        'storage_failed',
        `storage ${this.dir}: could not ${what} (${describe(err)}); nothing of it was acknowledged, ` +
          'and no further writes until restart',
        { dir: this.dir },
      );
      this.logger.error({ event: 'storage-write-failed', err }, this.failure.message);
      throw this.failure;
    }
  }
}

/** Writes raft.wal.tmp, fsyncs it, renames it over raft.wal and fsyncs the dir; its size. */
function writeWalAside(fs: StorageFs, dir: string, frames: readonly Buffer[]): number {
  const tmp = join(dir, WAL_FILE + TMP_SUFFIX);
  const fd = fs.open(tmp, 'create');
  let size = 0;
  try {
    for (const f of frames) {
      writeAll(fs, fd, f, size);
      size += f.length;
    }
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(tmp, join(dir, WAL_FILE));
  fsyncDir(fs, dir);
  return size;
}

/** The records of a WAL that starts from this state: the first carries hard state and snapshot. */
function baseRecords(
  hardState: HardState,
  snapshot: Snapshot | null,
  entries: readonly Entry[],
): WalRecord[] {
  const ref = snapshot === null ? undefined : { index: snapshot.meta.index, term: snapshot.meta.term };
  const records: WalRecord[] = [];
  let batch: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (batch.length > 0 && bytes + e.data.length > REWRITE_BATCH_BYTES) {
      records.push({ entries: batch });
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += e.data.length;
  }
  records.push({ entries: batch });
  // The snapshot is installed before the entries after it are appended, and the hard state is
  // set after every entry it may refer to; a rewrite is atomic by its rename in any case.
  records[0] = { snapshot: ref, entries: records[0].entries };
  const last = records.length - 1;
  records[last] = { ...records[last], hardState };
  return records;
}

function openWal(fs: StorageFs, dir: string, logger: Logger): Opened {
  const path = join(dir, WAL_FILE);
  if (!fs.exists(path)) {
    const legacy = readLegacy(fs, dir, logger);
    if (legacy !== null) {
      if (legacy.snapshot !== null) writeSnapshotFile(fs, dir, legacy.snapshot);
      writeWalAside(
        fs,
        dir,
        baseRecords(legacy.hardState, legacy.snapshot, legacy.entries).map(encodeWalRecord),
      );
      logger.info({ event: 'storage-migrated', dir }, 'converted the data dir to the write-ahead log');
    } else {
      writeWalAside(fs, dir, []);
    }
  }
  removeLegacy(fs, dir);
  const scan = scanWal(fs.readFile(path), path);
  const replay = replayWal(scan.values);
  if (!replay.ok) throw storageCorrupt(path, replay.why, scan.offsets[replay.record]);
  const fd = fs.open(path, 'update');
  try {
    if (scan.torn !== null) {
      const droppedBytes = fs.size(fd) - scan.end;
      // Durable before anything is appended after it: new records must never follow old bytes.
      fs.truncate(fd, scan.end);
      fs.fsync(fd);
      logger.warn(
        {
          file: path,
          offset: scan.torn.offset,
          event: 'log-torn-tail-truncated',
          reason: scan.torn.why,
          droppedBytes,
        },
        'WAL ended in an incomplete record (a write cut short by a crash); truncated it',
      );
    }
    const st = replay.state;
    const snapshot = st.snapshot === null ? null : readSnapshotFile(fs, dir, st.snapshot);
    removeOtherSnapshots(fs, dir, st.snapshot);
    return { fd, size: scan.end, hardState: st.hardState, snapshot, entries: st.entries };
  } catch (err) {
    fs.close(fd);
    throw err;
  }
}

/** Our own errors (corruption) pass through; a failing fs call means the dir cannot be used. */
function unusableUnlessCorrupt<T>(dir: string, open: () => T): T {
  try {
    return open();
  } catch (err) {
    if (err instanceof RaftinelError) throw err;
    throw dataDirUnusable(dir, describe(err));
  }
}

/** mkdir -p, then make sure it is a directory we can use, and clear leftovers of cut-short writes. */
function prepareDir(fs: StorageFs, dir: string): void {
  try {
    fs.mkdirp(dir);
  } catch (err) {
    throw dataDirUnusable(dir, `cannot create it (${describe(err)})`);
  }
  let names: string[];
  try {
    if (!fs.isDirectory(dir)) throw new Error('it is not a directory');
    names = fs.list(dir);
  } catch (err) {
    throw dataDirUnusable(dir, describe(err));
  }
  const stale = names.filter((n) => n.endsWith(TMP_SUFFIX));
  try {
    for (const name of stale) fs.unlink(join(dir, name));
    if (stale.length > 0) fsyncDir(fs, dir);
  } catch (err) {
    throw dataDirUnusable(dir, `cannot remove leftover temporary files (${describe(err)})`);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function copyHardState(h: HardState): HardState {
  return { term: h.term, vote: h.vote, commit: h.commit };
}

function copyEntry(e: Entry): Entry {
  return { index: e.index, term: e.term, kind: e.kind, data: e.data };
}
