// One framed socket (TCP or TLS): bytes in -> frames -> envelopes, with the decoder's cap.
// A bad frame or envelope closes this connection only; the rest of the node keeps running.
import type { Socket } from 'node:net';
import type { Logger } from '../util/log.js';
import { decodeEnvelope, type Envelope } from './envelope.js';
import { describeFrameError, FrameDecoder } from './frame.js';

/** How long a closing connection may take to flush its last frame (a hello-reject) before it is cut. */
const LINGER_MS = 1000;

export interface ConnectionEvents {
  /** Called for each envelope, in order, until the connection starts closing. */
  onEnvelope(envelope: Envelope): void;
  /** Called once, after the socket closed. `reason` is why we closed it, or a socket error, or null. */
  onClose(reason: string | null): void;
}

export interface ConnectionOptions {
  readonly maxFrameBytes: number;
  /** Printable remote end, for log lines. */
  readonly remote: string;
  readonly logger: Logger;
}

export class FramedConnection {
  readonly remote: string;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #logger: Logger;
  readonly #events: ConnectionEvents;
  #closing = false;
  #reason: string | null = null;
  /**
   * During the handshake, frames are decoded one at a time: a handshake frame may raise the cap
   * (setMaxFrameBytes) for the frames that follow it in the same chunk.
   */
  #stepwise = true;

  constructor(socket: Socket, options: ConnectionOptions, events: ConnectionEvents) {
    this.#socket = socket;
    this.#decoder = new FrameDecoder(options.maxFrameBytes);
    this.remote = options.remote;
    this.#logger = options.logger;
    this.#events = events;
    socket.on('data', (chunk: Uint8Array) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#reason ??= `socket error: ${err.code ?? err.message}`;
      this.#logger.debug({ event: 'peer-socket-error', remote: this.remote, err: err.message });
    });
    socket.once('close', () => {
      this.#closing = true;
      this.#events.onClose(this.#reason);
    });
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Bytes accepted by write() that the kernel has not taken yet. */
  get writableLength(): number {
    return this.#socket.writableLength;
  }

  /** The cap after the handshake; from here on, chunks are decoded whole. */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.#decoder.setMaxFrameBytes(maxFrameBytes);
    this.#stepwise = false;
  }

  /** Queues a whole frame on the socket; false once the connection is closing. */
  write(frame: Uint8Array): boolean {
    if (this.#closing) return false;
    this.#socket.write(frame);
    return true;
  }

  /** The peer broke the protocol: say so in the log, then cut the connection. */
  fail(reason: string, details: Record<string, unknown> = {}): void {
    if (this.#closing) return;
    this.#logger.warn({ event: 'peer-protocol-error', reason, remote: this.remote, ...details });
    this.close(reason);
  }

  /** Cuts the connection now; anything still unread is ignored. */
  close(reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#reason = reason;
    this.#socket.destroy();
  }

  /** Sends a last frame, then closes; the socket is cut if the peer does not read it in time. */
  closeWith(frame: Uint8Array, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#reason = reason;
    this.#socket.end(frame);
    setTimeout(() => this.#socket.destroy(), LINGER_MS).unref();
  }

  #onData(chunk: Uint8Array): void {
    let rest = chunk;
    while (rest.length > 0 && !this.#closing) {
      const { frames, error, consumed } = this.#decoder.push(rest, this.#stepwise ? 1 : Infinity);
      for (const frame of frames) {
        const envelope = decodeEnvelope(frame);
        if (!envelope.ok) return this.fail(`bad envelope: ${envelope.reason}`);
        this.#events.onEnvelope(envelope.value);
        // A handler may have closed the connection: the rest of the chunk is no longer ours to read.
        if (this.#closing) return;
      }
      if (error) return this.fail(`bad frame: ${describeFrameError(error)}`);
      rest = rest.subarray(consumed);
    }
  }
}
