// A hand-driven peer for the transport and security tests: a plain TCP socket on loopback that
// speaks the peer handshake (docs/design.md 2, "Peer transport") with whatever node id it is
// told to claim, proves a cluster secret only if it is given one, and then sends envelopes of
// any kind or raw bytes. It is what an outsider who can reach a Raft port could do.
import { connect, type Socket } from 'node:net';
import { decodeEnvelope, encodeEnvelopeFrame, type Envelope } from '../../src/transport/envelope.js';
import { FrameDecoder } from '../../src/transport/frame.js';
import { PROTOCOL_VERSION } from '../../src/transport/handshake.js';
import { newNonce, proofOf } from '../../src/transport/peer-auth.js';
import { waitFor } from './wait.js';

export interface RawPeerTarget {
  /** The listener's Raft address, `host:port`. */
  readonly address: string;
  readonly cluster: string;
  /** The node id of the listener (the proof names it). */
  readonly listenerId: string;
}

export interface HelloOptions {
  /** The secret it proves; null or absent: it sends no proof. */
  readonly secret?: Uint8Array | null;
  readonly version?: number;
}

/** Records what it gets back and when the listener closes the connection. */
export class RawPeer {
  readonly socket: Socket;
  readonly received: Envelope[] = [];
  readonly closed: Promise<void>;
  #isClosed = false;
  readonly #decoder = new FrameDecoder();

  constructor(private readonly target: RawPeerTarget) {
    const [host, port] = target.address.split(':');
    this.socket = connect({ host, port: Number(port) });
    this.socket.on('data', (chunk: Uint8Array) => {
      for (const frame of this.#decoder.push(chunk).frames) {
        const envelope = decodeEnvelope(frame);
        if (envelope.ok) this.received.push(envelope.value);
      }
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.#isClosed = true;
        resolve();
      }),
    );
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  send(kind: string, body: unknown): void {
    this.socket.write(encodeEnvelopeFrame(kind, body));
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  /**
   * Says hello as `nodeId` and waits for the listener's first answer (hello-ok, or hello-reject
   * and the socket closes); after a hello-ok, sends hello-auth with the proof made from the
   * secret (none: a null proof), as a dialer does (docs/design.md 2).
   */
  async hello(nodeId: string, options: HelloOptions = {}): Promise<Envelope> {
    const { cluster, listenerId } = this.target;
    const nonce = newNonce();
    this.send('hello', {
      version: options.version ?? PROTOCOL_VERSION,
      cluster,
      nodeId,
      addresses: { raft: '127.0.0.1:1', http: '', sentinel: '' },
      nonce,
    });
    await waitFor(
      'an answer to hello',
      () => (this.received.length > 0 || this.isClosed ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 5,
      },
    );
    const answer = this.received[0];
    if (answer === undefined) throw new Error('closed without an answer');
    if (answer.kind === 'hello-ok') {
      const listenerNonce = String((answer.body as { nonce?: unknown }).nonce);
      const transcript = { cluster, dialerId: nodeId, listenerId, dialerNonce: nonce, listenerNonce };
      const secret = options.secret ?? null;
      this.send('hello-auth', { proof: secret === null ? null : proofOf(secret, 'dialer', transcript) });
    }
    return answer;
  }
}
