// A raw socket client for RESP tests: sends exact bytes, and reads typed replies or raw bytes,
// so tests can compare error texts and framing byte for byte.
import net from 'node:net';
import tls from 'node:tls';
import { decodeOne, type RespValue } from './resp-decode.js';

export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RawClient {
  private received: Buffer = Buffer.alloc(0);
  private consumed = 0;
  private waiters: (() => void)[] = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(
    port: number,
    options: { host?: string; tls?: tls.ConnectionOptions } = {},
  ): Promise<RawClient> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tls.connect({ host, port, ...options.tls }, () => resolve(new RawClient(socket)))
        : net.connect({ host, port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  command(...args: (string | Buffer)[]): void {
    this.socket.write(encodeCommand(args));
  }

  /** Waits for `count` more complete replies. */
  async read(count = 1, timeoutMs = 5000): Promise<RespValue[]> {
    const deadline = Date.now() + timeoutMs;
    const taken: RespValue[] = [];
    for (;;) {
      while (taken.length < count) {
        const one = decodeOne(this.received, this.consumed);
        if (!one) break;
        taken.push(one.value);
        this.consumed = one.end;
      }
      if (taken.length >= count) return taken;
      if (this.ended) throw new Error(`connection closed after ${taken.length} of ${count} replies`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${count} replies; have ${taken.length}`);
      await this.waitForData(deadline - Date.now());
    }
  }

  /** One command, one reply. */
  async call(...args: (string | Buffer)[]): Promise<RespValue> {
    this.command(...args);
    const [reply] = await this.read(1);
    return reply;
  }

  /** Raw bytes not yet consumed by read(), after waiting until the server closes or timeoutMs. */
  async rawUntilClose(timeoutMs = 5000): Promise<{ bytes: string; closed: boolean }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await this.waitForData(deadline - Date.now());
    return { bytes: this.received.subarray(this.consumed).toString('latin1'), closed: this.ended };
  }

  /** Raw bytes received within `ms` (for checking that nothing more arrives). */
  async rawFor(ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.ended && Date.now() < deadline) await this.waitForData(deadline - Date.now());
    const text = this.received.subarray(this.consumed).toString('latin1');
    this.consumed = this.received.length;
    return text;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Stops reading (a client that does not take its messages). */
  pause(): void {
    this.socket.pause();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
