// A hand-driven peer for the security tests: a plain TCP socket on loopback that speaks the
// peer handshake (docs/design.md 2, "Peer transport") with whatever node id it is told to claim,
// and proves a cluster secret only if it is given one, then sends envelopes of any kind. It is
// what an outsider who can reach a Raft port could do.
import { connect, type Socket } from 'node:net';
import { decodeEnvelope, encodeEnvelopeFrame, type Envelope } from '../../src/transport/envelope.js';
import { FrameDecoder } from '../../src/transport/frame.js';
import { PROTOCOL_VERSION } from '../../src/transport/handshake.js';
import { newNonce, proofOf } from '../../src/transport/peer-auth.js';
import { waitFor } from './wait.js';

export interface RawPeerOptions {
  readonly address: string;
  readonly cluster: string;
  /** The node id it claims. */
  readonly nodeId: string;
  /** The node id of the listener (the proof names it). */
  readonly listenerId: string;
  /** The secret it proves; absent: it sends no proof. */
  readonly secret?: string;
}

export class RawPeer {
  readonly received: Envelope[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 20);

  private constructor(
    private readonly socket: Socket,
    private readonly options: RawPeerOptions,
    private readonly nonce: string,
  ) {
    socket.on('data', (chunk: Uint8Array) => {
      for (const frame of this.decoder.push(chunk).frames) {
        const e = decodeEnvelope(frame);
        if (e.ok) this.onEnvelope(e.value);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects and sends `hello`; answers a hello-ok with hello-auth at once. */
  static async open(options: RawPeerOptions): Promise<RawPeer> {
    const [host, port] = options.address.split(':');
    const socket = connect({ host, port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawPeer(socket, options, newNonce());
    peer.send('hello', {
      version: PROTOCOL_VERSION,
      cluster: options.cluster,
      nodeId: options.nodeId,
      addresses: { raft: '127.0.0.1:1', http: '', sentinel: '' },
      nonce: peer.nonce,
    });
    return peer;
  }

  /** The listener's first answer: `hello-ok` or `hello-reject` (then the socket closes). */
  async handshake(timeoutMs = 5000): Promise<Envelope> {
    return waitFor('the listener answers the hello', () => this.received[0], { timeoutMs, intervalMs: 10 });
  }

  send(kind: string, body: unknown): void {
    this.socket.write(encodeEnvelopeFrame(kind, body));
  }

  /** Our end, `host:port`, as the listener's log names the remote. */
  get local(): string {
    return `${this.socket.localAddress}:${this.socket.localPort}`;
  }

  close(): void {
    this.socket.destroy();
  }

  private onEnvelope(envelope: Envelope): void {
    this.received.push(envelope);
    if (envelope.kind !== 'hello-ok' || this.received.length !== 1) return;
    const o = this.options;
    const transcript = {
      cluster: o.cluster,
      dialerId: o.nodeId,
      listenerId: o.listenerId,
      dialerNonce: this.nonce,
      listenerNonce: String((envelope.body as { nonce?: unknown }).nonce),
    };
    const proof = o.secret === undefined ? null : proofOf(Buffer.from(o.secret), 'dialer', transcript);
    this.send('hello-auth', { proof });
  }
}
