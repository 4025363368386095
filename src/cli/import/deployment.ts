// What `raftinel import-sentinel` learns about a Sentinel deployment, from a sentinel.conf
// (conf-parse.ts) or from a running Sentinel (live.ts). The mapping (mapping.ts) reads only this,
// so both sources map the same way (docs/migration.md).

export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

export interface SentinelReplica extends SentinelAddress {
  /** `slave-priority` as the Sentinel saw it (live only); null when unknown (sentinel.conf). */
  readonly priority: number | null;
  /** Sentinel's flags for the replica (live only), e.g. `slave,s_down,disconnected`. */
  readonly flags: string | null;
}

export interface KnownSentinel extends SentinelAddress {
  readonly runId: string | null;
}

/** One `sentinel monitor` group: a raftinel shard. */
export interface SentinelMaster {
  readonly name: string;
  /** The master as Sentinel last knew it (Sentinel rewrites the monitor line after a failover). */
  readonly master: SentinelAddress;
  readonly quorum: number;
  /** null: not set, Sentinel's default applies. */
  readonly downAfterMs: number | null;
  readonly failoverTimeoutMs: number | null;
  readonly parallelSyncs: number | null;
  readonly authUser: string | null;
  /** The secret itself: written to a file of its own, never printed or logged. */
  readonly authPass: string | null;
  /** rename-command: original name (upper case) -> name on the Redis nodes. */
  readonly renamedCommands: Readonly<Record<string, string>>;
  readonly notificationScript: string | null;
  readonly clientReconfigScript: string | null;
  readonly masterRebootDownAfterMs: number | null;
  readonly replicas: readonly SentinelReplica[];
  readonly sentinels: readonly KnownSentinel[];
  /** config-epoch / leader-epoch lines (sentinel.conf) or config-epoch (live). */
  readonly epochs: readonly string[];
}

/** A setting of the Sentinel process itself (not of one master). */
export interface GlobalSetting {
  /** As written: `port`, `bind`, `sentinel announce-ip`, `sentinel myid`, ... */
  readonly name: string;
  /** The arguments; a secret's value is kept only in `secret`. */
  readonly args: readonly string[];
  /** The line in sentinel.conf (1-based); null for a live Sentinel. */
  readonly line: number | null;
}

export interface SentinelDeployment {
  /** Where it came from, for the notes: a file path or `host:port`. */
  readonly source: string;
  readonly masters: readonly SentinelMaster[];
  readonly settings: readonly GlobalSetting[];
  /** Secrets of the Sentinel process itself (requirepass, sentinel-pass): name -> value. */
  readonly secrets: Readonly<Record<string, string>>;
  /** What the source cannot show (a running Sentinel never shows auth-pass), with why. */
  readonly hidden: readonly { readonly setting: string; readonly why: string }[];
  /** Lines that could not be read (wrong arity, unknown master), with why. */
  readonly unreadable: readonly { readonly line: number; readonly text: string; readonly why: string }[];
}

/** Sentinel's defaults for what a sentinel.conf may leave out (redis src/sentinel.c). */
export const SENTINEL_DEFAULTS = {
  downAfterMs: 30_000,
  failoverTimeoutMs: 180_000,
  parallelSyncs: 1,
  port: 26379,
} as const;
