// Builds a TcpTransport: options checked and defaulted, TLS material loaded, listener open.
import { isIP, type AddressInfo } from 'node:net';
import { RaftinelError } from '../util/errors.js';
import { formatHostPort, parseHostPort } from './address.js';
import { MAX_FRAME_BYTES_LIMIT } from './frame.js';
import { MAX_IDENT_LENGTH, PROTOCOL_VERSION, type OwnHello } from './handshake.js';
import { MIN_SECRET_BYTES } from './peer-auth.js';
import { openListener } from './listener.js';
import { LogThrottle } from './log-throttle.js';
import { TRANSPORT_DEFAULTS, type TcpTransportOptions } from './options.js';
import type { LinkSettings } from './peer-link.js';
import { TcpTransport } from './tcp-transport.js';
import { loadTlsMaterial } from './tls.js';

function checkOptions(options: TcpTransportOptions, maxFrameBytes: number): void {
  const problems: string[] = [];
  // Peers refuse a hello whose ids are empty or longer than this (handshake.ts).
  if (options.cluster.length === 0 || options.cluster.length > MAX_IDENT_LENGTH) {
    problems.push(`cluster must have 1 to ${MAX_IDENT_LENGTH} characters`);
  }
  if (options.nodeId.length === 0 || options.nodeId.length > MAX_IDENT_LENGTH) {
    problems.push(`nodeId must have 1 to ${MAX_IDENT_LENGTH} characters`);
  }
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1024 || maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
    problems.push(`maxFrameBytes must be an integer from 1024 to ${MAX_FRAME_BYTES_LIMIT}`);
  }
  const secret = options.secret;
  if (secret != null && secret.length < MIN_SECRET_BYTES)
    problems.push(`the cluster secret must have at least ${MIN_SECRET_BYTES} bytes`);
  const source = options.sourceAddress;
  if (source != null && isIP(source) === 0) problems.push(`sourceAddress "${source}" is not an IP address`);
  if (problems.length > 0)
    throw new RaftinelError('bad_transport_options', problems.join('; '), { problems });
}

/** Opens the listener and resolves once it listens; a port in use rejects with code listen_failed. */
export async function createTcpTransport(options: TcpTransportOptions): Promise<TcpTransport> {
  const d = TRANSPORT_DEFAULTS;
  const maxFrameBytes = options.maxFrameBytes ?? d.maxFrameBytes;
  checkOptions(options, maxFrameBytes);
  const target = parseHostPort(options.listen);
  const tls = options.tls ? await loadTlsMaterial(options.tls) : null;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? d.handshakeTimeoutMs;
  const maxConnections = options.maxConnections ?? d.maxConnections;
  const server = await openListener({ target, tls, handshakeTimeoutMs, maxConnections });
  const bound = server.address() as AddressInfo;
  const hello: OwnHello = {
    version: PROTOCOL_VERSION,
    cluster: options.cluster,
    nodeId: options.nodeId,
    addresses: {
      raft: options.advertise?.raft ?? formatHostPort(bound.address, bound.port),
      http: options.advertise?.http ?? '',
      sentinel: options.advertise?.sentinel ?? '',
    },
  };
  const logger = options.logger.child({ component: 'transport' });
  const now = options.now ?? Date.now;
  const throttle = new LogThrottle(now);
  const queue = options.queue ?? d.queue;
  const link: LinkSettings = {
    cluster: options.cluster,
    hello,
    secret: options.secret ?? null,
    sourceAddress: options.sourceAddress ?? null,
    tls,
    handshakeTimeoutMs,
    handshakeMaxFrameBytes: Math.min(d.handshakeMaxFrameBytes, maxFrameBytes),
    backoff: options.backoff ?? d.backoff,
    queue,
    // A whole snapshot frame must fit on top of what an ordinary burst leaves in the buffer.
    maxBufferedBytes: maxFrameBytes + queue.maxBytes,
    random: options.random ?? Math.random,
    logger,
    throttle,
  };
  logger.info({
    event: 'listening',
    address: formatHostPort(bound.address, bound.port),
    tls: tls !== null,
    peerAuth: options.secret != null ? 'secret' : tls !== null ? 'tls' : 'none',
  });
  return new TcpTransport({ options, server, hello, link, maxFrameBytes, logger, throttle, now });
}
