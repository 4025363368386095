// One client connection: bytes in, commands through the dispatcher, replies out, in request
// order. Everything that can go wrong with one client (a bad frame, too much input, a reader
// too slow for its pub/sub messages, idling) closes that connection only.
import type { Socket } from 'node:net';
import type { Logger } from '../../util/log.js';
import type { MasterAddressReplies } from './commands/address-reply.js';
import { masterAddrReply } from './commands/sentinel.js';
import type { CommandContext, ServerFacts } from './commands/types.js';
import { dispatch } from './dispatch.js';
import type { KnownRequest, KnownRequests } from './known-requests.js';
import { RequestParser, type ParserLimits } from './parser.js';
import type { PubSubHub, Subscriber } from './pubsub-hub.js';
import type { RecentNames } from './recent-names.js';
import { encode, error, NULL_ARRAY, type Reply } from './reply.js';
import type { Session } from './session.js';
import type { SentinelSource } from './source.js';
import { protocolError } from './texts.js';

export interface ConnectionLimits {
  /** Arguments per command, and bytes per argument, once authenticated. */
  readonly maxArgs: number;
  readonly maxBulkBytes: number;
  /** Sum of a command's argument bytes. */
  readonly maxCommandBytes: number;
  /** Before AUTH (only when AUTH is required), as Redis: 10 arguments of 16 KiB. */
  readonly preAuthMaxArgs: number;
  readonly preAuthMaxBulkBytes: number;
  /** Received bytes not yet parsed (a client pipelining faster than it reads). */
  readonly maxInputBytes: number;
  /** Replies and messages not yet taken by the client (Redis's pubsub output limit). */
  readonly maxOutputBytes: number;
  /** Subscriptions per connection. */
  readonly maxSubscriptions: number;
  /** Close a connection idle this long (0: never). Subscribed connections never idle out. */
  readonly idleTimeoutMs: number;
  /** Close a connection that has not authenticated within this time, when AUTH is required. */
  readonly authTimeoutMs: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxArgs: 1024,
  maxBulkBytes: 512 * 1024,
  maxCommandBytes: 1024 * 1024,
  preAuthMaxArgs: 10,
  preAuthMaxBulkBytes: 16 * 1024,
  maxInputBytes: 2 * 1024 * 1024,
  maxOutputBytes: 32 * 1024 * 1024,
  maxSubscriptions: 10_000,
  idleTimeoutMs: 300_000,
  authTimeoutMs: 10_000,
};

export interface ConnectionDeps {
  readonly source: SentinelSource;
  readonly server: ServerFacts;
  readonly hub: PubSubHub;
  readonly logger: Logger;
  readonly limits: ConnectionLimits;
  readonly addressReplies: MasterAddressReplies;
  readonly shardNames: RecentNames;
  readonly knownRequests: KnownRequests;
}

// Output above this pauses reading, so that a pipelining client that does not read its replies
// stops being served instead of growing our buffers.
const OUTPUT_HIGH_WATER_BYTES = 1024 * 1024;
// After QUIT or a protocol error the client should close; if it does not, we do.
const CLOSE_GRACE_MS = 5_000;
// Replies of one batch are written together; a batch growing past this is written early, so
// that a pipeline of large replies is not copied into one huge buffer.
const BATCH_WRITE_BYTES = 64 * 1024;

export class RespConnection implements Subscriber {
  private readonly parser = new RequestParser();
  private readonly ctx: CommandContext;
  private readonly authedLimits: ParserLimits;
  private readonly preAuthLimits: ParserLimits;
  // Replies to the commands of one read, written once the read is handled: one write for a
  // pipeline, and the usual single reply goes to the socket as is, without cork/uncork.
  private readonly batch: Buffer[] = [];
  private batchBytes = 0;
  private batching = false;
  private busy = false;
  private closing = false;
  private paused = false;
  private drainScheduled = false;
  private authTimer: NodeJS.Timeout | null = null;
  // Idleness, judged by the server's sweep (checkIdle) instead of socket.setTimeout: Node
  // re-arms a socket's timer on every read and every write, a timer-list update per request
  // that the hot command paid for. A flag costs nothing; the sweep reads it once a period.
  private activeSinceSweep = true;
  private idleSince = 0;

  constructor(
    private readonly socket: Socket,
    readonly session: Session,
    private readonly deps: ConnectionDeps,
  ) {
    this.ctx = {
      session,
      subscriber: this,
      source: deps.source,
      server: deps.server,
      hub: deps.hub,
      logger: deps.logger,
      maxSubscriptions: deps.limits.maxSubscriptions,
      addressReplies: deps.addressReplies,
      shardNames: deps.shardNames,
      knownRequests: deps.knownRequests,
      reply: (reply) => this.send(reply),
      closeAfterReplies: () => this.endGracefully(),
    };
    const l = deps.limits;
    this.authedLimits = {
      maxArgs: l.maxArgs,
      maxBulkBytes: l.maxBulkBytes,
      maxCommandBytes: l.maxCommandBytes,
      unauthenticated: false,
    };
    this.preAuthLimits = {
      maxArgs: l.preAuthMaxArgs,
      maxBulkBytes: l.preAuthMaxBulkBytes,
      maxCommandBytes: l.maxCommandBytes,
      unauthenticated: true,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.activeSinceSweep = true;
      this.updateFlow();
    });
    socket.on('error', (err) =>
      deps.logger.debug({ clientId: session.id, err: err.message }, 'RESP client socket error'),
    );
    socket.on('close', () => {
      deps.hub.forget(this);
      this.setAuthDeadline(false);
    });
    this.setAuthDeadline(!session.authenticated);
  }

  /** Pub/sub delivery from the hub. */
  deliver(reply: Reply): void {
    this.send(reply);
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  /** Redis's tighter caps before AUTH; looked up per command, as AUTH can come mid-pipeline. */
  private limits(): ParserLimits {
    return this.session.authenticated ? this.authedLimits : this.preAuthLimits;
  }

  /**
   * Called by the server every sweep period with its clock: closes the connection once it has
   * seen no read and no write for idleTimeoutMs (give or take one period), in both directions
   * as Node's socket timeout measured it.
   */
  checkIdle(now: number): void {
    const limit = this.deps.limits.idleTimeoutMs;
    if (limit <= 0 || this.closing) return;
    if (this.activeSinceSweep) {
      this.activeSinceSweep = false;
      this.idleSince = now;
      return;
    }
    if (now - this.idleSince >= limit) this.onIdle();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.activeSinceSweep = true;
    this.deps.server.stats.netInputBytes += chunk.length;
    this.parser.push(chunk);
    if (this.parser.bufferedBytes > this.deps.limits.maxInputBytes) {
      return this.protocolFailure('too big request');
    }
    this.drain();
  }

  /** Runs every complete command received, until one must be waited for. */
  private drain(): void {
    this.batching = true;
    // A pipeline repeats one request: answered once per read, the answer then reused. Nothing
    // changes the topology or the leader's freshness while this loop runs (no I/O in between).
    let lastKnown: KnownRequest | null = null;
    let lastReply: Reply = NULL_ARRAY;
    try {
      while (!this.busy && !this.closing) {
        const known = this.knownRequest();
        if (known !== null) {
          this.deps.server.stats.commandsProcessed++;
          if (known !== lastKnown) {
            lastKnown = known;
            lastReply = this.answerKnown(known);
          }
          this.send(lastReply);
          continue;
        }
        const result = this.parser.next(this.limits());
        if (result.kind === 'incomplete') break;
        if (result.kind === 'error') return this.protocolFailure(result.message);
        this.run(result.args);
      }
    } finally {
      this.batching = false;
      this.writeBatch();
    }
    this.updateFlow();
  }

  /**
   * A learned GET-MASTER-ADDR-BY-NAME at the start of the unparsed bytes, consumed; null when
   * there is none or when the command would not simply be answered here (before AUTH, where
   * dispatch answers NOAUTH; in subscribed mode, where it answers an error).
   */
  private knownRequest(): KnownRequest | null {
    const known = this.deps.knownRequests;
    if (known.size === 0 || !this.session.authenticated || this.session.subscriptions > 0) return null;
    const at = this.parser.commandStart();
    if (at < 0) return null;
    const hit = known.match(this.parser.buffer, at);
    if (hit !== null) this.parser.consume(hit.bytes.length);
    return hit;
  }

  /** What dispatch would answer to this request, without parsing it. */
  private answerKnown(known: KnownRequest): Reply {
    try {
      return masterAddrReply(this.ctx, known.name) ?? NULL_ARRAY;
    } catch (err) {
      this.deps.logger.error({ err, clientId: this.session.id }, 'RESP command failed');
      return error('ERR internal error');
    }
  }

  private run(args: Buffer[]): void {
    this.deps.server.stats.commandsProcessed++;
    const before = this.session.authenticated;
    let pending: void | Promise<void>;
    try {
      pending = dispatch(this.ctx, args);
    } catch (err) {
      this.deps.logger.error({ err, clientId: this.session.id }, 'RESP command failed');
      this.send(error('ERR internal error'));
      return;
    }
    // AUTH starts the normal life of a connection; RESET can end it and restart the clock.
    if (before !== this.session.authenticated) this.setAuthDeadline(!this.session.authenticated);
    if (pending instanceof Promise) {
      this.busy = true;
      pending
        .catch((err: unknown) => {
          this.deps.logger.error({ err, clientId: this.session.id }, 'RESP command failed');
          this.send(error('ERR internal error'));
        })
        .finally(() => {
          this.busy = false;
          this.drain();
        });
    }
  }

  private send(reply: Reply): void {
    if (this.closing || this.socket.destroyed) return;
    if (reply.type === 'error') this.deps.server.stats.errorReplies++;
    const bytes = encode(reply, this.session.proto);
    this.deps.server.stats.netOutputBytes += bytes.length;
    if (this.batching) {
      this.batch.push(bytes);
      this.batchBytes += bytes.length;
      if (this.batchBytes >= BATCH_WRITE_BYTES) this.writeBatch();
      return;
    }
    // Outside a read (pub/sub messages, a FAILOVER that finished): at once.
    this.write(bytes);
    this.updateFlow();
  }

  private writeBatch(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    let bytes: Buffer;
    if (batch.length === 1) {
      bytes = batch.pop() as Buffer;
    } else {
      bytes = Buffer.concat(batch, this.batchBytes);
      batch.length = 0;
    }
    this.batchBytes = 0;
    if (!this.closing && !this.socket.destroyed) this.write(bytes);
  }

  private write(bytes: Buffer): void {
    this.activeSinceSweep = true;
    this.socket.write(bytes);
    if (this.socket.writableLength > this.deps.limits.maxOutputBytes) {
      this.deps.logger.warn(
        { clientId: this.session.id, client: this.session.remote, bytes: this.socket.writableLength },
        'closing RESP client: output buffer limit reached (client does not read)',
      );
      this.destroy();
    }
  }

  /** Pauses reading while a command is awaited or the client is not reading its replies. */
  private updateFlow(): void {
    if (this.closing) return;
    const shouldPause = this.busy || this.socket.writableLength > OUTPUT_HIGH_WATER_BYTES;
    if (shouldPause === this.paused) return;
    this.paused = shouldPause;
    if (shouldPause) {
      this.socket.pause();
    } else {
      this.socket.resume();
      this.drainLater();
    }
  }

  /** Commands may have waited in the parser while paused; run them from a fresh stack. */
  private drainLater(): void {
    if (this.drainScheduled || this.parser.bufferedBytes === 0) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Redis writes the protocol error, then closes the connection. */
  private protocolFailure(detail: string): void {
    this.deps.logger.debug(
      { clientId: this.session.id, client: this.session.remote, detail },
      'RESP protocol error',
    );
    this.send(error(protocolError(detail)));
    this.endGracefully();
  }

  private endGracefully(): void {
    if (this.closing) return;
    this.writeBatch(); // the replies so far (QUIT's OK, the protocol error) go before the FIN
    this.closing = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** An unauthenticated connection gets a fixed time to authenticate, however busy it is. */
  private setAuthDeadline(on: boolean): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const ms = this.deps.limits.authTimeoutMs;
    if (!on || ms <= 0 || this.closing) return;
    this.authTimer = setTimeout(() => {
      this.deps.logger.debug(
        { clientId: this.session.id, client: this.session.remote },
        'closing RESP client: no AUTH in time',
      );
      this.destroy();
    }, ms);
    this.authTimer.unref();
  }

  private onIdle(): void {
    // Subscribers wait for events for as long as they like, as in Redis; a client waiting for
    // its FAILOVER reply is not idle either.
    if (this.session.subscriptions > 0 || this.busy) return;
    this.deps.logger.debug(
      { clientId: this.session.id, client: this.session.remote },
      'closing idle RESP client',
    );
    this.destroy();
  }
}
