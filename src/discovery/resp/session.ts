// Per-connection state, as Redis keeps it in its client struct: protocol, name, who is
// authenticated, and the pub/sub subscriptions. Channel and pattern names are kept as latin1
// strings, a byte-for-byte image of what the client sent, so binary names round-trip.
import type { Protocol } from './reply.js';

export class Session {
  proto: Protocol = 2;
  name: string | null = null;
  /** The authenticated user (`default`, the configured user, or `admin`); null before AUTH. */
  user: string | null;
  /** Authenticated with `AUTH admin <token>`: may run SENTINEL FAILOVER. */
  admin = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();

  constructor(
    readonly id: number,
    readonly remote: string,
    authRequired: boolean,
  ) {
    this.user = authRequired ? null : 'default';
  }

  get authenticated(): boolean {
    return this.user !== null;
  }

  get subscriptions(): number {
    return this.channels.size + this.patterns.size;
  }
}

/** A byte-exact string key for a channel or pattern name. */
export const channelKey = (name: Buffer): string => name.toString('latin1');
export const channelBytes = (key: string): Buffer => Buffer.from(key, 'latin1');
