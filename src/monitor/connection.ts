// One ioredis connection to one Redis node, set up for probing and administration rather than
// for an application: no offline queue and no resending (a command is sent now or fails now,
// never replayed minutes later after a reconnect), no ready check (a LOADING node must still be
// probed), a short constant reconnect delay, optional TLS, and outgoing connections bound to a
// source address. ioredis has no source-address option (its StandaloneConnector copies only
// host, port and family into net.connect), so a small Connector of ours opens the socket; it
// also puts the framing guard (resp-guard.ts) in front of ioredis's parser.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { AbstractConnector, Redis, type RedisOptions } from 'ioredis';
import type { RedisNodeSpec, ShardSettings } from '../failover/types.js';
import { GarbageReplyError } from './classify.js';
import { RespGuard } from './resp-guard.js';

export interface RedisAuth {
  readonly username: string | null;
  readonly password: string;
}

/** TLS to Redis: file paths; `{}` means TLS with the system's CAs. */
export interface RedisTls {
  readonly ca?: string | null;
  readonly cert?: string | null;
  readonly key?: string | null;
}

export interface ProbeTarget {
  readonly shard: string;
  readonly node: RedisNodeSpec;
  readonly settings: ShardSettings;
  readonly auth: RedisAuth | null;
  readonly tls: RedisTls | null;
  /** The node is the shard's committed master. */
  readonly isMaster: boolean;
  /** Admin commands renamed on this shard's nodes (shards[].renameCommands); "" = disabled. */
  readonly renameCommands?: Readonly<Partial<Record<string, string>>>;
}

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly auth: RedisAuth | null;
  readonly tls: RedisTls | null;
  readonly sourceAddress: string | null;
  readonly connectTimeoutMs: number;
  readonly retryDelayMs: number;
  /** CLIENT SETNAME, so that operators can tell our connections apart in CLIENT LIST. */
  readonly name: string;
}

/** What decides whether an existing connection can be kept when a target is updated. */
export function connectionKey(o: ConnectionOptions): string {
  const tlsPart = o.tls ? `tls:${o.tls.ca ?? ''}:${o.tls.cert ?? ''}:${o.tls.key ?? ''}` : 'plain';
  // The password is part of the identity but must not sit in a readable key: hash it.
  const authPart = o.auth ? `${o.auth.username ?? ''}:${fingerprint(o.auth.password)}` : 'noauth';
  return [o.host, o.port, tlsPart, authPart, o.sourceAddress ?? '', o.connectTimeoutMs, o.retryDelayMs].join(
    '|',
  );
}

function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

type SocketOptions = net.NetConnectOpts & tls.ConnectionOptions;

function socketOptions(o: ConnectionOptions): SocketOptions {
  const base: SocketOptions = {
    host: o.host,
    port: o.port,
    ...(o.sourceAddress ? { localAddress: o.sourceAddress } : {}),
  };
  if (!o.tls) return base;
  const t = o.tls;
  return {
    ...base,
    ...(t.ca ? { ca: readFileSync(t.ca) } : {}),
    ...(t.cert ? { cert: readFileSync(t.cert) } : {}),
    ...(t.key ? { key: readFileSync(t.key) } : {}),
    // SNI takes host names only.
    ...(net.isIP(o.host) === 0 ? { servername: o.host } : {}),
  };
}

function connectorFor(o: ConnectionOptions): new (options: unknown) => AbstractConnector {
  // TLS files are read once per connection object, not on every reconnect.
  const options = socketOptions(o);
  const secure = o.tls !== null;
  return class GuardedConnector extends AbstractConnector {
    constructor() {
      super(0);
    }

    connect(): Promise<net.Socket | tls.TLSSocket> {
      this.connecting = true;
      return new Promise((resolve, reject) => {
        // As ioredis's own connector: a disconnect() in the same tick must win.
        process.nextTick(() => {
          if (!this.connecting) {
            reject(new Error('Connection is closed.'));
            return;
          }
          let stream: net.Socket | tls.TLSSocket;
          try {
            stream = secure ? tls.connect(options) : net.createConnection(options);
          } catch (err) {
            reject(err);
            return;
          }
          stream.once('error', (err) => {
            this.firstError = err;
          });
          // Attached on connect, just before ioredis attaches its parser in the same event, so
          // both see every byte and the stream does not start flowing early.
          stream.once(secure ? 'secureConnect' : 'connect', () => {
            const guard = new RespGuard();
            stream.on('data', (chunk: Buffer) => {
              const violation = guard.push(chunk);
              if (violation !== null && !stream.destroyed) stream.destroy(new GarbageReplyError(violation));
            });
          });
          this.stream = stream;
          resolve(stream);
        });
      });
    }

    // The default ends the stream politely and waits for the peer; a stopped node never
    // answers, and the reconnect must not wait for it.
    override disconnect(): void {
      this.connecting = false;
      if (this.stream) this.stream.destroy();
    }
  };
}

export function openConnection(o: ConnectionOptions): Redis {
  const options: RedisOptions = {
    host: o.host,
    port: o.port,
    Connector: connectorFor(o),
    // ioredis picks the connect event ('secureConnect') from this; the socket is ours.
    ...(o.tls ? { tls: {} } : {}),
    ...(o.auth
      ? { password: o.auth.password, ...(o.auth.username ? { username: o.auth.username } : {}) }
      : {}),
    lazyConnect: false,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    // 0: commands pending when the connection drops fail at once instead of waiting.
    maxRetriesPerRequest: 0,
    retryStrategy: () => o.retryDelayMs,
    reconnectOnError: null,
    connectTimeout: o.connectTimeoutMs,
    disableClientInfo: true,
    connectionName: o.name,
    keepAlive: 1000,
    noDelay: true,
  };
  return new Redis(options);
}

/**
 * ioredis 5.9 with enableReadyCheck off waits for its CLIENT SETNAME (connectionName) before it
 * declares a connection ready, and declares it ready even when the connection closed meanwhile (a
 * node or proxy that accepts and drops, a hung node whose handshake timed out): the client then
 * sits "ready" on a closed stream, fails every command and never reconnects. Callers replace it.
 */
export function readyOnClosedStream(conn: Redis): boolean {
  return conn.status === 'ready' && (conn.stream === undefined || conn.stream.destroyed);
}

/**
 * How long a probe (or a connection's handshake) may wait for its reply before the connection is
 * replaced: downAfterMs, by when the node is SDOWN to this observer anyway (a reply pending that
 * long means no valid reply for as long). A shorter timeout turned a slow link into a false SDOWN:
 * the late reply was thrown away with the connection, and a new connection needs two round trips
 * (CLIENT SETNAME, then the probe) before it answers (docs/design.md 4.1).
 */
export function probeTimeoutMs(s: Pick<ShardSettings, 'downAfterMs'>): number {
  return Math.max(50, s.downAfterMs);
}

export function connectionOptionsFor(
  target: ProbeTarget,
  sourceAddress: string | null,
  name: string,
): ConnectionOptions {
  const s = target.settings;
  return {
    host: target.node.host,
    port: target.node.port,
    auth: target.auth,
    tls: target.tls,
    sourceAddress,
    // As probeTimeoutMs: a connect is given up when the node would be SDOWN anyway. A slow
    // link (SYN-ACK late as every other reply) must not turn into connects that never finish.
    connectTimeoutMs: Math.max(100, Math.round(s.downAfterMs)),
    retryDelayMs: Math.max(10, Math.min(s.pingIntervalMs, 200)),
    name,
  };
}
