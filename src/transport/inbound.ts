// One accepted connection: the listener's side of the handshake, then read-only traffic.
// Until the hello is accepted the frame cap is small, so an unauthenticated client cannot
// make the node hold a snapshot-sized buffer.
import type { Socket } from 'node:net';
import type { NodeId } from '../raft/types.js';
import type { Logger } from '../util/log.js';
import { remoteOf } from './address.js';
import { FramedConnection } from './connection.js';
import {
  encodeEnvelopeFrame,
  KIND_HELLO,
  KIND_HELLO_OK,
  KIND_HELLO_REJECT,
  type Envelope,
} from './envelope.js';
import { checkHello, PROTOCOL_VERSION, type HelloBody } from './handshake.js';

const HANDSHAKE_KINDS: ReadonlySet<string> = new Set([KIND_HELLO, KIND_HELLO_OK, KIND_HELLO_REJECT]);

/** What an inbound connection needs from the transport that accepted it. */
export interface InboundHost {
  readonly cluster: string;
  readonly nodeId: NodeId;
  /** Sent back as hello-ok. */
  readonly hello: HelloBody;
  readonly maxFrameBytes: number;
  readonly handshakeMaxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly logger: Logger;
  rejected(remote: string, reason: string, details: Record<string, unknown>): void;
  accepted(connection: InboundConnection, hello: HelloBody): void;
  /** Every envelope after the handshake, handshake kinds excluded. */
  envelope(connection: InboundConnection, from: NodeId, envelope: Envelope): void;
  closed(connection: InboundConnection, reason: string | null): void;
}

export class InboundConnection {
  readonly remote: string;
  readonly #conn: FramedConnection;
  readonly #host: InboundHost;
  #peerId: NodeId | null = null;
  #timer: NodeJS.Timeout | null;

  constructor(socket: Socket, host: InboundHost) {
    this.remote = remoteOf(socket);
    this.#host = host;
    socket.setNoDelay(true);
    this.#conn = new FramedConnection(
      socket,
      {
        maxFrameBytes: Math.min(host.handshakeMaxFrameBytes, host.maxFrameBytes),
        remote: this.remote,
        logger: host.logger,
      },
      {
        onEnvelope: (envelope) => this.#onEnvelope(envelope),
        onClose: (reason) => {
          this.#clearTimer();
          this.#host.closed(this, reason);
        },
      },
    );
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#host.rejected(this.remote, 'handshake-timeout', {});
      this.#conn.close('handshake timed out');
    }, host.handshakeTimeoutMs).unref();
  }

  /** The node id the peer proved in its hello; null until then. */
  get peerId(): NodeId | null {
    return this.#peerId;
  }

  fail(reason: string, details: Record<string, unknown> = {}): void {
    this.#conn.fail(reason, { peer: this.#peerId, ...details });
  }

  close(reason: string): void {
    this.#conn.close(reason);
  }

  #onEnvelope(envelope: Envelope): void {
    const peerId = this.#peerId;
    if (peerId === null) return this.#handshake(envelope);
    if (HANDSHAKE_KINDS.has(envelope.kind)) return this.fail(`${envelope.kind} frame after the handshake`);
    this.#host.envelope(this, peerId, envelope);
  }

  #handshake(envelope: Envelope): void {
    const host = this.#host;
    const check =
      envelope.kind === KIND_HELLO
        ? checkHello(envelope.body, { cluster: host.cluster, nodeId: host.nodeId })
        : ({
            ok: false,
            reason: 'bad-hello',
            detail: `first frame is ${envelope.kind}, expected hello`,
          } as const);
    if (!check.ok) {
      host.rejected(this.remote, check.reason, { detail: check.detail });
      const reject = encodeEnvelopeFrame(KIND_HELLO_REJECT, {
        reason: check.reason,
        version: PROTOCOL_VERSION,
      });
      return this.#conn.closeWith(reject, check.reason);
    }
    this.#clearTimer();
    this.#peerId = check.hello.nodeId;
    this.#conn.setMaxFrameBytes(host.maxFrameBytes);
    this.#conn.write(encodeEnvelopeFrame(KIND_HELLO_OK, host.hello));
    host.accepted(this, check.hello);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
