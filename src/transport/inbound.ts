// One accepted connection: the listener's side of the handshake, then read-only traffic.
// Until the dialer has proved itself (hello, then hello-auth) the frame cap is small, so an
// unauthenticated client cannot make the node hold a snapshot-sized buffer, and no frame of it
// reaches the node.
import type { Socket } from 'node:net';
import type { NodeId } from '../raft/types.js';
import type { Logger } from '../util/log.js';
import { remoteOf } from './address.js';
import { FramedConnection } from './connection.js';
import {
  encodeEnvelopeFrame,
  KIND_HELLO,
  KIND_HELLO_AUTH,
  KIND_HELLO_OK,
  KIND_HELLO_REJECT,
  type Envelope,
} from './envelope.js';
import {
  checkHello,
  PROTOCOL_VERSION,
  readHelloAuth,
  type HandshakeRejectReason,
  type HelloBody,
  type HelloOkBody,
  type OwnHello,
} from './handshake.js';
import { judgeProof, newNonce, proofOf, type Transcript } from './peer-auth.js';

const HANDSHAKE_KINDS: ReadonlySet<string> = new Set([
  KIND_HELLO,
  KIND_HELLO_OK,
  KIND_HELLO_REJECT,
  KIND_HELLO_AUTH,
]);

/** What an inbound connection needs from the transport that accepted it. */
export interface InboundHost {
  readonly cluster: string;
  readonly nodeId: NodeId;
  /** Sent back as hello-ok, with a fresh nonce and the proof. */
  readonly hello: OwnHello;
  /** The cluster secret (peerAuth), or null. */
  readonly secret: Uint8Array | null;
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
  /** Between hello-ok and hello-auth: the dialer's hello and the transcript to check its proof on. */
  #pending: { hello: HelloBody; transcript: Transcript } | null = null;
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

  /** The node id the peer proved in its handshake; null until then. */
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
    if (peerId === null) return this.#pending === null ? this.#handshake(envelope) : this.#auth(envelope);
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
    if (!check.ok) return this.#reject(check.reason, check.detail);
    const transcript: Transcript = {
      cluster: host.cluster,
      dialerId: check.hello.nodeId,
      listenerId: host.nodeId,
      dialerNonce: check.hello.nonce,
      listenerNonce: newNonce(),
    };
    const ok: HelloOkBody = {
      ...host.hello,
      nonce: transcript.listenerNonce,
      proof: host.secret === null ? null : proofOf(host.secret, 'listener', transcript),
    };
    this.#pending = { hello: check.hello, transcript };
    this.#conn.write(encodeEnvelopeFrame(KIND_HELLO_OK, ok));
  }

  /** The dialer's proof: only now is its node id accepted and its frames heard. */
  #auth(envelope: Envelope): void {
    const host = this.#host;
    const pending = this.#pending as { hello: HelloBody; transcript: Transcript };
    if (envelope.kind !== KIND_HELLO_AUTH)
      return this.#reject('bad-hello', `${envelope.kind} frame before hello-auth`);
    const auth = readHelloAuth(envelope.body);
    if (!auth.ok) return this.#reject('bad-hello', auth.reason);
    const judged = judgeProof(host.secret, 'dialer', pending.transcript, auth.value.proof);
    if (!judged.ok) return this.#reject(judged.reason, judged.detail, pending.hello.nodeId);
    this.#clearTimer();
    this.#pending = null;
    this.#peerId = pending.hello.nodeId;
    this.#conn.setMaxFrameBytes(host.maxFrameBytes);
    host.accepted(this, pending.hello);
  }

  #reject(reason: HandshakeRejectReason, detail: string, claimed?: NodeId): void {
    this.#host.rejected(this.remote, reason, { detail, ...(claimed ? { claimed } : {}) });
    const reject = encodeEnvelopeFrame(KIND_HELLO_REJECT, { reason, version: PROTOCOL_VERSION });
    this.#conn.closeWith(reject, reason);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
