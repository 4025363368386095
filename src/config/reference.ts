// The config reference: every key with its type, default and one line of description. The
// README's reference is generated from this; a unit test keeps it in step with the schema.
import {
  DEFAULTS,
  FENCE_DOWN_FACTOR,
  FENCE_MAX_DEFAULT_MS,
  LINK_DOWN_FACTOR,
  LOG_LEVELS,
  MAX_DURATION_MS,
} from './defaults.js';

export interface ConfigKeyDoc {
  /** Dotted path; `[]` marks a list element, as in `shards[].nodes[].port`. */
  readonly key: string;
  readonly type: string;
  /** The default as YAML would write it; `required` for a key that must be given. */
  readonly default: string;
  readonly description: string;
}

const REQUIRED = 'required';
const yaml = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

const ms = `integer ms 1..${MAX_DURATION_MS}`;
const ms0 = `integer ms 0..${MAX_DURATION_MS}`;
const id = 'id [A-Za-z0-9_.-]{1,64}';
const address = 'host:port';
const path = 'file path';

type Row = [key: string, type: string, def: string, description: string];

const settings = DEFAULTS.shard;
const shardSettingRows: Row[] = [
  [
    'downAfterMs',
    ms,
    yaml(settings.downAfterMs),
    'no valid reply for this long: the node is SDOWN for one observer',
  ],
  [
    'pingIntervalMs',
    ms,
    yaml(settings.pingIntervalMs),
    'how often every node sends ROLE to every Redis node (less than downAfterMs)',
  ],
  [
    'infoIntervalMs',
    ms,
    yaml(settings.infoIntervalMs),
    'how often INFO replication is read (faster during a failover)',
  ],
  [
    'quorum',
    '"majority" | integer 2..peers',
    yaml(settings.quorum),
    'observers that must report SDOWN for ODOWN',
  ],
  [
    'selection',
    '"least-lag" | "priority-first"',
    yaml(settings.selection),
    "candidate ranking; priority-first is Sentinel's order",
  ],
  [
    'maxLagBytes',
    'integer >= 0 | null',
    yaml(settings.maxLagBytes),
    'data-loss budget: replicas further behind are not promoted; null: no budget',
  ],
  [
    'maxLinkDownMs',
    `${ms0} | null`,
    yaml(settings.maxLinkDownMs),
    `replicas whose link is down longer are not promoted; null: ${LINK_DOWN_FACTOR} x downAfterMs`,
  ],
  [
    'parallelSyncs',
    'integer >= 1',
    yaml(settings.parallelSyncs),
    'replicas repointed at a time after a promotion',
  ],
  [
    'failoverCooldownMs',
    ms0,
    yaml(settings.failoverCooldownMs),
    'no automatic failover of the shard for this long after one (ack ends it)',
  ],
  ['failoverTimeoutMs', ms, yaml(settings.failoverTimeoutMs), 'bound on each failover or switchover step'],
  [
    'holistic',
    'boolean',
    yaml(settings.holistic),
    'ODOWN also requires the replicas to report master_link_status:down',
  ],
  [
    'minReplicasToWrite',
    'integer >= 1 or null',
    yaml(settings.minReplicasToWrite),
    'set on the master as min-replicas-to-write, through every failover; null: not managed',
  ],
  [
    'minReplicasMaxLagMs',
    `integer ms 1000..${MAX_DURATION_MS}`,
    yaml(settings.minReplicasMaxLagMs),
    'min-replicas-max-lag on the master (rounded up to seconds), with minReplicasToWrite',
  ],
];

function tlsRows(prefix: string, what: string): Row[] {
  return [
    [`${prefix}.ca`, `${path} | null`, 'null', `CA bundle that ${what} trusts`],
    [`${prefix}.cert`, `${path} | null`, 'null', `certificate ${what} presents (with key)`],
    [`${prefix}.key`, `${path} | null`, 'null', `private key of cert`],
  ];
}

const rows: Row[] = [
  ['cluster', id, REQUIRED, 'cluster id; peers and clients of another cluster are refused'],
  ['node', 'mapping', REQUIRED, 'this raftinel node'],
  ['node.id', id, REQUIRED, "this node's id, as in peers"],
  [
    'node.dataDir',
    path,
    `${DEFAULTS.dataDirPrefix}<node.id>`,
    'Raft log, hard state and snapshots; created if missing',
  ],
  [
    'node.bootstrap',
    '"new" | "existing"',
    DEFAULTS.bootstrap,
    'new: an empty data dir of a node in peers starts the cluster; existing: it joins one as a learner',
  ],
  ['node.listen', 'mapping', '{}', 'addresses to listen on'],
  ['node.listen.sentinel', address, DEFAULTS.listen.sentinel, 'Sentinel-compatible RESP'],
  ['node.listen.http', address, DEFAULTS.listen.http, 'HTTP discovery, health, admin, metrics'],
  ['node.listen.raft', address, DEFAULTS.listen.raft, 'Raft peer transport'],
  ['node.announce', 'mapping', '{}', 'what others should dial when it differs from listen (NAT, containers)'],
  ['node.announce.host', 'host | null', 'null', 'host announced with each listen port'],
  ['node.announce.sentinel', `${address} | null`, 'null', 'announced RESP address'],
  ['node.announce.http', `${address} | null`, 'null', 'announced HTTP address'],
  ['node.announce.raft', `${address} | null`, 'null', 'announced Raft address'],
  ['node.sourceAddress', 'IP | null', 'null', 'local address for outgoing connections'],
  ['peers', 'list', REQUIRED, 'every voter at bootstrap; read only when the data dir is empty'],
  ['peers[].id', id, REQUIRED, "the peer's node id (unique)"],
  ['peers[].raft', address, REQUIRED, "the peer's Raft address (unique)"],
  ['raft', 'mapping', '{}', 'Raft timing'],
  ['raft.tickMs', ms, yaml(DEFAULTS.raft.tickMs), 'one logical tick'],
  [
    'raft.electionTicks',
    'integer >= 2',
    yaml(DEFAULTS.raft.electionTicks),
    'election timeout in ticks (randomized above it); > heartbeatTicks',
  ],
  [
    'raft.heartbeatTicks',
    'integer >= 1',
    yaml(DEFAULTS.raft.heartbeatTicks),
    'leader heartbeat interval in ticks',
  ],
  [
    'raft.snapshotEntries',
    'integer >= 1',
    yaml(DEFAULTS.raft.snapshotEntries),
    'applied entries between snapshots',
  ],
  ['defaults', 'mapping', '{}', 'shard settings every shard inherits'],
  ...shardSettingRows.map(([key, type, def, description]): Row => [
    `defaults.${key}`,
    type,
    def,
    description,
  ]),
  ['shards', 'list', REQUIRED, 'Redis replication groups; seed the Raft log once, at bootstrap'],
  ['shards[].name', id, REQUIRED, 'shard name, as clients ask for it (Sentinel master name)'],
  ['shards[].nodes', 'list', REQUIRED, 'the Redis nodes of the shard; one Redis node belongs to one shard'],
  ['shards[].nodes[].id', id, REQUIRED, 'Redis node id, unique in the config'],
  ['shards[].nodes[].host', 'host', REQUIRED, 'Redis host'],
  ['shards[].nodes[].port', 'integer 1..65535', REQUIRED, 'Redis port'],
  [
    'shards[].nodes[].priority',
    'integer >= 0',
    yaml(DEFAULTS.redisNode.priority),
    'lower wins among equals; 0 = never promote',
  ],
  ['shards[].nodes[].noFailover', 'boolean', yaml(DEFAULTS.redisNode.noFailover), 'never promote this node'],
  [
    'shards[].nodes[].announce',
    '{host, port} | null',
    'null',
    "the address clients are told (discovery, Sentinel events), as Sentinel's announce-ip/-port; null: host:port",
  ],
  ['shards[].nodes[].announce.host', 'host', REQUIRED, 'host clients connect to'],
  ['shards[].nodes[].announce.port', 'integer 1..65535', REQUIRED, 'port clients connect to'],
  [
    'shards[].nodes[].replicationAddress',
    '{host, port} | null',
    'null',
    'where replicas reach this node (REPLICAOF; how they name their master, as replica-announce-ip); null: host:port',
  ],
  ['shards[].nodes[].replicationAddress.host', 'host', REQUIRED, 'host its replicas connect to'],
  ['shards[].nodes[].replicationAddress.port', 'integer 1..65535', REQUIRED, 'port its replicas connect to'],
  ['shards[].initialMaster', `${id} | null`, 'null', 'master to set up when no node replicates yet'],
  ['shards[].auth', 'mapping | null', 'null', 'credentials for Redis'],
  ['shards[].auth.username', 'string | null', 'null', 'ACL user (null: the default user)'],
  ['shards[].auth.passwordFile', path, REQUIRED, 'file holding the password'],
  ['shards[].tls', 'mapping | null', 'null', 'TLS to Redis; {} uses the system CAs'],
  ...tlsRows('shards[].tls', 'the Redis client'),
  [
    'shards[].renameCommands',
    'mapping',
    '{}',
    'names of renamed admin commands on these Redis nodes ({CONFIG: MYCONFIG}; "" = disabled), as rename-command',
  ],
  ...shardSettingRows.map(([key, type, , description]): Row => [
    `shards[].${key}`,
    type,
    `defaults.${key}`,
    description,
  ]),
  ['admin', 'mapping | null', 'null', 'absent: admin routes accept loopback clients only'],
  ['admin.tokenFile', path, REQUIRED, 'file holding the admin bearer token'],
  ['clients', 'mapping | null', 'null', 'client access to the RESP port'],
  ['clients.auth', 'mapping | null', 'null', 'AUTH required on the RESP port, as requirepass or an ACL user'],
  ['clients.auth.username', 'string | null', 'null', 'user name (not "admin"); null: AUTH <password>'],
  ['clients.auth.passwordFile', path, REQUIRED, 'file holding the password'],
  ['tls', 'mapping', '{}', 'TLS of the listeners; each block {} or absent means off'],
  ['tls.peer', 'mapping | null', 'null', 'mutual TLS between raftinel nodes'],
  ...tlsRows('tls.peer', 'the peer transport'),
  ['tls.sentinel', 'mapping | null', 'null', 'TLS on the RESP port'],
  ...tlsRows('tls.sentinel', 'the RESP listener'),
  ['tls.http', 'mapping | null', 'null', 'TLS on the HTTP port'],
  ...tlsRows('tls.http', 'the HTTP listener'),
  [
    'peerAuth',
    'mapping | null',
    'null',
    'shared-secret peer authentication; a raft listener off loopback needs this or tls.peer',
  ],
  [
    'peerAuth.secretFile',
    path,
    REQUIRED,
    'file holding the cluster secret (>= 16 bytes, the same on every node)',
  ],
  ['sidecar', 'mapping', '{}', 'sidecar mode, next to one Redis node'],
  [
    'sidecar.redis',
    `${id} | null`,
    yaml(DEFAULTS.sidecar.redis),
    'the local Redis node id; set: sidecar mode',
  ],
  [
    'sidecar.fenceAfterMs',
    `${ms}, or null`,
    yaml(DEFAULTS.sidecar.fenceAfterMs),
    `without a Raft majority this long, a local master refuses writes; at most ${FENCE_DOWN_FACTOR} x downAfterMs, null: that, capped at ${FENCE_MAX_DEFAULT_MS}`,
  ],
  ['hooks', 'mapping', '{}', 'executables run on events (no shell; a name on PATH or a path)'],
  [
    'hooks.onSwitchMaster',
    'executable | null',
    yaml(DEFAULTS.hooks.onSwitchMaster),
    'run when a new master is published',
  ],
  [
    'hooks.onFailoverEnd',
    'executable | null',
    yaml(DEFAULTS.hooks.onFailoverEnd),
    'run when a failover ends',
  ],
  ['hooks.timeoutMs', ms, yaml(DEFAULTS.hooks.timeoutMs), 'a hook still running after this is killed'],
  ['log', 'mapping', '{}', 'logging'],
  ['log.level', LOG_LEVELS.join(' | '), yaml(DEFAULTS.log.level), 'lowest level written'],
];

/** Every key of the config file, in file order. */
export function describeConfig(): ConfigKeyDoc[] {
  return rows.map(([key, type, def, description]) => ({ key, type, default: def, description }));
}

/** The reference as a Markdown table. */
export function configReferenceMarkdown(): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = ['| key | type | default | description |', '|---|---|---|---|'];
  for (const row of describeConfig()) {
    lines.push(`| \`${row.key}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}
