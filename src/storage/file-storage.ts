// RaftStorage on a data dir:
//   hardstate.json  term, vote, commit           (checksummed, replaced atomically)
//   snapshot.json   latest snapshot              (checksummed, replaced atomically)
//   raft.log        entries after the snapshot   (append-only records, checksum each)
// Every mutating call fsyncs before it returns (docs/design.md section 2: nothing is acknowledged
// before it is durable).
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import type { RaftPersistedState, RaftStorage } from '../runtime/ports.js';
import { RaftinelError } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { entriesToAppend, outOfDateSnapshot, snapshotKeepsSuffix } from './append.js';
import { readChecksummed, writeChecksummed } from './checksummed-file.js';
import { fsyncDir, TMP_SUFFIX } from './durable.js';
import { dataDirUnusable, describe, storageCorrupt } from './errors.js';
import { LOG_FILE, LogFile } from './log-file.js';
import { copySnapshot } from './snapshot-copy.js';
import { toHardState, toSnapshot } from './validate.js';

export const HARD_STATE_FILE = 'hardstate.json';
export const SNAPSHOT_FILE = 'snapshot.json';

const INITIAL_HARD_STATE: HardState = { term: 0, vote: null, commit: 0 };

export function openFileStorage(dir: string, logger?: Logger): FileStorage {
  return FileStorage.open(dir, logger ?? createLogger());
}

export class FileStorage implements RaftStorage {
  private closed = false;
  /** Set when a write failed part-way: memory and disk may disagree, so only a restart is safe. */
  private failure: RaftinelError | null = null;

  private constructor(
    readonly dir: string,
    private readonly log: LogFile,
    private hardState: HardState,
    private snapshot: Snapshot | null,
    private readonly logger: Logger,
  ) {}

  static open(dir: string, parentLogger: Logger): FileStorage {
    const abs = resolve(dir);
    const logger = parentLogger.child({ component: 'storage' });
    prepareDir(abs);
    const { hardState, snapshot, log } = unusableUnlessCorrupt(abs, () => {
      const hardState = readChecksummed(abs, HARD_STATE_FILE, toHardState) ?? INITIAL_HARD_STATE;
      const snapshot = readChecksummed(abs, SNAPSHOT_FILE, toSnapshot);
      const log = LogFile.open(abs, logger);
      try {
        completeCompaction(log, snapshot, logger);
      } catch (err) {
        log.close();
        throw err;
      }
      return { hardState, snapshot, log };
    });
    logger.debug(
      {
        dir: abs,
        term: hardState.term,
        snapshotIndex: snapshot?.meta.index ?? 0,
        lastIndex: log.empty ? null : log.lastIndex,
      },
      'storage opened',
    );
    return new FileStorage(abs, log, hardState, snapshot, logger);
  }

  load(): RaftPersistedState {
    this.usable();
    const after = this.snapshotIndex();
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot === null ? null : copySnapshot(this.snapshot),
      entries: this.log.empty ? [] : this.log.readAll().filter((e) => e.index > after),
    };
  }

  save(hardState: HardState | null, entries: readonly Entry[]): void {
    this.usable();
    const toAppend = entriesToAppend(entries, this.snapshotIndex(), this.lastIndex());
    this.guard('append to the log', () => this.log.append(toAppend));
    if (hardState !== null && !sameHardState(hardState, this.hardState)) {
      const copy: HardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
      this.guard('write the hard state', () => writeChecksummed(this.dir, HARD_STATE_FILE, copy));
      this.hardState = copy;
    }
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.usable();
    const current = this.snapshotIndex();
    if (snapshot.meta.index < current) throw outOfDateSnapshot(snapshot.meta.index, current);
    const keep = snapshotKeepsSuffix((i) => this.termAt(i), snapshot);
    const copy = copySnapshot(snapshot);
    // Snapshot first: a crash before the log rewrite leaves old entries that open() drops again.
    this.guard('write the snapshot', () => writeChecksummed(this.dir, SNAPSHOT_FILE, copy));
    this.snapshot = copy;
    this.guard('compact the log', () => this.log.retainFrom(keep ? copy.meta.index + 1 : null));
    this.logger.info(
      { event: 'snapshot-saved', index: copy.meta.index, term: copy.meta.term, keptLog: keep },
      'snapshot saved and log compacted',
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
  }

  private snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  private lastIndex(): number {
    return this.log.empty ? this.snapshotIndex() : this.log.lastIndex;
  }

  private termAt(index: number): number | undefined {
    if (this.snapshot !== null && index === this.snapshot.meta.index) return this.snapshot.meta.term;
    return this.log.termAt(index);
  }

  private usable(): void {
    if (this.closed) throw new RaftinelError('storage_closed', `storage ${this.dir} is closed`);
    if (this.failure !== null) throw this.failure;
  }

  private guard(what: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      // Refused before any byte was written: the files are as they were, so storage stays usable.
      if (err instanceof RaftinelError && err.code === 'entry_too_large') throw err;
      this.failure = new RaftinelError(
        'storage_failed',
        `storage ${this.dir}: could not ${what} (${describe(err)}); no further writes until restart`,
        { dir: this.dir },
      );
      this.logger.error({ event: 'storage-write-failed', err }, this.failure.message);
      throw this.failure;
    }
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
function prepareDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw dataDirUnusable(dir, `cannot create it (${describe(err)})`);
  }
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('it is not a directory');
    names = readdirSync(dir);
  } catch (err) {
    throw dataDirUnusable(dir, describe(err));
  }
  const stale = names.filter((n) => n.endsWith(TMP_SUFFIX));
  try {
    for (const name of stale) unlinkSync(join(dir, name));
    if (stale.length > 0) fsyncDir(dir);
  } catch (err) {
    throw dataDirUnusable(dir, `cannot remove leftover temporary files (${describe(err)})`);
  }
}

/**
 * A crash between writing a snapshot and rewriting the log leaves entries the snapshot covers.
 * Finish the job the same way saveSnapshot would have; a log that starts after the snapshot
 * (entries missing in between) is corruption.
 */
function completeCompaction(log: LogFile, snapshot: Snapshot | null, logger: Logger): void {
  if (log.empty) return;
  const snapIndex = snapshot?.meta.index ?? 0;
  if (log.firstIndex > snapIndex + 1) {
    const what = snapshot === null ? 'there is no snapshot' : `the snapshot ends at index ${snapIndex}`;
    throw storageCorrupt(
      log.path,
      `log starts at index ${log.firstIndex} but ${what}: entries are missing`,
      0,
    );
  }
  if (snapshot === null || log.firstIndex > snapIndex) return;
  const keep = snapshotKeepsSuffix((i) => log.termAt(i), snapshot);
  log.retainFrom(keep ? snapIndex + 1 : null);
  logger.info(
    {
      event: 'log-compaction-completed',
      file: join(log.dir, LOG_FILE),
      snapshotIndex: snapIndex,
      keptLog: keep,
    },
    'finished a log compaction cut short by a crash',
  );
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
