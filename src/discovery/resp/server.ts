// The Sentinel-compatible RESP listener (docs/design.md 5.1): accepts clients (plain TCP or TLS), caps
// their number, and publishes Sentinel events to subscribers. It reads everything it answers
// from a SentinelSource, so it depends on nothing else in raftinel.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { RaftinelError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { MasterAddressReplies } from './commands/address-reply.js';
import type { ServerFacts, ServerStats } from './commands/types.js';
import { DEFAULT_LIMITS, RespConnection, type ConnectionLimits } from './connection.js';
import { KnownRequests } from './known-requests.js';
import { PubSubHub } from './pubsub-hub.js';
import { RecentNames } from './recent-names.js';
import { Session } from './session.js';
import type { SentinelSource } from './source.js';
import { MAX_CLIENTS } from './texts.js';

export interface RespTlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CA for client certificates; with requireClientCert, clients must present one it signed. */
  readonly ca?: string | Buffer;
  readonly requireClientCert?: boolean;
}

export interface SentinelRespServerOptions {
  readonly logger: Logger;
  /** Most connected clients (Redis's maxclients); more are refused with Redis's error. */
  readonly maxClients?: number;
  /** Close idle connections after this long (0: never); subscribers are never idle. */
  readonly idleTimeoutMs?: number;
  /** Close connections that have not authenticated by then (when client AUTH is configured). */
  readonly authTimeoutMs?: number;
  readonly tls?: RespTlsOptions;
  /** Protocol caps (tests lower them). */
  readonly limits?: Partial<ConnectionLimits>;
}

export const DEFAULT_MAX_CLIENTS = 10_000;
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** The idle sweep runs every half idle timeout, at most this far apart. */
const IDLE_SWEEP_MAX_MS = 1000;

export class SentinelRespServer {
  private readonly hub = new PubSubHub();
  private readonly addressReplies = new MasterAddressReplies();
  private readonly shardNames = new RecentNames();
  private readonly knownRequests = new KnownRequests();
  private readonly connections = new Set<RespConnection>();
  private readonly logger: Logger;
  private readonly limits: ConnectionLimits;
  private readonly maxClients: number;
  private readonly facts: ServerFacts;
  private readonly stats: ServerStats = {
    connectionsReceived: 0,
    commandsProcessed: 0,
    rejectedConnections: 0,
    errorReplies: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
  };
  private server: net.Server | null = null;
  private idleSweep: NodeJS.Timeout | null = null;
  private nextClientId = 1;
  private boundPort = 0;

  constructor(
    private readonly source: SentinelSource,
    private readonly options: SentinelRespServerOptions,
  ) {
    this.logger = options.logger.child({ component: 'resp' });
    this.maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.limits = {
      ...DEFAULT_LIMITS,
      ...options.limits,
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      ...(options.authTimeoutMs !== undefined ? { authTimeoutMs: options.authTimeoutMs } : {}),
    };
    this.facts = {
      runId: randomBytes(20).toString('hex'),
      startedAtMs: Date.now(),
      maxClients: this.maxClients,
      stats: this.stats,
      port: () => this.boundPort,
      connectedClients: () => this.connections.size,
      pubsub: () => ({ channels: this.hub.channelCount, patterns: this.hub.patternCount }),
    };
  }

  /** Starts listening; rejects with RaftinelError `listen_failed` naming the address. */
  async listen(host: string, port: number): Promise<void> {
    if (this.server)
      throw new RaftinelError('listen_failed', `RESP server already listening on port ${this.boundPort}`);
    const server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.message;
        reject(
          new RaftinelError('listen_failed', `cannot listen for RESP clients on ${host}:${port}: ${why}`, {
            host,
            port,
            code: err.code,
          }),
        );
      };
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err: err.message }, 'RESP server error'));
    this.server = server;
    this.startIdleSweep();
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.logger.info(
      { host, port: this.boundPort, tls: this.options.tls !== undefined },
      'RESP server listening',
    );
  }

  /** The bound port (useful after listening on port 0); 0 before listen. */
  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Publishes a Sentinel event (`+switch-master`, ...) to subscribers; returns how many got it.
   * The caller formats the message as Sentinel does (docs/design.md 5.1). */
  publish(channel: string, message: string): number {
    return this.hub.publish(channel, message);
  }

  /** Stops listening and closes every client connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (this.idleSweep) clearInterval(this.idleSweep);
    this.idleSweep = null;
    for (const conn of this.connections) conn.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Idle connections are found by one timer for all (RespConnection.checkIdle), as Redis's clientsCron does. */
  private startIdleSweep(): void {
    const idleMs = this.limits.idleTimeoutMs;
    if (idleMs <= 0) return;
    const periodMs = Math.max(10, Math.min(IDLE_SWEEP_MAX_MS, Math.floor(idleMs / 2)));
    this.idleSweep = setInterval(() => {
      const now = performance.now();
      for (const conn of this.connections) conn.checkIdle(now);
    }, periodMs);
    this.idleSweep.unref();
  }

  private createServer(): net.Server {
    const onSocket = (socket: net.Socket): void => this.accept(socket);
    const t = this.options.tls;
    if (!t) return net.createServer({ noDelay: true }, onSocket);
    const server = tls.createServer(
      {
        cert: t.cert,
        key: t.key,
        ca: t.ca,
        requestCert: t.requireClientCert === true,
        rejectUnauthorized: t.requireClientCert === true,
        handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
      },
      onSocket,
    );
    server.on('tlsClientError', (err) =>
      this.logger.debug({ err: err.message }, 'RESP TLS handshake failed'),
    );
    return server;
  }

  private accept(socket: net.Socket): void {
    this.stats.connectionsReceived++;
    if (this.connections.size >= this.maxClients) {
      this.stats.rejectedConnections++;
      socket.on('error', () => undefined);
      socket.end(`-${MAX_CLIENTS}\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    const session = new Session(this.nextClientId++, remote, this.source.clientAuth !== null);
    const conn = new RespConnection(socket, session, {
      source: this.source,
      server: this.facts,
      hub: this.hub,
      logger: this.logger,
      limits: this.limits,
      addressReplies: this.addressReplies,
      shardNames: this.shardNames,
      knownRequests: this.knownRequests,
    });
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }
}
