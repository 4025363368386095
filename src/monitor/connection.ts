// What a connection to one Redis node is made of: its options (address, credentials, TLS, source
// address, timeouts, client name), the key that says when a connection can be kept across a
// target update, and the timeouts derived from a shard's settings. The connection itself is
// resp-client.ts.
import type { RedisNodeSpec, ShardSettings } from '../failover/types.js';

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
