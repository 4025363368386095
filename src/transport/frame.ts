// Length-prefixed framing: [u32 big-endian length][payload]. The decoder is pure (no sockets) so
// that its limits can be tested byte by byte; a connection feeds it whatever chunks TCP delivers.

/** Default cap on one frame's payload. A snapshot travels in one frame, so this bounds it too. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** The largest length a u32 prefix can state. */
export const MAX_FRAME_BYTES_LIMIT = 0xffff_ffff;

const HEADER_BYTES = 4;
// A body buffer starts at this size and doubles, so a peer that announces a large frame and
// then trickles bytes holds memory in proportion to what it actually sent.
const INITIAL_BODY_BYTES = 64 * 1024;

export type FrameError =
  | { readonly reason: 'zero-length' }
  | { readonly reason: 'too-large'; readonly length: number; readonly max: number };

export interface DecodeResult {
  /**
   * Complete payloads in arrival order. A payload may share memory with the chunk passed to
   * push(); read it before the chunk is reused (sockets hand out fresh chunks, so they never are).
   */
  readonly frames: Uint8Array[];
  /** Set when the stream is broken; frames decoded before the fault are still returned. */
  readonly error: FrameError | null;
  /** Bytes of the chunk read; less than its length only when push stopped at maxFrames. */
  readonly consumed: number;
}

export function describeFrameError(error: FrameError): string {
  return error.reason === 'zero-length'
    ? 'frame with length 0'
    : `frame of ${error.length} bytes exceeds the cap of ${error.max} bytes`;
}

function checkMax(maxFrameBytes: number): number {
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
    throw new RangeError(
      `maxFrameBytes must be an integer from 1 to ${MAX_FRAME_BYTES_LIMIT}, got ${maxFrameBytes}`,
    );
  }
  return maxFrameBytes;
}

// Plain Uint8Array rather than Buffer throughout: the code does not depend on how a given
// @types/node release types Buffer, and sockets accept and deliver Uint8Array either way.

/** Prefixes a payload with its length. The caller enforces the cap (see TcpTransport). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload.length > MAX_FRAME_BYTES_LIMIT) {
    throw new RangeError(`cannot frame a payload of ${payload.length} bytes`);
  }
  const frame = new Uint8Array(HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/**
 * Incremental decoder. It never holds more than cap + 4 bytes: the header, then at most the
 * announced length (itself at most the cap). After an error it stays broken: the stream has
 * lost its framing and the only safe move is to close the connection.
 */
export class FrameDecoder {
  #max: number;
  readonly #header = new Uint8Array(HEADER_BYTES);
  readonly #headerView = new DataView(this.#header.buffer);
  #headerFill = 0;
  #bodyLength = 0;
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #error: FrameError | null = null;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.#max = checkMax(maxFrameBytes);
  }

  get maxFrameBytes(): number {
    return this.#max;
  }

  /** Applies from the next header on; a frame already announced keeps the cap it was checked against. */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.#max = checkMax(maxFrameBytes);
  }

  /** Bytes held between calls (a partial header or a partial body). */
  get bufferedBytes(): number {
    return this.#headerFill + (this.#body?.length ?? 0);
  }

  get error(): FrameError | null {
    return this.#error;
  }

  /**
   * Decodes what `chunk` completes. With `maxFrames`, stops after that many frames and says how
   * many bytes it consumed, so that the caller may change the cap before reading on.
   */
  push(chunk: Uint8Array, maxFrames = Infinity): DecodeResult {
    const frames: Uint8Array[] = [];
    if (this.#error) return { frames, error: this.#error, consumed: 0 };
    const data = chunk;
    let offset = 0;
    while (offset < data.length && frames.length < maxFrames) {
      if (this.#headerFill < HEADER_BYTES) {
        offset = this.#readHeader(data, offset);
        if (this.#error) return { frames, error: this.#error, consumed: offset };
        continue;
      }
      offset = this.#readBody(data, offset, frames);
    }
    return { frames, error: null, consumed: offset };
  }

  #readHeader(data: Uint8Array, offset: number): number {
    const take = Math.min(HEADER_BYTES - this.#headerFill, data.length - offset);
    this.#header.set(data.subarray(offset, offset + take), this.#headerFill);
    this.#headerFill += take;
    if (this.#headerFill < HEADER_BYTES) return offset + take;
    const length = this.#headerView.getUint32(0);
    if (length === 0) {
      this.#fail({ reason: 'zero-length' });
    } else if (length > this.#max) {
      this.#fail({ reason: 'too-large', length, max: this.#max });
    } else {
      this.#bodyLength = length;
    }
    return offset + take;
  }

  #readBody(data: Uint8Array, offset: number, frames: Uint8Array[]): number {
    const available = data.length - offset;
    if (this.#body === null && available >= this.#bodyLength) {
      // The whole frame is inside this chunk: hand out a view, no copy.
      const end = offset + this.#bodyLength;
      frames.push(data.subarray(offset, end));
      this.#reset();
      return end;
    }
    const take = Math.min(this.#bodyLength - this.#bodyFill, available);
    const body = this.#ensureBody(this.#bodyFill + take);
    body.set(data.subarray(offset, offset + take), this.#bodyFill);
    this.#bodyFill += take;
    if (this.#bodyFill === this.#bodyLength) {
      frames.push(body.length === this.#bodyLength ? body : body.subarray(0, this.#bodyLength));
      this.#reset();
    }
    return offset + take;
  }

  #ensureBody(needed: number): Uint8Array {
    const current = this.#body;
    if (current !== null && current.length >= needed) return current;
    let size = Math.max(current?.length ?? 0, INITIAL_BODY_BYTES);
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.#bodyLength));
    if (current !== null) grown.set(current.subarray(0, this.#bodyFill));
    this.#body = grown;
    return grown;
  }

  #reset(): void {
    this.#headerFill = 0;
    this.#bodyLength = 0;
    this.#body = null;
    this.#bodyFill = 0;
  }

  #fail(error: FrameError): void {
    this.#error = error;
    this.#reset();
  }
}
