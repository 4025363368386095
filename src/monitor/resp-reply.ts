// The RESP2 reply reader of our Redis client (resp-client.ts): bytes in, replies out, over any
// chunking. It is also the framing check (docs/design.md 8): a node that is not Redis, or a
// hostile one, could announce a terabyte bulk string or nest arrays without end, so every length
// is capped before anything is buffered, and the first violation is the reader's verdict for
// good (the stream cannot be resynchronised; the connection is dropped). Pure: no I/O, no timers.
import { ReplyError } from './classify.js';

/**
 * A decoded reply. Bulk and simple strings are JS strings (UTF-8), integers are numbers, null
 * bulk strings and null arrays are null, and an error reply is a ReplyError: as a value inside
 * an array (EXEC's results), or the whole reply (the client fails the command with it).
 */
export type RespValue = string | number | null | ReplyError | RespValue[];

export interface RespCaps {
  /** Longest simple string, error or header line, in bytes. */
  readonly maxLineBytes: number;
  readonly maxBulkBytes: number;
  readonly maxArrayLength: number;
  readonly maxDepth: number;
  /** Bytes of one top-level reply, all nested parts together. */
  readonly maxReplyBytes: number;
}

/** Generous for ROLE, INFO and admin replies (a few KiB), tiny next to what would hurt. */
export const DEFAULT_RESP_CAPS: RespCaps = {
  maxLineBytes: 64 * 1024,
  maxBulkBytes: 1024 * 1024,
  maxArrayLength: 10_000,
  maxDepth: 8,
  maxReplyBytes: 4 * 1024 * 1024,
};

const CR = 13;
const LF = 10;
const NONE = -1;
const SIMPLE = 43; // +
const ERROR = 45; // -
const INTEGER = 58; // :
const BULK = 36; // $
const ARRAY = 42; // *
/** A number line: 20 digits and a sign at most, its CR included. */
const HEADER_MAX_BYTES = 21;

interface Frame {
  readonly items: RespValue[];
  left: number;
}

export class RespReader {
  /** The arrays still open, innermost last. */
  private readonly stack: Frame[] = [];
  /** The type byte of the line being read, or NONE between values (or inside a bulk payload). */
  private type = NONE;
  /** A line cut by a chunk boundary: its pieces so far (rare: lines are short). */
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  /** Payload bytes plus the CRLF still to come for the current bulk string; 0 outside one. */
  private bulkLeft = 0;
  private bulkParts: Buffer[] = [];
  /** The payload, decoded once it is whole, waiting for its CRLF. */
  private bulkText = '';
  private replyBytes = 0;
  private violation: string | null = null;
  /** Top-level replies read (for tests and diagnostics). */
  completed = 0;

  constructor(
    private readonly onReply: (reply: RespValue) => void,
    private readonly caps: RespCaps = DEFAULT_RESP_CAPS,
  ) {}

  /**
   * Reads one chunk; every reply it completes goes to onReply, in order. Returns the first
   * violation found (then and forever after: nothing more is read), or null.
   */
  push(chunk: Buffer): string | null {
    if (this.violation !== null) return this.violation;
    this.violation = this.read(chunk);
    return this.violation;
  }

  private read(chunk: Buffer): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.replyBytes > this.caps.maxReplyBytes) return `reply over ${this.caps.maxReplyBytes} bytes`;
      if (this.bulkLeft > 0) {
        const r = this.readBulk(chunk, i);
        if (typeof r === 'string') return r;
        i = r;
        continue;
      }
      if (this.type === NONE) {
        const t = chunk[i];
        if (t !== SIMPLE && t !== ERROR && t !== INTEGER && t !== BULK && t !== ARRAY)
          return `unexpected reply type byte 0x${t.toString(16).padStart(2, '0')}${printable(t)}`;
        this.type = t;
        this.replyBytes++;
        i++;
        continue;
      }
      const nl = chunk.indexOf(LF, i);
      const end = nl === -1 ? chunk.length : nl;
      this.lineBytes += end - i;
      this.replyBytes += end - i + (nl === -1 ? 0 : 1);
      if (this.lineBytes > this.caps.maxLineBytes) return `line over ${this.caps.maxLineBytes} bytes`;
      const numeric = this.type !== SIMPLE && this.type !== ERROR;
      if (numeric && this.lineBytes > HEADER_MAX_BYTES) {
        const text = Buffer.concat([...this.lineParts, chunk.subarray(i, end)]).toString('latin1');
        return `number ${JSON.stringify(text.slice(0, 24))}... too long`;
      }
      if (nl === -1) {
        this.lineParts.push(chunk.subarray(i));
        break;
      }
      const line =
        this.lineParts.length === 0
          ? chunk.subarray(i, nl)
          : Buffer.concat([...this.lineParts, chunk.subarray(i, nl)]);
      this.lineParts = [];
      this.lineBytes = 0;
      i = nl + 1;
      if (line.length === 0 || line[line.length - 1] !== CR) return 'line not terminated by CRLF';
      const r = this.endLine(line, line.length - 1);
      if (r !== null) return r;
    }
    return this.replyBytes > this.caps.maxReplyBytes ? `reply over ${this.caps.maxReplyBytes} bytes` : null;
  }

  /** Payload by count (it may hold CR, LF and any byte); then its CRLF, byte by byte. */
  private readBulk(chunk: Buffer, i: number): number | string {
    const payloadLeft = this.bulkLeft - 2;
    if (payloadLeft > 0) {
      const take = Math.min(payloadLeft, chunk.length - i);
      this.bulkLeft -= take;
      this.replyBytes += take;
      // Decoded as a whole: a chunk boundary may fall inside a multi-byte character.
      if (take === payloadLeft && this.bulkParts.length === 0) {
        this.bulkText = chunk.toString('utf8', i, i + take);
      } else {
        this.bulkParts.push(chunk.subarray(i, i + take));
        if (take === payloadLeft) {
          this.bulkText = Buffer.concat(this.bulkParts).toString('utf8');
          this.bulkParts = [];
        }
      }
      return i + take;
    }
    const expected = this.bulkLeft === 2 ? CR : LF;
    if (chunk[i] !== expected) return 'bulk string not terminated by CRLF';
    this.replyBytes++;
    this.bulkLeft--;
    if (this.bulkLeft === 0) {
      const text = this.bulkText;
      this.bulkText = '';
      this.value(text);
    }
    return i + 1;
  }

  /** A line is whole (`end` is the index of its CR): a value, or the header of one. */
  private endLine(line: Buffer, end: number): string | null {
    const t = this.type;
    this.type = NONE;
    if (t === SIMPLE) return this.value(line.toString('utf8', 0, end));
    if (t === ERROR) return this.value(new ReplyError(line.toString('utf8', 0, end)));
    const text = line.toString('latin1', 0, end);
    if (!/^-?\d+$/.test(text)) return `malformed number ${JSON.stringify(text.slice(0, 24))}`;
    const n = Number(text);
    if (t === INTEGER) return this.value(n);
    if (n === -1) return this.value(null); // null bulk string or null array
    if (n < -1) return `negative length ${n}`;
    if (t === BULK) {
      if (n > this.caps.maxBulkBytes) return `bulk length ${text} over the cap of ${this.caps.maxBulkBytes}`;
      this.bulkLeft = n + 2;
      this.bulkText = '';
      return null;
    }
    if (n > this.caps.maxArrayLength)
      return `array length ${text} over the cap of ${this.caps.maxArrayLength}`;
    if (n === 0) return this.value([]);
    if (this.stack.length >= this.caps.maxDepth) return `arrays nested deeper than ${this.caps.maxDepth}`;
    this.stack.push({ items: [], left: n });
    return null;
  }

  /** One value is complete: into its array, or out as a reply when it closes the last one. */
  private value(v: RespValue): null {
    let done = v;
    while (this.stack.length > 0) {
      const top = this.stack[this.stack.length - 1];
      top.items.push(done);
      top.left--;
      if (top.left > 0) return null;
      this.stack.pop();
      done = top.items;
    }
    this.completed++;
    this.replyBytes = 0;
    this.onReply(done);
    return null;
  }
}

/** RESP2 request: an array of bulk strings, lengths in bytes (UTF-8), not characters. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
}

function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? ` (${JSON.stringify(String.fromCharCode(byte))})` : '';
}
