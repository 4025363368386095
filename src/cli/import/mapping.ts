// The mapping from a Sentinel deployment to a raftinel config (docs/migration.md): pure, so the
// unit tests check every setting. Every setting found is either mapped (with where it went) or
// listed as not mapped with why. Secrets never enter the document or a note: each goes to a
// file of its own that the config names (`passwordFile`).
import { formatHostPort, ID_PATTERN, parseHostPort } from '../../config/index.js';
import { RENAMEABLE_COMMANDS } from '../../config/schema.js';
import {
  SENTINEL_DEFAULTS,
  type GlobalSetting,
  type SentinelAddress,
  type SentinelDeployment,
  type SentinelMaster,
} from './deployment.js';

export interface ImportOptions {
  readonly cluster: string;
  readonly nodeId: string;
  /** The raftinel voters; null: this node alone (add the others before the first start). */
  readonly peers: readonly { readonly id: string; readonly raft: string }[] | null;
  /** Listen addresses; absent ones follow the Sentinel's bind and port (http +1, raft +2). */
  readonly listen: { readonly sentinel?: string; readonly http?: string; readonly raft?: string };
}

export type NoteStatus = 'mapped' | 'default' | 'not-mapped';

export interface MappingNote {
  /** The Sentinel setting, as written in sentinel.conf (`sentinel down-after-milliseconds`). */
  readonly setting: string;
  /** The master (shard) it belongs to; null for the Sentinel process's own settings. */
  readonly shard: string | null;
  readonly status: NoteStatus;
  /** The raftinel key it went to (`shards[0].downAfterMs`), or null. */
  readonly to: string | null;
  readonly why: string;
}

export interface SecretFile {
  /** Relative to the config file's folder, as the config names it. */
  readonly path: string;
  readonly value: string;
  readonly what: string;
}

export interface ImportResult {
  readonly document: Record<string, unknown>;
  readonly secretFiles: readonly SecretFile[];
  readonly notes: readonly MappingNote[];
}

const LOOPBACK = '127.0.0.1';
const WILDCARDS = new Set(['*', '-*', '0.0.0.0', '::', '-::*', '::*']);

/** Redis loglevel -> raftinel log.level. */
const LOG_LEVEL_OF: Readonly<Record<string, string>> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'fatal',
};

/** Sentinel process settings with no raftinel equivalent, and why. */
const NOT_MAPPED_WHY: Readonly<Record<string, string>> = {
  'sentinel myid': 'raftinel node ids are names given in the config (node.id, peers)',
  'sentinel current-epoch':
    "raftinel's epochs are its own, committed in its Raft log; they start anew (the live topology is adopted at bootstrap)",
  'sentinel deny-scripts-reconfig':
    'raftinel hooks are set only in the config file, never at run time (as deny-scripts-reconfig yes)',
  'sentinel sentinel-user': 'raftinel nodes authenticate each other with peerAuth.secretFile or tls.peer',
  'sentinel sentinel-pass':
    'raftinel nodes authenticate each other with peerAuth.secretFile or tls.peer (the password is not copied)',
  'sentinel resolve-hostnames':
    'raftinel takes host names in shards[].nodes[].host as they are, and re-resolves them',
  'sentinel announce-hostnames': 'raftinel publishes each Redis node as its config names it (host)',
  daemonize: 'raftinel runs in the foreground; a service manager (deploy/) runs it',
  supervised: 'raftinel runs in the foreground; a service manager (deploy/) runs it',
  pidfile: 'raftinel runs in the foreground; a service manager (deploy/) runs it',
  logfile: 'raftinel logs JSON lines to stdout; the service manager keeps them',
  dir: "raftinel's state lives in node.dataDir",
  'protected-mode':
    'raftinel refuses admin requests from off loopback without admin.tokenFile; client AUTH is clients.auth',
  user: 'raftinel has one client user (clients.auth); ACL users of the Sentinel process are not copied',
  'latency-tracking-info-percentiles': 'a Redis server setting with no meaning for raftinel',
};

const TLS_WHY =
  'TLS files are not copied: set tls.sentinel (the RESP listener) and shards[].tls (to Redis) by hand (docs/design.md 6a)';

export function mapDeployment(deployment: SentinelDeployment, options: ImportOptions): ImportResult {
  const notes: MappingNote[] = [];
  const secretFiles: SecretFile[] = [];
  const note = (
    setting: string,
    shard: string | null,
    status: NoteStatus,
    to: string | null,
    why: string,
  ): void => {
    notes.push({ setting, shard, status, to, why });
  };

  const node = mapNode(deployment.settings, options, note);
  const peers = options.peers ?? [{ id: options.nodeId, raft: node.listen.raft }];
  const document: Record<string, unknown> = {
    cluster: options.cluster,
    node: {
      id: options.nodeId,
      dataDir: `./data/${options.nodeId}`,
      listen: node.listen,
      ...(Object.keys(node.announce).length > 0 ? { announce: node.announce } : {}),
    },
    peers: peers.map((p) => ({ id: p.id, raft: p.raft })),
    shards: [] as unknown[],
  };

  const hooks: { onSwitchMaster?: string } = {};
  const shards = deployment.masters.map((m, index) =>
    mapMaster(m, index, deployment.masters.length, peers.length, note, secretFiles, hooks),
  );
  document.shards = shards;
  if (hooks.onSwitchMaster !== undefined) document.hooks = { onSwitchMaster: hooks.onSwitchMaster };

  const requirepass = deployment.secrets['requirepass'];
  if (requirepass !== undefined) {
    secretFiles.push({ path: './clients.pass', value: requirepass, what: 'requirepass (client AUTH)' });
    document.clients = { auth: { username: null, passwordFile: './clients.pass' } };
    note(
      'requirepass',
      null,
      'mapped',
      'clients.auth',
      'written to ./clients.pass (mode 0600), never printed',
    );
  }
  if (node.logLevel !== null) document.log = { level: node.logLevel };

  if (deployment.masters.length === 0) {
    note(
      'sentinel monitor',
      null,
      'not-mapped',
      null,
      'no master is monitored: a raftinel config needs a shard',
    );
  }
  for (const h of deployment.hidden) note(h.setting, null, 'not-mapped', null, h.why);
  for (const u of deployment.unreadable) {
    note(u.text, null, 'not-mapped', null, `line ${u.line} could not be read: ${u.why}`);
  }
  return { document, secretFiles, notes };
}

interface NodePart {
  listen: { sentinel: string; http: string; raft: string };
  announce: { host?: string; sentinel?: string };
  logLevel: string | null;
}

function mapNode(
  settings: readonly GlobalSetting[],
  options: ImportOptions,
  note: (s: string, shard: null, st: NoteStatus, to: string | null, why: string) => void,
): NodePart {
  const last = (name: string): GlobalSetting | undefined => settings.filter((s) => s.name === name).at(-1);
  const portSetting = last('port');
  const port = portSetting !== undefined ? Number(portSetting.args[0]) : SENTINEL_DEFAULTS.port;
  const bind = last('bind');
  let host = LOOPBACK;
  if (bind !== undefined) {
    const specific = bind.args.map((a) => a.replace(/^-/, '')).find((a) => !WILDCARDS.has(a));
    if (specific !== undefined) {
      host = specific;
      note('bind', null, 'mapped', 'node.listen', `raftinel's listeners use ${specific}`);
    } else {
      note(
        'bind',
        null,
        'not-mapped',
        null,
        `all interfaces: raftinel listens on ${LOOPBACK} until node.listen says otherwise`,
      );
    }
  }
  const sentinelListen = options.listen.sentinel ?? formatHostPort(host, port);
  const base = parseHostPort(sentinelListen);
  const at = (offset: number): string =>
    base === null ? sentinelListen : formatHostPort(base.host, base.port + offset);
  const listen = {
    sentinel: sentinelListen,
    http: options.listen.http ?? at(1),
    raft: options.listen.raft ?? at(2),
  };
  if (portSetting !== undefined) {
    note(
      'port',
      null,
      'mapped',
      'node.listen.sentinel',
      `clients keep asking the same port (${listen.sentinel})`,
    );
  }

  const announce: { host?: string; sentinel?: string } = {};
  const announceIp = last('sentinel announce-ip')?.args[0] ?? '';
  const announcePort = Number(last('sentinel announce-port')?.args[0] ?? '0');
  if (announceIp !== '') {
    announce.host = announceIp;
    note('sentinel announce-ip', null, 'mapped', 'node.announce.host', 'announced with each listen port');
  }
  if (announcePort > 0) {
    const listenHost = parseHostPort(listen.sentinel)?.host ?? host;
    announce.sentinel = formatHostPort(announceIp !== '' ? announceIp : listenHost, announcePort);
    note(
      'sentinel announce-port',
      null,
      'mapped',
      'node.announce.sentinel',
      `announced as ${announce.sentinel}`,
    );
  } else if (last('sentinel announce-port') !== undefined) {
    note(
      'sentinel announce-port',
      null,
      'default',
      null,
      '0: the listen port is announced, as Sentinel does',
    );
  }

  let logLevel: string | null = null;
  const loglevel = last('loglevel');
  if (loglevel !== undefined) {
    logLevel = LOG_LEVEL_OF[loglevel.args[0]?.toLowerCase() ?? ''] ?? null;
    if (logLevel !== null)
      note('loglevel', null, 'mapped', 'log.level', `${loglevel.args[0]} -> ${logLevel}`);
    else note('loglevel', null, 'not-mapped', null, `unknown level ${loglevel.args[0] ?? ''}`);
  }

  const seen = new Set<string>();
  for (const s of settings) {
    if (['port', 'bind', 'loglevel', 'sentinel announce-ip', 'sentinel announce-port'].includes(s.name))
      continue;
    if (s.name === 'requirepass') continue; // mapped with the secrets
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    const why = s.name.startsWith('tls-')
      ? TLS_WHY
      : (NOT_MAPPED_WHY[s.name] ??
        (s.name.startsWith('sentinel ')
          ? 'a Sentinel directive with no raftinel equivalent'
          : 'a Redis server setting of the Sentinel process, with no raftinel equivalent'));
    note(s.name, null, 'not-mapped', null, why);
  }
  return { listen, announce, logLevel };
}

function mapMaster(
  m: SentinelMaster,
  index: number,
  masterCount: number,
  peerCount: number,
  note: (s: string, shard: string | null, st: NoteStatus, to: string | null, why: string) => void,
  secretFiles: SecretFile[],
  hooks: { onSwitchMaster?: string },
): Record<string, unknown> {
  const name = ID_PATTERN.test(m.name)
    ? m.name
    : m.name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'shard';
  const key = `shards[${index}]`;
  const say = (setting: string, status: NoteStatus, to: string | null, why: string): void =>
    note(setting, m.name, status, to === null ? null : `${key}.${to}`, why);
  if (name !== m.name) {
    say(
      'sentinel monitor',
      'mapped',
      'name',
      `"${m.name}" is not a raftinel shard name: renamed "${name}"; clients asking for "${m.name}" must ask for "${name}"`,
    );
  }

  const prefix = masterCount === 1 ? '' : `${name.slice(0, 56)}-`;
  const nodes: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const add = (a: SentinelAddress, priority: number | null): string => {
    const id = `${prefix}r${nodes.length + 1}`;
    seen.add(addressKey(a));
    nodes.push({
      id,
      host: a.host,
      port: a.port,
      ...(priority !== null && priority !== 100 ? { priority } : {}),
    });
    return id;
  };
  const masterId = add(m.master, null);
  say(
    'sentinel monitor',
    'mapped',
    'nodes',
    `the master ${formatHostPort(m.master.host, m.master.port)} is ${masterId} (initialMaster)`,
  );
  for (const r of m.replicas) {
    if (seen.has(addressKey(r))) continue;
    const id = add(r, r.priority);
    const down =
      r.flags !== null && /s_down|o_down|disconnected/.test(r.flags)
        ? ` (flags ${r.flags} when imported)`
        : '';
    const priority =
      r.priority === 0
        ? ', replica-priority 0: never promoted'
        : r.priority !== null && r.priority !== 100
          ? `, replica-priority ${r.priority}`
          : '';
    say(
      'sentinel known-replica',
      'mapped',
      'nodes',
      `${formatHostPort(r.host, r.port)} is ${id}${priority}${down}`,
    );
  }
  if (m.replicas.length === 0) {
    say(
      'sentinel known-replica',
      'not-mapped',
      null,
      'no replica known: add the replicas to the shard before the first start',
    );
  }

  const shard: Record<string, unknown> = { name, nodes, initialMaster: masterId };

  if (m.quorum >= 2 && m.quorum <= peerCount) {
    shard.quorum = m.quorum;
    say('quorum', 'mapped', 'quorum', `${m.quorum} raftinel nodes must see the master down`);
  } else {
    shard.quorum = 'majority';
    say(
      'quorum',
      'mapped',
      'quorum',
      `Sentinel's quorum ${m.quorum} does not fit ${peerCount} raftinel peer${peerCount === 1 ? '' : 's'} (2..peers): "majority" used`,
    );
  }

  shard.downAfterMs = m.downAfterMs ?? SENTINEL_DEFAULTS.downAfterMs;
  say(
    'sentinel down-after-milliseconds',
    m.downAfterMs === null ? 'default' : 'mapped',
    'downAfterMs',
    m.downAfterMs === null
      ? `not set: Sentinel's default ${SENTINEL_DEFAULTS.downAfterMs} kept`
      : `${m.downAfterMs} ms`,
  );
  shard.failoverTimeoutMs = m.failoverTimeoutMs ?? SENTINEL_DEFAULTS.failoverTimeoutMs;
  say(
    'sentinel failover-timeout',
    m.failoverTimeoutMs === null ? 'default' : 'mapped',
    'failoverTimeoutMs',
    (m.failoverTimeoutMs === null
      ? `not set: Sentinel's default ${SENTINEL_DEFAULTS.failoverTimeoutMs} kept`
      : `${m.failoverTimeoutMs} ms`) +
      "; Sentinel's wait of 2 x failover-timeout before trying the same master again is failoverCooldownMs (default 60000) plus ack",
  );
  const syncs = m.parallelSyncs ?? SENTINEL_DEFAULTS.parallelSyncs;
  shard.parallelSyncs = Math.max(1, syncs);
  say(
    'sentinel parallel-syncs',
    m.parallelSyncs === null ? 'default' : 'mapped',
    'parallelSyncs',
    syncs < 1 ? `${syncs}: raftinel repoints at least 1 replica at a time` : `${syncs}`,
  );
  shard.selection = 'priority-first';
  say(
    'replica choice',
    'mapped',
    'selection',
    "priority-first: Sentinel's order (replica-priority, then offset)",
  );

  if (m.authPass !== null) {
    const path = `./${name}.redis.pass`;
    secretFiles.push({ path, value: m.authPass, what: `auth-pass of ${m.name}` });
    shard.auth = { username: m.authUser, passwordFile: path };
    say('sentinel auth-pass', 'mapped', 'auth.passwordFile', `written to ${path} (mode 0600), never printed`);
    if (m.authUser !== null) say('sentinel auth-user', 'mapped', 'auth.username', m.authUser);
  } else if (m.authUser !== null) {
    say(
      'sentinel auth-user',
      'not-mapped',
      null,
      'auth-user without auth-pass: the password is unknown; set shards[].auth by hand',
    );
  }

  const renames: Record<string, string> = {};
  for (const [original, renamed] of Object.entries(m.renamedCommands)) {
    if ((RENAMEABLE_COMMANDS as readonly string[]).includes(original)) {
      renames[original] = renamed;
      say(
        `sentinel rename-command ${original}`,
        'mapped',
        `renameCommands.${original}`,
        renamed === '' ? 'disabled on these nodes' : renamed,
      );
    } else if (original === 'SLAVEOF') {
      say(
        'sentinel rename-command SLAVEOF',
        'not-mapped',
        null,
        'raftinel sends REPLICAOF, not SLAVEOF: if REPLICAOF is renamed on these nodes too, set renameCommands.REPLICAOF',
      );
    } else if (['PING', 'INFO', 'ROLE'].includes(original)) {
      say(
        `sentinel rename-command ${original}`,
        'not-mapped',
        null,
        `raftinel's prober sends ${original} under its own name: it must not be renamed on the Redis nodes`,
      );
    } else {
      say(`sentinel rename-command ${original}`, 'not-mapped', null, `raftinel never sends ${original}`);
    }
  }
  if (Object.keys(renames).length > 0) shard.renameCommands = renames;

  if (m.clientReconfigScript !== null) {
    if (hooks.onSwitchMaster === undefined) {
      hooks.onSwitchMaster = m.clientReconfigScript;
      say(
        'sentinel client-reconfig-script',
        'mapped',
        null,
        'hooks.onSwitchMaster (the same arguments, state "start")',
      );
    } else if (hooks.onSwitchMaster !== m.clientReconfigScript) {
      say(
        'sentinel client-reconfig-script',
        'not-mapped',
        null,
        `raftinel has one hooks.onSwitchMaster for all shards (${hooks.onSwitchMaster} kept)`,
      );
    }
  }
  if (m.notificationScript !== null) {
    say(
      'sentinel notification-script',
      'not-mapped',
      null,
      'raftinel runs no script per event: subscribe to its events on the RESP port, or read its log lines (same event names)',
    );
  }
  if (m.masterRebootDownAfterMs !== null) {
    say(
      'sentinel master-reboot-down-after-period',
      'not-mapped',
      null,
      'raftinel fails over a master that restarted empty at once, without waiting (docs/design.md 4)',
    );
  }
  for (const epoch of m.epochs) {
    say(`sentinel ${epoch.split(' ')[0]}`, 'not-mapped', null, NOT_MAPPED_WHY['sentinel current-epoch']);
  }
  if (m.sentinels.length > 0) {
    const where = m.sentinels.map((s) => formatHostPort(s.host, s.port)).join(', ');
    say(
      'sentinel known-sentinel',
      'not-mapped',
      null,
      `raftinel nodes agree through Raft and are listed in peers; the other Sentinels (${where}) show where to run the other raftinel nodes (--peers)`,
    );
  }
  return shard;
}

function addressKey(a: SentinelAddress): string {
  return `${a.host.toLowerCase()}:${a.port}`;
}
