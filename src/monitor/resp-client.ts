// Our Redis client: one TCP (or TLS) connection to one Redis node, for probing and
// administration, not for an application (docs/design.md 4.1). It replaced ioredis in the node,
// whose import alone cost ~15 MiB of RSS and whose every command cost 50-100 µs of CPU; at 1000
// shards the prober sends thousands of ROLE a second. What it does, and nothing more:
//  - connects at once, from a source address if given, over TLS if asked; the handshake (AUTH,
//    CLIENT SETNAME) is pipelined; `ready` once it is answered;
//  - no offline queue and no resend: a command is written now or fails now (asynchronously),
//    never replayed after a reconnect; replies are matched to commands in order;
//  - a connect (up to ready) that takes longer than connectTimeoutMs is given up;
//  - on close every pending command fails with a transport error, and it connects again by
//    itself after retryDelayMs, until close();
//  - replies are read and framed by resp-reply.ts; a violation closes the connection.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { GarbageReplyError, ReplyError } from './classify.js';
import type { ConnectionOptions } from './connection.js';
import { encodeCommand, RespReader, type RespValue } from './resp-reply.js';

export type TransportErrorCode = 'ENOTREADY' | 'ECLOSED' | 'ETIMEDOUT';

/** No reply came or will come. Never named ReplyError: classify.ts counts it as silence. */
export class RespTransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
  }

  override get name(): string {
    return 'RespTransportError';
  }
}

/** `err` is null when the reply is not an error reply; a ReplyError otherwise, or a transport error. */
export type RespCallback = (err: Error | null, reply: RespValue | undefined) => void;

/**
 * The promise form, as the admin code and the preflight use it. A command pending when the
 * client is closed for good never settles (close() drops every callback): callers race a deadline.
 */
export interface RedisCommands {
  send(args: readonly string[]): Promise<RespValue>;
}

interface RespClientEvents {
  /** TCP (and TLS) is up; the handshake is under way. */
  connect: [];
  /** The handshake is answered: commands may be sent. */
  ready: [];
  /** The connection closed (or a connect failed); a new one follows after retryDelayMs. */
  close: [];
  /** Socket errors, a connect timeout, an AUTH refusal, garbage on the wire. */
  error: [err: Error];
}

type Status = 'connecting' | 'handshake' | 'ready' | 'waiting' | 'closed';

type SocketOptions = net.NetConnectOpts & tls.ConnectionOptions;

const KEEPALIVE_DELAY_MS = 1000;

/**
 * AUTH refusals that mean the node needs no password: it takes our commands anyway, so the
 * connection goes on (ioredis, which the node used before, did the same).
 */
const NO_PASSWORD_NEEDED = /no password is set|without any password configured/;

export class RespClient extends EventEmitter<RespClientEvents> implements RedisCommands {
  private status: Status = 'waiting';
  private socket: net.Socket | null = null;
  /** Callbacks of the commands written and not answered yet, oldest first. */
  private pending: RespCallback[] = [];
  /** Counts sockets: events of an older one (or of a closed client) are ignored. */
  private generation = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private connectTimeoutMs: number;
  private retryDelayMs: number;
  private readonly socketOptions: SocketOptions;
  private readonly secure: boolean;
  private readonly handshake: readonly string[][];

  /** Connects at once. Throws when a TLS file cannot be read (read once, not per reconnect). */
  constructor(options: ConnectionOptions) {
    super();
    this.socketOptions = socketOptions(options);
    this.secure = options.tls !== null;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.retryDelayMs = options.retryDelayMs;
    const auth = options.auth;
    this.handshake = [
      ...(auth ? [['AUTH', ...(auth.username ? [auth.username] : []), auth.password]] : []),
      ['CLIENT', 'SETNAME', options.name],
    ];
    this.connect();
  }

  get ready(): boolean {
    return this.status === 'ready';
  }

  /** Writes the command now, or fails it on the next tick when not ready. `done` runs once. */
  call(args: readonly string[], done: RespCallback): void {
    const socket = this.socket;
    if (this.status !== 'ready' || socket === null) {
      process.nextTick(() => {
        if (this.status !== 'closed')
          done(new RespTransportError('ENOTREADY', 'Connection is not ready.'), undefined);
      });
      return;
    }
    this.pending.push(done);
    socket.write(encodeCommand(args));
  }

  /** Runs `send`; the commands it writes leave in one write when it returns. */
  batch(send: () => void): void {
    const socket = this.socket;
    if (socket === null) return send();
    socket.cork();
    try {
      send();
    } finally {
      // The same socket object, even if `send` closed it: uncork on a destroyed one is harmless.
      socket.uncork();
    }
  }

  send(args: readonly string[]): Promise<RespValue> {
    return new Promise((resolve, reject) =>
      this.call(args, (err, reply) => (err === null ? resolve(reply ?? null) : reject(err))),
    );
  }

  /** Timeouts for the next connects; the connection is kept. */
  retune(connectTimeoutMs: number, retryDelayMs: number): void {
    this.connectTimeoutMs = connectTimeoutMs;
    this.retryDelayMs = retryDelayMs;
  }

  /** Closes it for good: no event and no reply follows (pending callbacks are dropped). */
  close(): void {
    if (this.status === 'closed') return;
    this.status = 'closed';
    this.generation++;
    this.clearTimers();
    this.pending = [];
    // Destroyed, not ended: a stopped node never answers a FIN, and nothing waits for it.
    this.socket?.destroy();
    this.socket = null;
  }

  // ---- connection life ------------------------------------------------------------------------

  private connect(): void {
    const gen = ++this.generation;
    this.status = 'connecting';
    this.connectTimer = setTimeout(() => this.timedOut(gen), this.connectTimeoutMs);
    let socket: net.Socket;
    try {
      socket = this.secure ? tls.connect(this.socketOptions) : net.createConnection(this.socketOptions);
    } catch (err) {
      // An invalid address, say: reported and retried as a refused connect would be.
      process.nextTick(() => {
        if (!this.current(gen)) return;
        this.tell('error', err instanceof Error ? err : new Error(String(err)));
        this.lost(gen);
      });
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    const reader = new RespReader((reply) => this.onReply(gen, reply));
    socket.once(this.secure ? 'secureConnect' : 'connect', () => this.onConnected(gen));
    socket.on('data', (chunk: Buffer) => {
      if (!this.current(gen)) return;
      const violation = reader.push(chunk);
      if (violation !== null && this.current(gen)) this.fail(gen, new GarbageReplyError(violation));
    });
    // Kept after the socket is dropped too: a late socket error must not go unhandled.
    socket.on('error', (err) => {
      if (this.current(gen)) this.tell('error', err);
    });
    socket.on('close', () => this.lost(gen));
  }

  private onConnected(gen: number): void {
    if (!this.current(gen) || this.socket === null) return;
    this.status = 'handshake';
    this.tell('connect');
    if (!this.current(gen)) return;
    const last = this.handshake.length - 1;
    this.handshake.forEach((args, i) => {
      this.pending.push((err) => {
        if (!this.current(gen)) return;
        if (i === last) this.onHandshakeDone();
        else if (err instanceof ReplyError && !NO_PASSWORD_NEEDED.test(err.message)) this.fail(gen, err);
      });
    });
    this.socket.write(this.handshake.map(encodeCommand).join(''));
  }

  /**
   * CLIENT SETNAME answered, whatever the answer: a node where CLIENT is renamed or disabled,
   * or too old to know SETNAME, is still probed and administered.
   */
  private onHandshakeDone(): void {
    this.status = 'ready';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.tell('ready');
  }

  private onReply(gen: number, reply: RespValue): void {
    if (!this.current(gen)) return;
    const done = this.pending.shift();
    if (done === undefined) {
      this.fail(gen, new GarbageReplyError('a reply to no command'));
      return;
    }
    if (reply instanceof ReplyError) done(reply, undefined);
    else done(null, reply);
  }

  private timedOut(gen: number): void {
    if (!this.current(gen)) return;
    this.fail(gen, new RespTransportError('ETIMEDOUT', 'connect ETIMEDOUT'));
  }

  /** Reports why this connection is given up, then drops it. */
  private fail(gen: number, err: Error): void {
    this.tell('error', err);
    this.lost(gen);
  }

  /** The connection is gone: what is pending fails, `close`, and a new connect later. */
  private lost(gen: number): void {
    if (!this.current(gen)) return;
    this.generation++;
    this.status = 'waiting';
    this.clearTimers();
    this.socket?.destroy();
    this.socket = null;
    const pending = this.pending;
    this.pending = [];
    for (const done of pending) {
      if (this.closedForGood) return;
      done(new RespTransportError('ECLOSED', 'Connection is closed.'), undefined);
    }
    this.tell('close');
    if (this.closedForGood) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.status === 'waiting') this.connect();
    }, this.retryDelayMs);
  }

  /** A getter, so that a callback's close() is seen after it returns. */
  private get closedForGood(): boolean {
    return this.status === 'closed';
  }

  private current(gen: number): boolean {
    return this.status !== 'closed' && this.generation === gen;
  }

  private clearTimers(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.connectTimer = null;
    this.retryTimer = null;
  }

  /** Emits unless closed; an error nobody listens to is dropped rather than thrown. */
  private tell<K extends keyof RespClientEvents>(event: K, ...args: RespClientEvents[K]): void {
    if (this.status === 'closed') return;
    if (event === 'error' && this.listenerCount('error') === 0) return;
    (this.emit as (e: K, ...a: RespClientEvents[K]) => boolean)(event, ...args);
  }
}

function socketOptions(o: ConnectionOptions): SocketOptions {
  const base: SocketOptions = {
    host: o.host,
    port: o.port,
    ...(o.sourceAddress ? { localAddress: o.sourceAddress } : {}),
  };
  if (!o.tls) return base;
  const t = o.tls;
  return {
    ...base,
    ...(t.ca ? { ca: readFileSync(t.ca) } : {}),
    ...(t.cert ? { cert: readFileSync(t.cert) } : {}),
    ...(t.key ? { key: readFileSync(t.key) } : {}),
    // SNI takes host names only.
    ...(net.isIP(o.host) === 0 ? { servername: o.host } : {}),
  };
}
