// A framing check on the bytes a Redis node sends us, ahead of the client's own parser.
// ioredis buffers whatever length a bulk header announces (`$999999999999` makes it wait for a
// terabyte) and accepts any nesting; a node that is not Redis, or a hostile one, could hang a
// probe or exhaust memory. This scanner follows RESP2 framing without keeping the payload and
// reports the first violation of the caps (docs/design.md 8), so the connection can be dropped with
// a clear reason. Pure: bytes in, verdict out.

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
// + - : $ *  (RESP2: the only types a client that never sent HELLO 3 can receive)
const TYPES: ReadonlySet<number> = new Set([43, 45, 58, 36, 42]);
const HEADER_MAX_CHARS = 21;

export class RespGuard {
  /** Elements still expected at each open array level. */
  private readonly stack: number[] = [];
  private type = NONE;
  private header = '';
  private lineBytes = 0;
  private lastLineByte = NONE;
  /** Payload bytes plus the CRLF still to come for the current bulk string. */
  private bulkLeft = 0;
  private replyBytes = 0;
  private violation: string | null = null;
  /** Top-level replies seen complete (for tests and diagnostics). */
  completed = 0;

  constructor(private readonly caps: RespCaps = DEFAULT_RESP_CAPS) {}

  /** Scans one chunk; returns the first violation found (then and forever after), or null. */
  push(chunk: Uint8Array): string | null {
    if (this.violation !== null) return this.violation;
    this.violation = this.scan(chunk);
    return this.violation;
  }

  private scan(chunk: Uint8Array): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.replyBytes > this.caps.maxReplyBytes) return `reply over ${this.caps.maxReplyBytes} bytes`;
      if (this.bulkLeft > 0) {
        const r = this.skipBulk(chunk, i);
        if (typeof r === 'string') return r;
        i = r;
        continue;
      }
      if (this.type === NONE) {
        const t = chunk[i];
        if (!TYPES.has(t))
          return `unexpected reply type byte 0x${t.toString(16).padStart(2, '0')}${printable(t)}`;
        this.type = t;
        this.header = '';
        this.lineBytes = 0;
        this.lastLineByte = NONE;
        this.replyBytes++;
        i++;
        continue;
      }
      const nl = chunk.indexOf(LF, i);
      const end = nl === -1 ? chunk.length : nl;
      this.lineBytes += end - i;
      this.replyBytes += end - i + (nl === -1 ? 0 : 1);
      if (this.lineBytes > this.caps.maxLineBytes) return `line over ${this.caps.maxLineBytes} bytes`;
      if (this.type !== 43 && this.type !== 45) {
        // Numbers and lengths: keep the text (short by construction) to read it at the end.
        this.header += String.fromCharCode(...chunk.subarray(i, Math.min(end, i + HEADER_MAX_CHARS + 1)));
        if (this.header.length > HEADER_MAX_CHARS)
          return `number ${JSON.stringify(this.header.slice(0, 24))}... too long`;
      }
      if (end > i) this.lastLineByte = chunk[end - 1];
      if (nl === -1) break;
      i = nl + 1;
      if (this.lastLineByte !== CR) return 'line not terminated by CRLF';
      const r = this.endLine();
      if (r !== null) return r;
    }
    return this.replyBytes > this.caps.maxReplyBytes ? `reply over ${this.caps.maxReplyBytes} bytes` : null;
  }

  private skipBulk(chunk: Uint8Array, i: number): number | string {
    // The payload is skipped by count; only its CRLF trailer is checked.
    const payloadLeft = this.bulkLeft - 2;
    if (payloadLeft > 0) {
      const take = Math.min(payloadLeft, chunk.length - i);
      this.bulkLeft -= take;
      this.replyBytes += take;
      return i + take;
    }
    const expected = this.bulkLeft === 2 ? CR : LF;
    if (chunk[i] !== expected) return 'bulk string not terminated by CRLF';
    this.bulkLeft--;
    if (this.bulkLeft === 0) this.value();
    return i + 1;
  }

  private endLine(): string | null {
    const t = this.type;
    const text = this.header.endsWith('\r') ? this.header.slice(0, -1) : this.header;
    if (t === 43 || t === 45) return this.value();
    if (!/^-?\d+$/.test(text)) return `malformed number ${JSON.stringify(text.slice(0, 24))}`;
    const n = Number(text);
    if (t === 58) return this.value();
    if (n === -1) return this.value(); // null bulk or null array
    if (n < -1) return `negative length ${n}`;
    if (t === 36) {
      if (n > this.caps.maxBulkBytes) return `bulk length ${text} over the cap of ${this.caps.maxBulkBytes}`;
      this.type = NONE;
      this.bulkLeft = n + 2;
      return null;
    }
    if (n > this.caps.maxArrayLength)
      return `array length ${text} over the cap of ${this.caps.maxArrayLength}`;
    if (n === 0) return this.value();
    if (this.stack.length >= this.caps.maxDepth) return `arrays nested deeper than ${this.caps.maxDepth}`;
    this.stack.push(n);
    this.type = NONE;
    return null;
  }

  /** One value is complete: count it against the enclosing arrays. */
  private value(): null {
    this.type = NONE;
    while (this.stack.length > 0) {
      const top = this.stack.length - 1;
      this.stack[top]--;
      if (this.stack[top] > 0) return null;
      this.stack.pop();
    }
    this.completed++;
    this.replyBytes = 0;
    return null;
  }
}

function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? ` (${JSON.stringify(String.fromCharCode(byte))})` : '';
}
