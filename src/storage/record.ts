// The log's on-disk record: [u32 BE payload length][u32 BE crc32 of payload][payload = JSON entry].
// Pure functions over buffers, so the torn-tail rule can be tested without a disk.
import type { Entry } from '../raft/types.js';
import { RaftinelError } from '../util/errors.js';
import { crc32 } from './crc32.js';
import { storageCorrupt } from './errors.js';
import { toEntry } from './validate.js';

export const HEADER_BYTES = 8;
/** A flipped length byte must not make us allocate gigabytes. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeRecord(entry: Entry): Buffer {
  // Only the known fields: an extra property on the caller's object must not reach the disk.
  const payload = Buffer.from(
    JSON.stringify({ index: entry.index, term: entry.term, kind: entry.kind, data: entry.data }),
    'utf8',
  );
  if (payload.length > MAX_RECORD_BYTES) {
    throw new RaftinelError(
      'entry_too_large',
      `entry ${entry.index} is ${payload.length} bytes, over the ${MAX_RECORD_BYTES}-byte record limit`,
    );
  }
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.writeUInt32BE(crc32(payload), 4);
  record.set(payload, HEADER_BYTES);
  return record;
}

type Decoded = { ok: true; entry: Entry; end: number } | { ok: false; why: string; crcOk: boolean };

/** The record starting at `pos`, or why there is none. */
export function decodeRecordAt(buf: Buffer, pos: number): Decoded {
  if (buf.length - pos < HEADER_BYTES) {
    return {
      ok: false,
      why: `short record header (${buf.length - pos} of ${HEADER_BYTES} bytes)`,
      crcOk: false,
    };
  }
  const length = buf.readUInt32BE(pos);
  if (length === 0 || length > MAX_RECORD_BYTES) {
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
  const entry = toEntry(parsed);
  if (entry === null) return { ok: false, why: 'record payload is not a log entry', crcOk: true };
  return { ok: true, entry, end };
}

/**
 * Whether a whole, valid record starts anywhere in buf[from, end of file). A torn write leaves
 * nothing valid behind it; a damaged record in the middle of the log does (the next one).
 */
function validRecordAfter(buf: Buffer, from: number): boolean {
  for (let q = from; q + HEADER_BYTES <= buf.length; q++) {
    // Lengths up to 64 MiB start with a byte <= 4: a cheap filter before the checksum.
    if (buf[q] > MAX_RECORD_BYTES >>> 24) continue;
    if (decodeRecordAt(buf, q).ok) return true;
  }
  return false;
}

export interface LogScan {
  readonly entries: Entry[];
  /** offsets[i]: byte offset of entries[i]'s record. */
  readonly offsets: number[];
  /** Where the intact log ends; below buf.length only when there is a torn tail. */
  readonly end: number;
  readonly torn: { readonly offset: number; readonly why: string } | null;
}

/**
 * Reads every record. Only the last record may be bad, and then it is a torn tail (an append cut
 * short by a crash). A bad record followed by any valid record is corruption, and so is a record
 * that passes its checksum yet is not the next entry: both throw `storage_corrupt`.
 *
 * Why not just "declared end past EOF means torn": a flipped bit in a middle record's length
 * also points past EOF, and truncating there would silently drop durable, committed entries.
 */
export function scanLog(buf: Buffer, file: string): LogScan {
  const entries: Entry[] = [];
  const offsets: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = decodeRecordAt(buf, pos);
    if (r.ok) {
      const prev = entries[entries.length - 1];
      if (prev !== undefined && r.entry.index !== prev.index + 1) {
        throw storageCorrupt(file, `entry index ${r.entry.index} does not follow ${prev.index}`, pos);
      }
      entries.push(r.entry);
      offsets.push(pos);
      pos = r.end;
      continue;
    }
    // A record whose checksum holds was written whole, so it cannot be a torn write.
    if (r.crcOk || validRecordAfter(buf, pos + 1)) throw storageCorrupt(file, r.why, pos);
    return { entries, offsets, end: pos, torn: { offset: pos, why: r.why } };
  }
  return { entries, offsets, end: pos, torn: null };
}
