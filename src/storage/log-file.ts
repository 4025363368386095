// The append-only log file. Keeps the byte offset and term of every record in memory, so that a
// conflicting append can truncate at the right byte and a snapshot can ask for a term without I/O.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Entry } from '../raft/types.js';
import type { Logger } from '../util/log.js';
import { concat } from './bytes.js';
import { fsyncDir, TMP_SUFFIX, writeAll } from './durable.js';
import { storageCorrupt } from './errors.js';
import { encodeRecord, scanLog } from './record.js';

export const LOG_FILE = 'raft.log';
const COPY_CHUNK = 1024 * 1024;

export class LogFile {
  private constructor(
    readonly dir: string,
    readonly path: string,
    private fd: number,
    private size: number,
    /** Index of the first record; meaningless while `offsets` is empty. */
    private first: number,
    private offsets: number[],
    private terms: number[],
  ) {}

  /** Opens (creating if missing) and scans the log; a torn tail is cut off here, with a warning. */
  static open(dir: string, logger: Logger): LogFile {
    const path = join(dir, LOG_FILE);
    const created = !existsSync(path);
    const fd = openSync(path, created ? 'w+' : 'r+', 0o600);
    try {
      if (created) fsyncDir(dir);
      const scan = scanLog(readFileSync(path), path);
      if (scan.torn !== null) {
        const droppedBytes = fstatSync(fd).size - scan.end;
        ftruncateSync(fd, scan.end);
        fsyncSync(fd);
        logger.warn(
          {
            file: path,
            offset: scan.torn.offset,
            event: 'log-torn-tail-truncated',
            reason: scan.torn.why,
            droppedBytes,
          },
          'log ended in an incomplete record (a write cut short by a crash); truncated it',
        );
      }
      const first = scan.entries.length > 0 ? scan.entries[0].index : 0;
      return new LogFile(
        dir,
        path,
        fd,
        scan.end,
        first,
        scan.offsets,
        scan.entries.map((e) => e.term),
      );
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get empty(): boolean {
    return this.offsets.length === 0;
  }

  /** Index of the first stored entry (only when not empty). */
  get firstIndex(): number {
    return this.first;
  }

  /** Index of the last stored entry (only when not empty). */
  get lastIndex(): number {
    return this.first + this.offsets.length - 1;
  }

  termAt(index: number): number | undefined {
    if (this.empty || index < this.first || index > this.lastIndex) return undefined;
    return this.terms[index - this.first];
  }

  /**
   * Writes contiguous `entries`, first cutting the stored suffix they replace. One fsync for the
   * whole batch. Callers check contiguity with what is stored (entriesToAppend).
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    // Encode before touching the file: an oversized entry must fail with the log intact.
    const records = entries.map(encodeRecord);
    const batch = concat(records);
    const start = entries[0].index;
    if (this.empty || start <= this.first) {
      this.cut(0);
      this.first = start;
    } else if (start <= this.lastIndex) {
      this.cut(start - this.first);
    }
    writeAll(this.fd, batch, this.size);
    fsyncSync(this.fd);
    let offset = this.size;
    entries.forEach((e, i) => {
      this.offsets.push(offset);
      this.terms.push(e.term);
      offset += records[i].length;
    });
    this.size += batch.length;
  }

  /**
   * Rewrites the log keeping only entries >= `from` (none when null): new file, fsync, rename over
   * the old one, fsync the directory. A crash leaves either the old log or the new one.
   */
  retainFrom(from: number | null): void {
    const k = from === null || this.empty ? this.offsets.length : Math.max(0, from - this.first);
    if (k === 0) return;
    const keep = Math.min(k, this.offsets.length);
    const base = keep < this.offsets.length ? this.offsets[keep] : this.size;
    const tmp = this.path + TMP_SUFFIX;
    const out = openSync(tmp, 'w', 0o600);
    try {
      copyRange(this.path, this.fd, base, this.size, out);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    renameSync(tmp, this.path);
    fsyncDir(this.dir);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'r+');
    this.offsets = this.offsets.slice(keep).map((o) => o - base);
    this.terms = this.terms.slice(keep);
    this.first += keep;
    this.size -= base;
  }

  /** Every stored entry, read back and checked again. */
  readAll(): Entry[] {
    const scan = scanLog(readFileSync(this.path), this.path);
    if (scan.torn !== null)
      throw storageCorrupt(this.path, `changed while open: ${scan.torn.why}`, scan.torn.offset);
    if (
      scan.entries.length !== this.offsets.length ||
      (scan.entries.length > 0 && scan.entries[0].index !== this.first)
    ) {
      throw storageCorrupt(this.path, 'changed while open: entries differ from what was written');
    }
    return scan.entries;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Drops records from the k-th on (not yet fsynced: the following append's fsync covers it). */
  private cut(k: number): void {
    if (k >= this.offsets.length) return;
    const at = this.offsets[k];
    ftruncateSync(this.fd, at);
    this.offsets.length = k;
    this.terms.length = k;
    this.size = at;
  }
}

function copyRange(path: string, fd: number, from: number, to: number, out: number): void {
  const chunk = new Uint8Array(Math.min(COPY_CHUNK, Math.max(1, to - from)));
  let pos = from;
  while (pos < to) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, to - pos), pos);
    if (n === 0) throw storageCorrupt(path, 'log shrank while being copied', pos);
    writeAll(out, chunk.subarray(0, n), pos - from);
    pos += n;
  }
}
