// The shipped defaults (docs/design.md 6a), in one place: the schema, the resolver and the config
// reference all read them from here, so a default changes in exactly one line.

/** Environment variable that may name the config file when no path is given. */
export const CONFIG_ENV = 'RAFTINEL_CONFIG';

/**
 * Upper bound of every `*Ms` setting: Node's timers treat a larger delay as 1 ms, so a huge
 * value would fire at once instead of never.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** `maxLinkDownMs: null` means this many times the shard's `downAfterMs`. */
export const LINK_DOWN_FACTOR = 10;

/**
 * A sidecar's fence must engage before the majority can publish another master: it engages at
 * most fenceAfterMs / 10 (one check) after fenceAfterMs, and no failover is published before
 * downAfterMs. fenceAfterMs may be at most this times downAfterMs (the rest covers the check
 * period and the CONFIG SET round trip), and defaults to it, capped at FENCE_MAX_DEFAULT_MS.
 */
export const FENCE_DOWN_FACTOR = 0.8;
export const FENCE_MAX_DEFAULT_MS = 3000;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const SELECTIONS = ['least-lag', 'priority-first'] as const;
export type Selection = (typeof SELECTIONS)[number];

export type Quorum = 'majority' | number;

export const DEFAULTS = {
  raft: { tickMs: 100, electionTicks: 10, heartbeatTicks: 2, snapshotEntries: 10000 },
  /** Shard settings: the `defaults` block overrides these, a shard overrides both. */
  shard: {
    downAfterMs: 5000,
    pingIntervalMs: 100,
    infoIntervalMs: 1000,
    quorum: 'majority' as Quorum,
    selection: 'least-lag' as Selection,
    maxLagBytes: null as number | null,
    maxLinkDownMs: null as number | null,
    parallelSyncs: 1,
    failoverCooldownMs: 60000,
    failoverTimeoutMs: 30000,
    holistic: false,
    // -- write safety on the master (sidecar-liveness) --
    minReplicasToWrite: null as number | null,
    minReplicasMaxLagMs: 10000,
  },
  listen: { sentinel: '127.0.0.1:26379', http: '127.0.0.1:26380', raft: '127.0.0.1:26381' },
  /** node.bootstrap: an empty data dir of a node listed in peers starts a new cluster. */
  bootstrap: 'new' as 'new' | 'existing',
  /** node.dataDir when absent: `data/<node.id>`, relative to the config file's folder. */
  dataDirPrefix: './data/',
  redisNode: { priority: 100, noFailover: false },
  /** fenceAfterMs null: FENCE_DOWN_FACTOR x the shard's downAfterMs, at most FENCE_MAX_DEFAULT_MS. */
  sidecar: { redis: null as string | null, fenceAfterMs: null as number | null },
  hooks: { onSwitchMaster: null as string | null, onFailoverEnd: null as string | null, timeoutMs: 10000 },
  log: { level: 'info' as LogLevel },
} as const;
