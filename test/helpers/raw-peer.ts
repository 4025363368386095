// A hand-driven peer for the security tests: a plain TCP socket on loopback that speaks the
// peer handshake (docs/design.md 2, "Peer transport") with whatever node id it is told to claim,
// then sends envelopes of any kind. It is what an outsider who can reach a Raft port could do.
import { connect, type Socket } from 'node:net';
import { decodeEnvelope, encodeEnvelopeFrame, type Envelope } from '../../src/transport/envelope.js';
import { FrameDecoder } from '../../src/transport/frame.js';
import { PROTOCOL_VERSION } from '../../src/transport/handshake.js';
import { waitFor } from './wait.js';

export interface RawPeerOptions {
  readonly address: string;
  readonly cluster: string;
  /** The node id it claims. */
  readonly nodeId: string;
}

export class RawPeer {
  readonly received: Envelope[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 20);

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Uint8Array) => {
      for (const frame of this.decoder.push(chunk).frames) {
        const e = decodeEnvelope(frame);
        if (e.ok) this.received.push(e.value);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects and sends `hello`; `handshake()` waits for the listener's answer. */
  static async open(options: RawPeerOptions): Promise<RawPeer> {
    const [host, port] = options.address.split(':');
    const socket = connect({ host, port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawPeer(socket);
    peer.send('hello', {
      version: PROTOCOL_VERSION,
      cluster: options.cluster,
      nodeId: options.nodeId,
      addresses: { raft: '127.0.0.1:1', http: '', sentinel: '' },
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

  close(): void {
    this.socket.destroy();
  }
}
