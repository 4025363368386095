// The peer transport of a raftinel node: RaftTransport over TCP (optionally mutual TLS), plus
// a generic envelope channel for other kinds of peer traffic (probe observations, forwarded
// admin requests). Envelopes from ids outside the committed membership are dropped; Raft frames
// from them are delivered when allowUnknown says so (the node: always; docs/design.md 2).
import type { AddressInfo, Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Message, NodeId } from '../raft/types.js';
import type { RaftTransport } from '../runtime/ports.js';
import { RaftinelError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { formatHostPort, parseHostPort, remoteOf } from './address.js';
import { encodeEnvelopePayload, isValidKind, KIND_RAFT, RESERVED_KINDS, type Envelope } from './envelope.js';
import { encodeFrame } from './frame.js';
import type { HelloBody, OwnHello, PeerAddresses } from './handshake.js';
import { InboundConnection, type InboundHost } from './inbound.js';
import type { LogThrottle } from './log-throttle.js';
import { parseMessage } from './message-guard.js';
import type { TcpTransportOptions } from './options.js';
import { PeerLink, type LinkEvents, type LinkSettings } from './peer-link.js';

export interface PeerInfo {
  /** As the peer advertised them in its last handshake; null before any. */
  readonly addresses: PeerAddresses | null;
  /** True while our outgoing connection to it is open (we can send). */
  readonly connected: boolean;
  /** When a frame from it last arrived (options.now clock); null if never. */
  readonly lastContactMs: number | null;
  /** In the committed membership (setMembers); false for a connected stranger. */
  readonly member: boolean;
}

export interface PeerHello {
  readonly nodeId: NodeId;
  readonly addresses: PeerAddresses;
  /** inbound: it dialed us; outbound: we dialed it. */
  readonly direction: 'inbound' | 'outbound';
  readonly remote: string;
}

export type EnvelopeHandler = (from: NodeId, body: unknown) => void;

interface Known {
  addresses: PeerAddresses | null;
  lastContactMs: number | null;
}

/** Everything a transport needs once the listener is open; built by createTcpTransport. */
export interface ResolvedTransport {
  readonly options: TcpTransportOptions;
  readonly server: Server;
  readonly hello: OwnHello;
  readonly link: LinkSettings;
  readonly maxFrameBytes: number;
  readonly logger: Logger;
  readonly throttle: LogThrottle;
  readonly now: () => number;
}

/**
 * Handlers (onMessage, onEnvelope, onPeerHello) run synchronously on the socket's data event
 * and must not throw: an exception is not caught here, so a failing assertion still crashes.
 */
export class TcpTransport implements RaftTransport {
  readonly nodeId: NodeId;
  readonly cluster: string;
  /** The bound listen address, `host:port` (the real port when listening on port 0). */
  readonly address: string;
  /** What this node advertises in its handshakes. */
  readonly addresses: PeerAddresses;
  readonly #r: ResolvedTransport;
  readonly #links = new Map<NodeId, PeerLink>();
  readonly #inbound = new Set<InboundConnection>();
  readonly #sockets = new Set<Socket>();
  readonly #known = new Map<NodeId, Known>();
  readonly #messageHandlers: ((message: Message) => void)[] = [];
  readonly #envelopeHandlers = new Map<string, EnvelopeHandler>();
  readonly #helloHandlers: ((hello: PeerHello) => void)[] = [];
  readonly #allowUnknown: (nodeId: NodeId) => boolean;
  readonly #linkEvents: LinkEvents;
  #members: ReadonlyMap<NodeId, string> = new Map();
  #closed: Promise<void> | null = null;

  /** Use createTcpTransport (create.ts), which opens the listener first. */
  constructor(resolved: ResolvedTransport) {
    this.#r = resolved;
    const { options, hello, server } = resolved;
    this.nodeId = options.nodeId;
    this.cluster = options.cluster;
    this.addresses = hello.addresses;
    const bound = server.address() as AddressInfo;
    this.address = formatHostPort(bound.address, bound.port);
    this.#allowUnknown = options.allowUnknown ?? (() => false);
    this.#linkEvents = {
      onOpen: (peerId, peerHello, remote) => this.#hello(peerId, peerHello, 'outbound', remote),
    };
    const host = this.#inboundHost();
    const accept = (socket: Socket): void => void this.#inbound.add(new InboundConnection(socket, host));
    if (resolved.link.tls) {
      server.on('secureConnection', (socket: TLSSocket) => {
        // Mutual TLS: a client certificate that the cluster CA did not sign ends here, unread.
        if (!socket.authorized) {
          host.rejected(remoteOf(socket), 'tls-unauthorized', { detail: String(socket.authorizationError) });
          return void socket.destroy();
        }
        accept(socket);
      });
    } else {
      server.on('connection', accept);
    }
    // Track raw sockets too, so that close() also cuts connections still in their TLS handshake.
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('tlsClientError', (err: Error, socket: Socket) =>
      host.rejected(remoteOf(socket), 'tls-handshake-failed', { detail: err.message }),
    );
    server.on('error', (err: Error) => resolved.logger.error({ event: 'listener-error', err: err.message }));
  }

  send(message: Message): void {
    this.#sendTo(message.to, KIND_RAFT, message);
  }

  onMessage(handler: (message: Message) => void): void {
    this.#messageHandlers.push(handler);
  }

  /** Sends a non-Raft envelope to a member; false when it was dropped (not a member, not connected, too large). */
  sendEnvelope(to: NodeId, kind: string, body: unknown): boolean {
    checkCustomKind(kind);
    return this.#sendTo(to, kind, body);
  }

  /** One handler per kind (a second registration replaces the first). Bodies arrive unvalidated. */
  onEnvelope(kind: string, handler: EnvelopeHandler): void {
    checkCustomKind(kind);
    this.#envelopeHandlers.set(kind, handler);
  }

  onPeerHello(handler: (hello: PeerHello) => void): void {
    this.#helloHandlers.push(handler);
  }

  setMembers(members: ReadonlyMap<NodeId, string>): void {
    if (this.#closed) return;
    const changed = !sameMembers(this.#members, members);
    this.#members = new Map(members);
    for (const [id, link] of this.#links) {
      if (members.get(id) !== link.address) {
        link.stop();
        this.#links.delete(id);
      }
    }
    for (const [id, address] of members) {
      if (id === this.nodeId || this.#links.has(id)) continue;
      let target;
      try {
        target = parseHostPort(address);
      } catch {
        this.#r.logger.error({ event: 'bad-member-address', peer: id, address });
        continue;
      }
      const link = new PeerLink(id, address, target, this.#r.link, this.#linkEvents);
      this.#links.set(id, link);
      link.start();
    }
    this.#prune();
    if (changed) this.#r.logger.info({ event: 'members', members: Object.fromEntries(members) });
  }

  peers(): Map<NodeId, PeerInfo> {
    const ids = new Set([...this.#members.keys()]);
    for (const inbound of this.#inbound) if (inbound.peerId !== null) ids.add(inbound.peerId);
    ids.delete(this.nodeId);
    const out = new Map<NodeId, PeerInfo>();
    for (const id of ids) {
      const known = this.#known.get(id);
      out.set(id, {
        addresses: known?.addresses ?? null,
        connected: this.#links.get(id)?.state === 'open',
        lastContactMs: known?.lastContactMs ?? null,
        member: this.#members.has(id),
      });
    }
    return out;
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      for (const link of this.#links.values()) link.stop();
      this.#links.clear();
      for (const inbound of this.#inbound) inbound.close('transport closed');
      for (const socket of this.#sockets) socket.destroy();
      this.#r.server.close(() => resolve());
    });
    return this.#closed;
  }

  #sendTo(to: NodeId, kind: string, body: unknown): boolean {
    const link = this.#closed ? undefined : this.#links.get(to);
    if (link === undefined) return false;
    const payload = encodeEnvelopePayload(kind, body);
    if (payload.length > this.#r.maxFrameBytes) {
      this.#r.logger.warn({
        event: 'frame-too-large',
        kind,
        peer: to,
        bytes: payload.length,
        max: this.#r.maxFrameBytes,
      });
      return false;
    }
    return link.send(encodeFrame(payload));
  }

  // allowUnknown opens Raft traffic only (a fresh node learns its membership from the log);
  // other kinds (observations, forwarded admin requests) come from committed members alone.
  #admitted(nodeId: NodeId, kind: string): boolean {
    return this.#members.has(nodeId) || (kind === KIND_RAFT && this.#allowUnknown(nodeId));
  }

  #onEnvelope(connection: InboundConnection, from: NodeId, envelope: Envelope): void {
    const known = this.#known.get(from);
    if (known) known.lastContactMs = this.#r.now();
    if (envelope.kind === KIND_RAFT) return this.#onRaft(connection, from, envelope.body);
    const handler = this.#envelopeHandlers.get(envelope.kind);
    if (handler === undefined) {
      // Not a protocol error: a newer peer may speak kinds this node does not know yet.
      this.#r.logger.debug({
        event: 'peer-frame-dropped',
        peer: from,
        kind: envelope.kind,
        reason: 'no handler',
      });
    } else if (this.#gate(from, envelope.kind)) {
      handler(from, envelope.body);
    }
  }

  #onRaft(connection: InboundConnection, from: NodeId, body: unknown): void {
    const parsed = parseMessage(body);
    if (!parsed.ok) return connection.fail(`bad raft message: ${parsed.reason}`);
    const message = parsed.value;
    if (message.from !== from) return connection.fail(`raft message claims to be from "${message.from}"`);
    if (message.to !== this.nodeId) {
      this.#r.logger.debug({
        event: 'peer-frame-dropped',
        peer: from,
        to: message.to,
        reason: 'addressed elsewhere',
      });
      return;
    }
    if (!this.#gate(from, KIND_RAFT)) return;
    for (const handler of this.#messageHandlers) handler(message);
  }

  /** The membership gate of docs/design.md section 2, logged once a minute per stranger. */
  #gate(from: NodeId, kind: string): boolean {
    if (this.#admitted(from, kind)) return true;
    const line = { event: 'peer-frame-dropped', peer: from, kind, reason: 'not a member' };
    if (this.#r.throttle.allow(`stranger|${from}`)) this.#r.logger.info(line);
    else this.#r.logger.debug(line);
    return false;
  }

  #hello(nodeId: NodeId, hello: HelloBody, direction: PeerHello['direction'], remote: string): void {
    this.#known.set(nodeId, { addresses: hello.addresses, lastContactMs: this.#r.now() });
    const event: PeerHello = { nodeId, addresses: hello.addresses, direction, remote };
    for (const handler of this.#helloHandlers) handler(event);
  }

  /** Forgets strangers that are no longer connected, so #known stays bounded. */
  #prune(): void {
    const live = new Set<NodeId>();
    for (const inbound of this.#inbound) if (inbound.peerId !== null) live.add(inbound.peerId);
    for (const id of this.#known.keys()) if (!this.#members.has(id) && !live.has(id)) this.#known.delete(id);
  }

  #inboundHost(): InboundHost {
    const { options, hello, logger, throttle, maxFrameBytes, link } = this.#r;
    return {
      cluster: options.cluster,
      nodeId: options.nodeId,
      hello,
      secret: link.secret,
      maxFrameBytes,
      handshakeMaxFrameBytes: link.handshakeMaxFrameBytes,
      handshakeTimeoutMs: link.handshakeTimeoutMs,
      logger,
      rejected: (remote, reason, details) => {
        const line = { event: 'peer-rejected', direction: 'inbound', reason, remote, ...details };
        if (throttle.allow(`rejected|${remote.replace(/:\d+$/, '')}|${reason}`)) logger.warn(line);
        else logger.debug(line);
      },
      accepted: (connection, peerHello) => {
        logger.info({ event: 'peer-hello', peer: peerHello.nodeId, remote: connection.remote });
        this.#hello(peerHello.nodeId, peerHello, 'inbound', connection.remote);
      },
      envelope: (connection, from, envelope) => this.#onEnvelope(connection, from, envelope),
      closed: (connection, reason) => {
        const peer = connection.peerId;
        logger.debug({
          event: 'peer-inbound-closed',
          peer,
          remote: connection.remote,
          reason: reason ?? 'closed by peer',
        });
        this.#inbound.delete(connection);
        this.#prune();
      },
    };
  }
}

function checkCustomKind(kind: string): void {
  if (!isValidKind(kind) || RESERVED_KINDS.has(kind)) {
    throw new RaftinelError('bad_envelope_kind', `"${kind}" is reserved or not a valid envelope kind`, {
      kind,
    });
  }
}

function sameMembers(a: ReadonlyMap<NodeId, string>, b: ReadonlyMap<NodeId, string>): boolean {
  return a.size === b.size && [...a].every(([id, address]) => b.get(id) === address);
}
