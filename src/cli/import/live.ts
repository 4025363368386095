// Reads a running Sentinel into a SentinelDeployment: SENTINEL MASTERS, REPLICAS and SENTINELS
// per master, and SENTINEL CONFIG GET * (a Sentinel answers plain CONFIG GET with "unknown
// command"). A running Sentinel never shows auth-pass or rename-command; those are listed as
// hidden, so the notes say to take them from sentinel.conf.
import { Redis } from 'ioredis';
import { formatHostPort, type HostPort } from '../../config/index.js';
import { discardConnection } from '../../util/redis-connection.js';
import type { GlobalSetting, SentinelDeployment, SentinelMaster } from './deployment.js';

export interface LiveOptions {
  readonly address: HostPort;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly timeoutMs?: number;
}

/** A flat [field, value, field, value, ...] reply as a record. */
export function fieldsOf(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const [k, v] = [reply[i], reply[i + 1]];
    if (typeof k === 'string' && typeof v === 'string') out[k] = v;
  }
  return out;
}

const num = (text: string | undefined): number | null =>
  text !== undefined && /^-?\d+$/.test(text) ? Number(text) : null;

/** SENTINEL CONFIG GET values that mean "not set". */
const UNSET: Readonly<Record<string, string>> = {
  'resolve-hostnames': 'no',
  'announce-hostnames': 'no',
  'announce-port': '0',
};

const HIDDEN = [
  {
    setting: 'sentinel auth-pass',
    why: 'a running Sentinel never shows it: import from sentinel.conf (--config), or set shards[].auth by hand',
  },
  {
    setting: 'sentinel rename-command',
    why: 'a running Sentinel never shows it: import from sentinel.conf (--config), or set shards[].renameCommands by hand',
  },
];

export async function readLiveSentinel(options: LiveOptions): Promise<SentinelDeployment> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const client = new Redis({
    host: options.address.host,
    port: options.address.port,
    username: options.username ?? undefined,
    password: options.password ?? undefined,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // ioredis rejects with "Connection is closed."; the socket's own error says why.
  let socketError: Error | null = null;
  client.on('error', (err: Error) => (socketError = err));
  try {
    await client.connect();
    const masters: SentinelMaster[] = [];
    for (const raw of (await client.call('SENTINEL', 'MASTERS')) as unknown[]) {
      const f = fieldsOf(raw);
      const name = f['name'];
      const replicas = ((await client.call('SENTINEL', 'REPLICAS', name)) as unknown[]).map(fieldsOf);
      const sentinels = ((await client.call('SENTINEL', 'SENTINELS', name)) as unknown[]).map(fieldsOf);
      masters.push({
        name,
        master: { host: f['ip'], port: Number(f['port']) },
        quorum: num(f['quorum']) ?? 1,
        downAfterMs: num(f['down-after-milliseconds']),
        failoverTimeoutMs: num(f['failover-timeout']),
        parallelSyncs: num(f['parallel-syncs']),
        authUser: null,
        authPass: null,
        renamedCommands: {},
        notificationScript: f['notification-script'] ?? null,
        clientReconfigScript: f['client-reconfig-script'] ?? null,
        masterRebootDownAfterMs: null,
        replicas: replicas.map((r) => ({
          host: r['ip'],
          port: Number(r['port']),
          priority: num(r['slave-priority'] ?? r['replica-priority']),
          flags: r['flags'] ?? null,
        })),
        sentinels: sentinels.map((s) => ({
          host: s['ip'],
          port: Number(s['port']),
          runId: s['runid'] ?? null,
        })),
        epochs: f['config-epoch'] !== undefined ? [`config-epoch ${f['config-epoch']}`] : [],
      });
    }
    const config = fieldsOf(await client.call('SENTINEL', 'CONFIG', 'GET', '*'));
    const settings: GlobalSetting[] = [{ name: 'port', args: [String(options.address.port)], line: null }];
    const secrets: Record<string, string> = {};
    for (const [name, value] of Object.entries(config)) {
      if (value === '' || value === UNSET[name]) continue; // Sentinel's default: nothing to map
      // sentinel-pass is a secret: never kept, never shown (the note says it is not mapped).
      settings.push({ name: `sentinel ${name}`, args: name === 'sentinel-pass' ? [] : [value], line: null });
    }
    return {
      source: formatHostPort(options.address.host, options.address.port),
      masters,
      settings,
      secrets,
      hidden: HIDDEN,
      unreadable: [],
    };
  } catch (err) {
    throw socketError ?? err;
  } finally {
    discardConnection(client);
  }
}
