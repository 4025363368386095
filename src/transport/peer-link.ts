// The one outgoing connection to one peer: dial, handshake, send; on loss, redial with
// exponential backoff for as long as the peer is a member. Incoming connections are read-only
// (see inbound.ts), so each direction of traffic has exactly one socket and no dial races.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { NodeId } from '../raft/types.js';
import type { Logger } from '../util/log.js';
import type { HostPort } from './address.js';
import { FramedConnection } from './connection.js';
import {
  encodeEnvelopeFrame,
  KIND_HELLO,
  KIND_HELLO_AUTH,
  KIND_HELLO_OK,
  KIND_HELLO_REJECT,
  type Envelope,
} from './envelope.js';
import { checkHelloOk, readRejectReason, type HelloBody, type OwnHello } from './handshake.js';
import { judgeProof, newNonce, proofOf, type Transcript } from './peer-auth.js';
import type { LogThrottle } from './log-throttle.js';
import type { TlsMaterial } from './tls.js';

/** connecting/handshaking queue what is sent; backoff drops it (Raft retries); stopped is final. */
export type LinkState = 'connecting' | 'handshaking' | 'open' | 'backoff' | 'stopped';

const KEEPALIVE_MS = 10_000;

export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface QueueSettings {
  readonly maxFrames: number;
  readonly maxBytes: number;
}

export interface LinkSettings {
  readonly cluster: string;
  /** Our own hello, sent first on every connection with a fresh nonce. */
  readonly hello: OwnHello;
  /** The cluster secret (peerAuth), or null. */
  readonly secret: Uint8Array | null;
  readonly sourceAddress: string | null;
  readonly tls: TlsMaterial | null;
  /** Covers TCP connect, TLS and the hello exchange together. */
  readonly handshakeTimeoutMs: number;
  readonly handshakeMaxFrameBytes: number;
  readonly backoff: BackoffSettings;
  readonly queue: QueueSettings;
  /** Cap on bytes waiting in the socket while open: past it, frames are dropped, not buffered. */
  readonly maxBufferedBytes: number;
  readonly random: () => number;
  readonly logger: Logger;
  readonly throttle: LogThrottle;
}

export interface LinkEvents {
  onOpen(peerId: NodeId, hello: HelloBody, remote: string): void;
}

/** Delay before redial number `attempt` (0-based): doubling, capped, with "equal jitter". */
export function backoffDelayMs(attempt: number, backoff: BackoffSettings, random: () => number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return base / 2 + (random() * base) / 2;
}

// tls.connect passes localAddress on to net.connect, but this @types/node release omits it.
type DialOptions = ConnectionOptions & { localAddress?: string };

function tlsOptions(
  host: string,
  port: number,
  localAddress: string | undefined,
  tls: TlsMaterial,
): DialOptions {
  return {
    host,
    port,
    localAddress,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    // Peers are authenticated by the cluster CA and identified by the handshake's node id
    // check; their addresses are often bare IPs or NAT names absent from their certificates.
    checkServerIdentity: () => undefined,
  };
}

export class PeerLink {
  readonly peerId: NodeId;
  /** The address as the membership states it; a change means a new link. */
  readonly address: string;
  readonly #target: HostPort;
  readonly #settings: LinkSettings;
  readonly #events: LinkEvents;
  #state: LinkState = 'backoff';
  #conn: FramedConnection | null = null;
  /** The nonce of the hello on the current connection. */
  #nonce = '';
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #queue: Uint8Array[] = [];
  #queueBytes = 0;

  constructor(peerId: NodeId, address: string, target: HostPort, settings: LinkSettings, events: LinkEvents) {
    this.peerId = peerId;
    this.address = address;
    this.#target = target;
    this.#settings = settings;
    this.#events = events;
  }

  get state(): LinkState {
    return this.#state;
  }

  start(): void {
    if (this.#state === 'backoff' && this.#conn === null && this.#timer === null) this.#connect();
  }

  stop(): void {
    this.#state = 'stopped';
    this.#clearTimer();
    this.#clearQueue();
    const conn = this.#conn;
    this.#conn = null;
    conn?.close('link stopped');
  }

  /** Writes or queues a whole frame; false when it was dropped. */
  send(frame: Uint8Array): boolean {
    switch (this.#state) {
      case 'open': {
        const conn = this.#conn as FramedConnection;
        if (conn.writableLength + frame.length > this.#settings.maxBufferedBytes)
          return this.#dropped('send buffer full');
        return conn.write(frame);
      }
      case 'connecting':
      case 'handshaking':
        return this.#enqueue(frame);
      case 'backoff':
      case 'stopped':
        return false;
    }
  }

  #connect(): void {
    const { sourceAddress, tls, handshakeTimeoutMs, handshakeMaxFrameBytes, logger } = this.#settings;
    this.#state = 'connecting';
    const { host, port } = this.#target;
    const localAddress = sourceAddress ?? undefined;
    const socket: Socket = tls
      ? tlsConnect(tlsOptions(host, port, localAddress, tls))
      : netConnect({ host, port, localAddress });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const conn = new FramedConnection(
      socket,
      { maxFrameBytes: handshakeMaxFrameBytes, remote: this.address, logger },
      {
        onEnvelope: (envelope) => this.#onEnvelope(conn, envelope),
        onClose: (reason) => this.#onClose(conn, reason),
      },
    );
    this.#conn = conn;
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      if (this.#conn !== conn || this.#state !== 'connecting') return;
      this.#state = 'handshaking';
      this.#nonce = newNonce();
      conn.write(encodeEnvelopeFrame(KIND_HELLO, { ...this.#settings.hello, nonce: this.#nonce }));
    });
    this.#timer = setTimeout(() => conn.close('handshake timed out'), handshakeTimeoutMs).unref();
  }

  #onEnvelope(conn: FramedConnection, envelope: Envelope): void {
    if (this.#conn !== conn) return;
    // A hello-reject may also come right after our hello-auth, when the peer refused our proof.
    if (envelope.kind === KIND_HELLO_REJECT) {
      const reason = readRejectReason(envelope.body);
      this.#warnRejected(`rejected by peer: ${reason}`, conn.remote, {});
      return conn.close(`rejected by peer: ${reason}`);
    }
    if (this.#state !== 'handshaking')
      return conn.fail(`unexpected ${envelope.kind} frame on an outgoing connection`);
    if (envelope.kind !== KIND_HELLO_OK) return conn.fail(`expected hello-ok, got ${envelope.kind}`);
    const check = checkHelloOk(envelope.body, { cluster: this.#settings.cluster, nodeId: this.peerId });
    if (!check.ok) {
      this.#warnRejected(check.reason, conn.remote, { detail: check.detail });
      return conn.close(check.reason);
    }
    const { secret, cluster, hello } = this.#settings;
    const transcript: Transcript = {
      cluster,
      dialerId: hello.nodeId,
      listenerId: this.peerId,
      dialerNonce: this.#nonce,
      listenerNonce: check.hello.nonce,
    };
    const judged = judgeProof(secret, 'listener', transcript, check.hello.proof);
    if (!judged.ok) {
      this.#warnRejected(judged.reason, conn.remote, { detail: judged.detail });
      return conn.close(judged.reason);
    }
    // Our proof goes first; whatever was queued follows it on the same ordered stream.
    conn.write(
      encodeEnvelopeFrame(KIND_HELLO_AUTH, {
        proof: secret === null ? null : proofOf(secret, 'dialer', transcript),
      }),
    );
    this.#clearTimer();
    this.#state = 'open';
    this.#attempt = 0;
    const queued = this.#queue;
    this.#clearQueue();
    for (const frame of queued) conn.write(frame);
    this.#settings.logger.info({
      event: 'peer-up',
      peer: this.peerId,
      remote: conn.remote,
      flushed: queued.length,
    });
    this.#events.onOpen(this.peerId, check.hello, conn.remote);
  }

  #onClose(conn: FramedConnection, reason: string | null): void {
    if (this.#conn !== conn) return;
    this.#conn = null;
    this.#clearTimer();
    this.#clearQueue();
    const wasOpen = this.#state === 'open';
    const { logger, throttle } = this.#settings;
    const why = reason ?? 'closed by peer';
    if (wasOpen) {
      logger.info({ event: 'peer-down', peer: this.peerId, remote: conn.remote, reason: why });
    } else if (throttle.allow(`connect|${this.peerId}|${why}`)) {
      logger.info({ event: 'peer-connect-failed', peer: this.peerId, remote: conn.remote, reason: why });
    }
    const delay = backoffDelayMs(this.#attempt, this.#settings.backoff, this.#settings.random);
    this.#attempt += 1;
    this.#state = 'backoff';
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect();
    }, delay).unref();
  }

  #warnRejected(reason: string, remote: string, details: Record<string, unknown>): void {
    const { logger, throttle } = this.#settings;
    const line = {
      event: 'peer-rejected',
      direction: 'outbound',
      peer: this.peerId,
      reason,
      remote,
      ...details,
    };
    if (throttle.allow(`rejected|${this.peerId}|${reason}`)) logger.warn(line);
    else logger.debug(line);
  }

  #enqueue(frame: Uint8Array): boolean {
    const { maxFrames, maxBytes } = this.#settings.queue;
    this.#queue.push(frame);
    this.#queueBytes += frame.length;
    // Oldest first: for Raft the newest message supersedes the older ones anyway.
    while (this.#queue.length > maxFrames || this.#queueBytes > maxBytes) {
      const dropped = this.#queue.shift() as Uint8Array;
      this.#queueBytes -= dropped.length;
      if (dropped === frame) return this.#dropped('frame larger than the connect queue');
    }
    return true;
  }

  #dropped(reason: string): false {
    this.#settings.logger.debug({ event: 'peer-frame-dropped', peer: this.peerId, reason });
    return false;
  }

  #clearQueue(): void {
    this.#queue = [];
    this.#queueBytes = 0;
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
