// The on-disk frame: [u32 BE payload length][u32 BE crc32 of payload][payload = JSON]. Pure
// functions over buffers, so the torn-tail rule can be tested without a disk. The WAL
// (wal.ts) frames one record per Ready; `encodeRecord`/`scanLog` frame one entry per record,
// the layout of raft.log before the WAL, still read when a data dir is migrated (legacy.ts).
import type { Entry } from '../raft/types.js';
import { RaftinelError } from '../util/errors.js';
import { crc32 } from './crc32.js';
import { storageCorrupt } from './errors.js';
import { toEntry } from './validate.js';

export const HEADER_BYTES = 8;
/** The largest entry; a flipped length byte must not make us allocate gigabytes. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** The largest frame: one Ready's entries and hard state travel in one frame (wal.ts). */
export const MAX_FRAME_BYTES = 4 * MAX_RECORD_BYTES;

export function encodeFrame(payload: Buffer, limit = MAX_FRAME_BYTES, what = 'record'): Buffer {
  if (payload.length > limit) {
    throw new RaftinelError(
      'entry_too_large',
      `${what} is ${payload.length} bytes, over the ${limit}-byte record limit`,
    );
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32(payload), 4);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/** Only the known fields: an extra property on the caller's object must not reach the disk. */
export function entryJson(entry: Entry): { index: number; term: number; kind: string; data: string } {
  return { index: entry.index, term: entry.term, kind: entry.kind, data: entry.data };
}

export function encodeRecord(entry: Entry): Buffer {
  return encodeFrame(
    Buffer.from(JSON.stringify(entryJson(entry)), 'utf8'),
    MAX_RECORD_BYTES,
    `entry ${entry.index}`,
  );
}

type Decoded<T> = { ok: true; value: T; end: number } | { ok: false; why: string; crcOk: boolean };

/** The frame starting at `pos` with its payload accepted by `parse`, or why there is none. */
export function decodeFrameAt<T>(
  buf: Buffer,
  pos: number,
  parse: (v: unknown) => T | null,
  noun = 'a valid record',
): Decoded<T> {
  if (buf.length - pos < HEADER_BYTES) {
    return {
      ok: false,
      why: `short record header (${buf.length - pos} of ${HEADER_BYTES} bytes)`,
      crcOk: false,
    };
  }
  const length = buf.readUInt32BE(pos);
  if (length === 0 || length > MAX_FRAME_BYTES) {
    return { ok: false, why: `impossible record length ${length}`, crcOk: false };
  }
  const end = pos + HEADER_BYTES + length;
  if (end > buf.length) {
    return { ok: false, why: `record of ${length} bytes runs past end of file`, crcOk: false };
  }
  if (crc32(buf, pos + HEADER_BYTES, end) !== buf.readUInt32BE(pos + 4)) {
    return { ok: false, why: 'record checksum mismatch', crcOk: false };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', pos + HEADER_BYTES, end));
  } catch {
    return { ok: false, why: 'record payload is not JSON', crcOk: true };
  }
  const value = parse(parsed);
  if (value === null) return { ok: false, why: `record payload is not ${noun}`, crcOk: true };
  return { ok: true, value, end };
}

/** The legacy one-entry record at `pos`. */
export function decodeRecordAt(
  buf: Buffer,
  pos: number,
): { ok: true; entry: Entry; end: number } | { ok: false; why: string } {
  const r = decodeFrameAt(buf, pos, toEntry, 'a log entry');
  return r.ok ? { ok: true, entry: r.value, end: r.end } : { ok: false, why: r.why };
}

/**
 * Whether a whole, checksummed frame starts anywhere in buf[from, end of file). A torn write
 * leaves nothing valid behind it; a damaged frame in the middle of the file does (the next one).
 */
function validFrameAfter(buf: Buffer, from: number): boolean {
  for (let q = from; q + HEADER_BYTES <= buf.length; q++) {
    // Frame lengths start with a small byte: a cheap filter before the checksum.
    if (buf[q] > MAX_FRAME_BYTES >>> 24) continue;
    const r = decodeFrameAt(buf, q, (v) => v);
    if (r.ok || r.crcOk) return true;
  }
  return false;
}

export interface FrameScan<T> {
  readonly values: T[];
  /** offsets[i]: byte offset of values[i]'s frame. */
  readonly offsets: number[];
  /** Where the intact file ends; below buf.length only when there is a torn tail. */
  readonly end: number;
  readonly torn: { readonly offset: number; readonly why: string } | null;
}

/**
 * Reads every frame. Only the last frame may be bad, and then it is a torn tail (a write cut
 * short by a crash). A bad frame followed by any valid frame is corruption, and so is a frame
 * that passes its checksum yet does not parse, or that `follows` rejects: all throw
 * `storage_corrupt`.
 *
 * Why not just "declared end past EOF means torn": a flipped bit in a middle frame's length
 * also points past EOF, and truncating there would silently drop durable, committed entries.
 */
export function scanFrames<T>(
  buf: Buffer,
  file: string,
  parse: (v: unknown) => T | null,
  noun: string,
  follows: (prev: T | undefined, next: T) => string | null = () => null,
): FrameScan<T> {
  const values: T[] = [];
  const offsets: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = decodeFrameAt(buf, pos, parse, noun);
    if (r.ok) {
      const wrong = follows(values[values.length - 1], r.value);
      if (wrong !== null) throw storageCorrupt(file, wrong, pos);
      values.push(r.value);
      offsets.push(pos);
      pos = r.end;
      continue;
    }
    // A frame whose checksum holds was written whole, so it cannot be a torn write.
    if (r.crcOk || validFrameAfter(buf, pos + 1)) throw storageCorrupt(file, r.why, pos);
    return { values, offsets, end: pos, torn: { offset: pos, why: r.why } };
  }
  return { values, offsets, end: pos, torn: null };
}

export interface LogScan {
  readonly entries: Entry[];
  readonly offsets: number[];
  readonly end: number;
  readonly torn: { readonly offset: number; readonly why: string } | null;
}

/** The legacy raft.log: one entry per frame, each the next index. */
export function scanLog(buf: Buffer, file: string): LogScan {
  const scan = scanFrames(buf, file, toEntry, 'a log entry', (prev, next) =>
    prev !== undefined && next.index !== prev.index + 1
      ? `entry index ${next.index} does not follow ${prev.index}`
      : null,
  );
  return { entries: scan.values, offsets: scan.offsets, end: scan.end, torn: scan.torn };
}
