// The one schema of the config file (docs/design.md 6a). Objects are strict, so an unknown key is an
// error. Parsing yields the RESOLVED config: every default applied and every shard carrying every
// shard setting (its own override, else the `defaults` block, else the shipped default). Paths
// stay as written here; load.ts resolves them against the config file's folder.
import { isIP } from 'node:net';
import { z } from 'zod';
import { isValidHost, parseHostPort } from './address.js';
import { crossCheck } from './checks.js';
import { DEFAULTS, LOG_LEVELS, MAX_DURATION_MS, SELECTIONS } from './defaults.js';
import { leaseDurationMs } from '../runtime/lease.js';

// Each schema's error text is the "expected ..." part of its issues, so a mistake reads the
// same whichever check caught it (type, range or format).
function expecting(text: string): { error: () => string } {
  return { error: () => text };
}

function block<S extends z.core.$ZodLooseShape>(what: string, shape: S) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `a key of ${what} (${keys})` : `a mapping for ${what} (${keys})`,
  });
}

export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const id = z.string(expecting('an id of 1..64 letters, digits, "_", "." or "-"')).regex(ID_PATTERN);
const address = z
  .string(expecting('host:port with port 1..65535 ([addr]:port for IPv6)'))
  .refine((s) => parseHostPort(s) !== null);
const host = z.string(expecting('a host name or IP address')).refine(isValidHost);
const ipAddress = z.string(expecting('an IP address or null')).refine((s) => isIP(s) !== 0);
const filePath = z.string(expecting('a file path')).min(1);
const command = z
  .string(expecting('an executable: a name on PATH, or a path (./ and ../ are relative to the config file)'))
  .min(1);
const bool = z.boolean(expecting('true or false'));
const port = z.int(expecting('an integer 1..65535')).min(1).max(65535);

function durationMs(min: number, orNull = false) {
  const text = `an integer number of milliseconds, ${min}..${MAX_DURATION_MS}${orNull ? ', or null' : ''}`;
  return z.int(expecting(text)).min(min).max(MAX_DURATION_MS);
}

function atLeast(min: number, note = '') {
  return z.int(expecting(`an integer >= ${min}${note}`)).min(min);
}

const QUORUM_TEXT = '"majority" or an integer from 2 to the number of peers';
// The int branch needs its own text: zod reports the branch whose type matched, not the union.
const quorum = z.union(
  [z.literal('majority', expecting(QUORUM_TEXT)), z.int(expecting(QUORUM_TEXT)).min(2)],
  expecting(QUORUM_TEXT),
);
const selection = z.enum(SELECTIONS, expecting('"least-lag" or "priority-first"'));
const logLevel = z.enum(LOG_LEVELS, expecting(`one of ${LOG_LEVELS.join(', ')}`));

/** The settings a shard inherits from `defaults` and may override. */
export const shardSettingsSchema = block('shard settings', {
  downAfterMs: durationMs(1),
  pingIntervalMs: durationMs(1),
  infoIntervalMs: durationMs(1),
  quorum,
  selection,
  maxLagBytes: atLeast(0, ' (bytes), or null').nullable(),
  maxLinkDownMs: durationMs(0, true).nullable(),
  parallelSyncs: atLeast(1),
  failoverCooldownMs: durationMs(0),
  failoverTimeoutMs: durationMs(1),
  holistic: bool,
  // -- write safety on the master (sidecar-liveness) --
  minReplicasToWrite: atLeast(1, ', or null (not managed)').nullable(),
  minReplicasMaxLagMs: durationMs(1000),
});
const settingOverrides = shardSettingsSchema.partial().shape;

type CertKey = { cert: string | null; key: string | null };
const tlsFiles = {
  ca: filePath.nullable().default(null),
  cert: filePath.nullable().default(null),
  key: filePath.nullable().default(null),
};

function requireCertWithKey(value: CertKey, ctx: z.core.$RefinementCtx<CertKey>): void {
  if (value.cert !== null && value.key === null) {
    ctx.addIssue({ code: 'custom', path: ['key'], message: 'a key file, since cert is set' });
  }
  if (value.key !== null && value.cert === null) {
    ctx.addIssue({ code: 'custom', path: ['cert'], message: 'a cert file, since key is set' });
  }
}

// TLS to Redis: `{}` turns TLS on with the system's CAs; a client cert is optional.
const redisTls = block('tls', tlsFiles).superRefine(requireCertWithKey);

// A listener's TLS: `{}` (as the example in docs/design.md 6a writes it) means off, since a server
// cannot speak TLS without a cert; any file set turns it on and then cert and key are needed.
const listenerTls = block('tls', tlsFiles)
  .superRefine((value, ctx) => {
    const on = value.ca !== null || value.cert !== null || value.key !== null;
    if (on && value.cert === null) ctx.addIssue({ code: 'custom', path: ['cert'], message: 'a cert file' });
    if (on && value.key === null) ctx.addIssue({ code: 'custom', path: ['key'], message: 'a key file' });
  })
  .transform((value) => (value.ca === null && value.cert === null && value.key === null ? null : value));

const redisAuth = block('auth', {
  username: z.string(expecting('a user name, or null')).min(1).nullable().default(null),
  passwordFile: filePath,
});

const clientAuth = block('auth', {
  username: z
    .string(expecting('a user name other than "admin" (reserved for admin commands), or null'))
    .min(1)
    .refine((name) => name !== 'admin')
    .nullable()
    .default(null),
  passwordFile: filePath,
});

/** Another address of a Redis node (NAT, a proxy, a pod network): {host, port}. */
const otherAddress = block('an address', { host, port }).nullable().default(null);

export const redisNodeSchema = block('Redis node', {
  id,
  host,
  port,
  priority: atLeast(0, ' (0 = never promote)').default(DEFAULTS.redisNode.priority),
  noFailover: bool.default(DEFAULTS.redisNode.noFailover),
  announce: otherAddress,
  replicationAddress: otherAddress,
});

// ---- renamed Redis commands (docs/design.md 4.4), as Sentinel's rename-command ----
/** The admin commands raftinel sends that a deployment may have renamed or disabled. */
export const RENAMEABLE_COMMANDS = ['REPLICAOF', 'CONFIG', 'CLIENT', 'ACL', 'COMMAND'] as const;
const renameCommands = z
  .partialRecord(
    z.enum(RENAMEABLE_COMMANDS, expecting(`one of ${RENAMEABLE_COMMANDS.join(', ')} (upper case)`)),
    z
      .string(expecting('the name the command has on these Redis nodes, or "" where it is disabled'))
      .regex(/^\S*$/),
  )
  .default({});

const shardSchema = block('shard', {
  name: id,
  nodes: z.array(redisNodeSchema, expecting('a non-empty list of Redis nodes {id, host, port}')).min(1),
  initialMaster: id.nullable().default(null),
  auth: redisAuth.nullable().default(null),
  tls: redisTls.nullable().default(null),
  renameCommands,
  ...settingOverrides,
});

const listenSchema = block('listen', {
  sentinel: address.default(DEFAULTS.listen.sentinel),
  http: address.default(DEFAULTS.listen.http),
  raft: address.default(DEFAULTS.listen.raft),
}).superRefine((value, ctx) => {
  if (value.http === value.sentinel)
    ctx.addIssue({ code: 'custom', path: ['http'], message: 'an address other than listen.sentinel' });
  if (value.raft === value.sentinel || value.raft === value.http) {
    ctx.addIssue({
      code: 'custom',
      path: ['raft'],
      message: 'an address other than listen.sentinel and listen.http',
    });
  }
});

const announceSchema = block('announce', {
  host: host.nullable().default(null),
  sentinel: address.nullable().default(null),
  http: address.nullable().default(null),
  raft: address.nullable().default(null),
});

const bootstrapMode = z.enum(['new', 'existing'], expecting('"new" or "existing"'));

const nodeSchema = block('node', {
  id,
  dataDir: filePath.nullable().default(null),
  // node.bootstrap (docs/design.md 6a): may an empty data dir bootstrap a new cluster?
  bootstrap: bootstrapMode.default(DEFAULTS.bootstrap),
  listen: listenSchema.prefault({}),
  announce: announceSchema.prefault({}),
  sourceAddress: ipAddress.nullable().default(null),
});

const raftSchema = block('raft', {
  tickMs: durationMs(1).default(DEFAULTS.raft.tickMs),
  electionTicks: atLeast(2).default(DEFAULTS.raft.electionTicks),
  heartbeatTicks: atLeast(1).default(DEFAULTS.raft.heartbeatTicks),
  snapshotEntries: atLeast(1).default(DEFAULTS.raft.snapshotEntries),
}).superRefine((value, ctx) => {
  // A follower must hear several heartbeats per election timeout, or it campaigns needlessly.
  if (value.electionTicks <= value.heartbeatTicks) {
    ctx.addIssue({
      code: 'custom',
      path: ['electionTicks'],
      message: `an integer greater than heartbeatTicks (${value.heartbeatTicks})`,
    });
  } else if (leaseDurationMs(value) <= value.heartbeatTicks * value.tickMs) {
    // lease-time: the leader lease (src/runtime/lease.ts) must outlast a heartbeat interval, or
    // the leader would keep losing it between rounds and the failover driver would stall.
    ctx.addIssue({
      code: 'custom',
      path: ['electionTicks'],
      message:
        `an integer large enough that the leader lease (${leaseDurationMs(value).toFixed(0)} ms) ` +
        `outlasts a heartbeat interval (${value.heartbeatTicks * value.tickMs} ms)`,
    });
  }
});

const documentSchema = block('the config file', {
  cluster: id,
  node: nodeSchema,
  peers: z
    .array(block('peer', { id, raft: address }), expecting('a non-empty list of peers {id, raft}'))
    .min(1),
  raft: raftSchema.prefault({}),
  defaults: block('defaults', settingOverrides).prefault({}),
  shards: z.array(shardSchema, expecting('a non-empty list of shards')).min(1),
  admin: block('admin', { tokenFile: filePath }).nullable().default(null),
  clients: block('clients', { auth: clientAuth.nullable().default(null) })
    .nullable()
    .default(null),
  tls: block('tls', {
    peer: listenerTls.nullable().default(null),
    sentinel: listenerTls.nullable().default(null),
    http: listenerTls.nullable().default(null),
  }).prefault({}),
  // ---- peer authentication (docs/design.md 2, "Peer transport") ----
  peerAuth: block('peerAuth', { secretFile: filePath }).nullable().default(null),
  sidecar: block('sidecar', {
    redis: id.nullable().default(DEFAULTS.sidecar.redis),
    fenceAfterMs: durationMs(1, true).nullable().default(DEFAULTS.sidecar.fenceAfterMs),
  }).prefault({}),
  hooks: block('hooks', {
    onSwitchMaster: command.nullable().default(DEFAULTS.hooks.onSwitchMaster),
    onFailoverEnd: command.nullable().default(DEFAULTS.hooks.onFailoverEnd),
    timeoutMs: durationMs(1).default(DEFAULTS.hooks.timeoutMs),
  }).prefault({}),
  log: block('log', { level: logLevel.default(DEFAULTS.log.level) }).prefault({}),
});

type ParsedDocument = z.output<typeof documentSchema>;
export type ShardSettings = z.output<typeof shardSettingsSchema>;

// Drops absent keys so that a spread does not overwrite an inherited value with undefined.
function present<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveShard(shard: ParsedDocument['shards'][number], defaults: ShardSettings) {
  const { name, nodes, initialMaster, auth, tls, renameCommands, ...overrides } = shard;
  const settings: ShardSettings = { ...defaults, ...present(overrides) };
  return { name, nodes, initialMaster, auth, tls, renameCommands, ...settings };
}

function resolveDocument(doc: ParsedDocument) {
  const defaults: ShardSettings = { ...DEFAULTS.shard, ...present(doc.defaults) };
  return {
    ...doc,
    node: { ...doc.node, dataDir: doc.node.dataDir ?? `${DEFAULTS.dataDirPrefix}${doc.node.id}` },
    defaults,
    shards: doc.shards.map((shard) => resolveShard(shard, defaults)),
    /**
     * Whether this node bootstraps an empty data dir as a voter: only for a new cluster
     * (node.bootstrap: new) that `peers` lists it in.
     */
    isBootstrapVoter: doc.node.bootstrap === 'new' && doc.peers.some((peer) => peer.id === doc.node.id),
  };
}

/**
 * Parses an already-loaded YAML value. Cross-field rules (uniqueness, quorum range,
 * initialMaster, sidecar.redis) run here too; load.ts also runs them when the shape is wrong,
 * where zod skips refinements, so that every mistake is listed at once.
 */
export const configSchema = documentSchema
  .superRefine((value, ctx) => {
    for (const issue of crossCheck(value)) {
      ctx.addIssue({
        code: 'custom',
        path: issue.path,
        message: issue.expected,
        params: { note: issue.note, cross: true },
      });
    }
  })
  .transform(resolveDocument);

export type RaftinelConfig = z.output<typeof configSchema>;
export type NodeConfig = RaftinelConfig['node'];
export type ListenConfig = NodeConfig['listen'];
export type AnnounceConfig = NodeConfig['announce'];
export type PeerConfig = RaftinelConfig['peers'][number];
export type RaftConfig = RaftinelConfig['raft'];
export type ShardConfig = RaftinelConfig['shards'][number];
export type RedisNodeConfig = ShardConfig['nodes'][number];
export type RedisAuthConfig = NonNullable<ShardConfig['auth']>;
export type TlsFiles = NonNullable<ShardConfig['tls']>;
export type AdminConfig = NonNullable<RaftinelConfig['admin']>;
export type PeerAuthConfig = NonNullable<RaftinelConfig['peerAuth']>;
export type ClientsConfig = NonNullable<RaftinelConfig['clients']>;
export type TlsConfig = RaftinelConfig['tls'];
export type SidecarConfig = RaftinelConfig['sidecar'];
export type HooksConfig = RaftinelConfig['hooks'];
export type LogConfig = RaftinelConfig['log'];
