// Incremental parser of client requests (RESP multibulk arrays and inline commands), pure: no
// I/O, no clock. The caller pushes bytes as they arrive and pulls one command at a time, which
// lets it change the limits between commands (Redis's tighter limits before AUTH).
//
// Error texts are Redis's (networking.c) because clients and operators recognise them; after an
// error the parser stays failed: the connection writes `-ERR Protocol error: ...` and closes.
import { splitInlineArgs } from './inline.js';

export interface ParserLimits {
  /** Most arguments in one command (multibulk count, or words of an inline command). */
  readonly maxArgs: number;
  /** Longest bulk argument in bytes. */
  readonly maxBulkBytes: number;
  /** Most bytes of all arguments of one command together. */
  readonly maxCommandBytes: number;
  /** Set before AUTH: exceeding maxArgs/maxBulkBytes reports Redis's "unauthenticated" texts. */
  readonly unauthenticated: boolean;
}

/** Longest inline command, and longest `*<n>` / `$<n>` header line (Redis PROTO_INLINE_MAX_SIZE). */
export const MAX_INLINE_BYTES = 64 * 1024;

export type ParseResult =
  | { readonly kind: 'command'; readonly args: Buffer[] }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'error'; readonly message: string };

// line() results that are not a line's end.
const NO_LINE = -1;
const MALFORMED = -2;
const INCOMPLETE: ParseResult = { kind: 'incomplete' };
const CR = 0x0d;
const LF = 0x0a;

export class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  // Chunks received since the last parse, joined only once they can complete what is awaited:
  // a large bulk arriving in many small chunks is then copied once, not once per chunk.
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private needBytes = 0;
  // Progress inside a multibulk command, kept across pushes so a command that arrives in many
  // chunks is not re-parsed from its start each time.
  private expectedArgs = -1;
  private args: Buffer[] = [];
  private argBytes = 0;
  private bulkLen = -1;
  private failed: string | null = null;

  /** Bytes received and not yet consumed (the connection caps this). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.chunkBytes;
  }

  /**
   * Where the next command starts in `buffer`, when no command is half parsed (the connection
   * matches known requests there); -1 otherwise. Whatever it uses is then consume()d.
   */
  commandStart(): number {
    if (this.failed !== null || this.expectedArgs >= 0) return -1;
    this.join();
    return this.pos;
  }

  /** The received bytes (valid until the next push). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Drops `n` bytes at commandStart(): a whole command answered without parsing it. */
  consume(n: number): void {
    this.pos += n;
  }

  push(chunk: Buffer): void {
    if (this.failed !== null || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
  }

  /** The next complete command, `incomplete` until more bytes arrive, or a protocol error. */
  next(limits: ParserLimits): ParseResult {
    if (this.failed !== null) return { kind: 'error', message: this.failed };
    if (this.bufferedBytes < this.needBytes) return INCOMPLETE;
    this.join();
    for (;;) {
      let result: ParseResult | null;
      if (this.expectedArgs < 0) {
        if (this.pos >= this.buf.length) result = INCOMPLETE;
        else if (this.buf[this.pos] !== 0x2a /* '*' */) result = this.inline(limits);
        else result = this.multibulkHeader(limits);
      } else {
        result = this.bulks(limits);
      }
      if (result === null) continue;
      if (result.kind === 'incomplete' && this.needBytes === 0) this.needBytes = this.bufferedBytes + 1;
      return result;
    }
  }

  private join(): void {
    this.needBytes = 0;
    if (this.chunkBytes === 0) return;
    // The usual case: the previous chunk was used up and one new chunk arrived; take it as is.
    if (this.pos === this.buf.length && this.chunks.length === 1) this.buf = this.chunks[0];
    else this.buf = Buffer.concat([this.buf.subarray(this.pos), ...this.chunks]);
    this.pos = 0;
    this.chunks.length = 0; // emptied in place: one array per connection, not one per read
    this.chunkBytes = 0;
  }

  private fail(message: string): ParseResult {
    this.failed = message;
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    this.chunks = [];
    this.chunkBytes = 0;
    this.args = [];
    return { kind: 'error', message };
  }

  /** Reads `*<n>\r\n`; null: go on parsing. */
  private multibulkHeader(limits: ParserLimits): ParseResult | null {
    const start = this.pos;
    const end = this.line();
    if (end === NO_LINE) {
      return this.bufferedBytes > MAX_INLINE_BYTES ? this.fail('too big mbulk count string') : INCOMPLETE;
    }
    const count = end === MALFORMED ? null : parseIntegerAt(this.buf, start + 1, end);
    if (count === null) return this.fail('invalid multibulk length');
    if (count > limits.maxArgs) {
      return this.fail(
        limits.unauthenticated ? 'unauthenticated multibulk length' : 'invalid multibulk length',
      );
    }
    // `*0` and `*-1` carry no command: Redis skips them silently.
    if (count > 0) {
      this.expectedArgs = count;
      this.args = [];
      this.argBytes = 0;
      this.bulkLen = -1;
    }
    return null;
  }

  /** Reads the bulk arguments of the current multibulk command. */
  private bulks(limits: ParserLimits): ParseResult {
    while (this.args.length < this.expectedArgs) {
      if (this.bulkLen < 0) {
        if (this.pos >= this.buf.length) return INCOMPLETE;
        const first = this.buf[this.pos];
        if (first !== 0x24 /* '$' */) return this.fail(`expected '$', got '${String.fromCharCode(first)}'`);
        const start = this.pos;
        const lineEnd = this.line();
        if (lineEnd === NO_LINE) {
          return this.bufferedBytes > MAX_INLINE_BYTES ? this.fail('too big bulk count string') : INCOMPLETE;
        }
        const len = lineEnd === MALFORMED ? null : parseIntegerAt(this.buf, start + 1, lineEnd);
        if (len === null || len < 0) return this.fail('invalid bulk length');
        if (len > limits.maxBulkBytes) {
          return this.fail(limits.unauthenticated ? 'unauthenticated bulk length' : 'invalid bulk length');
        }
        if (this.argBytes + len > limits.maxCommandBytes) return this.fail('too big request');
        this.argBytes += len;
        this.bulkLen = len;
      }
      const need = this.bulkLen + 2;
      if (this.buf.length - this.pos < need) {
        this.needBytes = need;
        return INCOMPLETE;
      }
      const end = this.pos + this.bulkLen;
      // Stricter than Redis, which skips two bytes unchecked: a bulk must end with CRLF.
      if (this.buf[end] !== CR || this.buf[end + 1] !== LF)
        return this.fail('expected CRLF after bulk string');
      // A view, not a copy: arguments live only while their command runs (handlers keep strings,
      // never these buffers), so they cannot pin a receive buffer in memory for long.
      this.args.push(this.buf.subarray(this.pos, end));
      this.pos = end + 2;
      this.bulkLen = -1;
    }
    const args = this.args;
    this.args = [];
    this.expectedArgs = -1;
    return { kind: 'command', args };
  }

  /** An inline command: one line split by redis-cli's quoting rules; null for an empty line. */
  private inline(limits: ParserLimits): ParseResult | null {
    const nl = this.buf.indexOf(LF, this.pos);
    if (nl < 0) {
      return this.bufferedBytes > MAX_INLINE_BYTES ? this.fail('too big inline request') : INCOMPLETE;
    }
    if (nl - this.pos > MAX_INLINE_BYTES) return this.fail('too big inline request');
    let end = nl;
    if (end > this.pos && this.buf[end - 1] === CR) end--;
    const args = splitInlineArgs(this.buf.subarray(this.pos, end));
    this.pos = nl + 1;
    if (args === null) return this.fail('unbalanced quotes in request');
    if (args.length > limits.maxArgs) {
      return this.fail(
        limits.unauthenticated ? 'unauthenticated multibulk length' : 'invalid multibulk length',
      );
    }
    if (args.some((a) => a.length > limits.maxBulkBytes)) {
      // An inline line is at most 64 KiB, below maxCommandBytes: only the per-argument cap applies.
      return this.fail(limits.unauthenticated ? 'unauthenticated bulk length' : 'invalid bulk length');
    }
    return args.length === 0 ? null : { kind: 'command', args };
  }

  /**
   * Consumes the CRLF-terminated line at pos and returns where its text ends (the CR), or
   * MALFORMED for a CR without LF, or NO_LINE while it is incomplete. Header lines are read in
   * place, without a Buffer view each: they are two of every command's few allocations.
   */
  private line(): number {
    // A loop, not indexOf: these lines are a few bytes long, shorter than a call into C++ costs.
    const buf = this.buf;
    let cr = this.pos;
    while (cr < buf.length && buf[cr] !== CR) cr++;
    if (cr + 1 >= buf.length) return NO_LINE;
    if (buf[cr + 1] !== LF) return MALFORMED;
    this.pos = cr + 2;
    return cr;
  }
}

/** Redis's string2ll for protocol lengths: optional '-', digits, no leading zeros, no '+'. */
export function parseInteger(bytes: Buffer): number | null {
  return parseIntegerAt(bytes, 0, bytes.length);
}

/** parseInteger of bytes[start, end). */
function parseIntegerAt(bytes: Buffer, start: number, end: number): number | null {
  const length = end - start;
  if (length === 0 || length > 11) return null;
  let i = start;
  let negative = false;
  if (bytes[i] === 0x2d) {
    negative = true;
    i++;
    if (length === 1) return null;
  }
  if (bytes[i] === 0x30 && end > i + 1) return null;
  let value = 0;
  for (; i < end; i++) {
    const d = bytes[i] - 0x30;
    if (d < 0 || d > 9) return null;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}
