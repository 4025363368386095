// Shared pieces of the transport tests: transports on loopback with a captured log, a raw
// socket that speaks (or breaks) the protocol, and polling with a hang guard.
import { connect, createServer, type Socket } from 'node:net';
import type { Message, NodeId } from '../../../src/raft/types.js';
import { createTcpTransport, type TcpTransport } from '../../../src/transport/index.js';
import { encodeEnvelopeFrame, decodeEnvelope, type Envelope } from '../../../src/transport/envelope.js';
import { FrameDecoder } from '../../../src/transport/frame.js';
import { PROTOCOL_VERSION } from '../../../src/transport/handshake.js';
import { newNonce, proofOf } from '../../../src/transport/peer-auth.js';
import type { TcpTransportOptions } from '../../../src/transport/options.js';
import { createLogger } from '../../../src/util/log.js';

export type LogLine = Record<string, unknown>;

/** A pino logger whose lines are kept, parsed, for assertions (pino's own `sink()` idea). */
export function captureLog(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

export function findLine(lines: readonly LogLine[], match: LogLine): LogLine | undefined {
  return lines.find((line) => Object.entries(match).every(([key, value]) => line[key] === value));
}

/** Polls until `check` holds. The deadline is a hang guard, not a speed claim. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface TestNode {
  readonly id: NodeId;
  readonly transport: TcpTransport;
  readonly inbox: Message[];
  readonly lines: LogLine[];
}

export const CLUSTER = 'test-cluster';
/** Fast redials keep the reconnect tests short. */
export const FAST_BACKOFF = { initialMs: 10, maxMs: 100 };

export async function startNode(
  id: NodeId,
  overrides: Partial<Omit<TcpTransportOptions, 'nodeId' | 'logger'>> = {},
): Promise<TestNode> {
  const { logger, lines } = captureLog();
  const transport = await createTcpTransport({
    cluster: CLUSTER,
    nodeId: id,
    listen: '127.0.0.1:0',
    advertise: { http: `http-of-${id}`, sentinel: `resp-of-${id}` },
    backoff: FAST_BACKOFF,
    ...overrides,
    logger,
  });
  const inbox: Message[] = [];
  transport.onMessage((message) => inbox.push(message));
  return { id, transport, inbox, lines };
}

/** Gives every node the same membership: each node's id mapped to its listen address. */
export function connectAll(nodes: readonly TestNode[]): void {
  const members = new Map(nodes.map((node) => [node.id, node.transport.address]));
  for (const node of nodes) node.transport.setMembers(members);
}

export function heartbeat(from: NodeId, to: NodeId, term = 1, commit = 0): Message {
  return { type: 'Heartbeat', from, to, term, commit, readCtx: 0, seq: 1 };
}

/** Sends `make(i)` every few ms until `until` holds: Raft-style retry over a best-effort transport. */
export async function sendUntil(
  what: string,
  send: (attempt: number) => void,
  until: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  let attempt = 0;
  await waitFor(
    what,
    () => {
      if (until()) return true;
      send(attempt++);
      return false;
    },
    timeoutMs,
  );
}

/** A port that was free a moment ago (for restarting a node on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A hand-driven client: sends bytes or envelopes, records what it gets back and when it closes. */
export class RawPeer {
  readonly socket: Socket;
  readonly received: Envelope[] = [];
  readonly closed: Promise<void>;
  #isClosed = false;
  readonly #decoder = new FrameDecoder();

  constructor(port: number, localAddress?: string) {
    this.socket = connect({ host: '127.0.0.1', port, localAddress });
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

  /**
   * Says hello as `nodeId` and waits for the answer; after a hello-ok, sends hello-auth with the
   * proof made from `secret` (null: no proof), as a dialer does (docs/design.md 2).
   */
  async hello(
    nodeId: NodeId,
    cluster = CLUSTER,
    version = PROTOCOL_VERSION,
    secret: Uint8Array | null = null,
    listenerId = 'n2',
  ): Promise<Envelope> {
    const nonce = newNonce();
    this.send('hello', {
      version,
      cluster,
      nodeId,
      addresses: { raft: 'x:1', http: '', sentinel: '' },
      nonce,
    });
    await waitFor('an answer to hello', () => this.received.length > 0 || this.isClosed);
    const answer = this.received[0];
    if (answer === undefined) throw new Error('closed without an answer');
    if (answer.kind === 'hello-ok') {
      const listenerNonce = String((answer.body as { nonce?: unknown }).nonce);
      const transcript = { cluster, dialerId: nodeId, listenerId, dialerNonce: nonce, listenerNonce };
      this.send('hello-auth', { proof: secret === null ? null : proofOf(secret, 'dialer', transcript) });
    }
    return answer;
  }
}
