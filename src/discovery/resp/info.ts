// INFO as redis-sentinel 7.0 answers it: sections Server, Clients, Stats, CPU, Sentinel, with
// the same field names in the same order (redis_exporter and monitoring scripts parse them).
// Fields about Redis internals raftinel does not have (keyspace, defrag, forks...) are 0.
import os from 'node:os';
import type { ServerFacts } from './commands/types.js';
import { shardStatus } from './records.js';
import type { SentinelSource } from './source.js';

/** The Redis Sentinel version whose protocol and fields raftinel reproduces. */
export const REDIS_COMPAT_VERSION = '7.0.15';

type Lines = readonly (readonly [string, string | number])[];

const SECTIONS = ['server', 'clients', 'stats', 'cpu', 'sentinel'] as const;
type Section = (typeof SECTIONS)[number];

/** Which sections `INFO [section ...]` asks for, in Redis's fixed output order. */
export function selectSections(args: readonly string[]): Section[] {
  const asked = new Set(args.map((a) => a.toLowerCase()));
  if (asked.size === 0 || asked.has('all') || asked.has('everything') || asked.has('default'))
    return [...SECTIONS];
  return SECTIONS.filter((s) => asked.has(s));
}

export function infoText(sections: readonly Section[], source: SentinelSource, server: ServerFacts): string {
  return sections.map((s) => render(TITLES[s], BUILDERS[s](source, server))).join('\r\n');
}

const TITLES: Record<Section, string> = {
  server: 'Server',
  clients: 'Clients',
  stats: 'Stats',
  cpu: 'CPU',
  sentinel: 'Sentinel',
};

function render(title: string, lines: Lines): string {
  return `# ${title}\r\n${lines.map(([k, v]) => `${k}:${v}\r\n`).join('')}`;
}

const BUILDERS: Record<Section, (source: SentinelSource, server: ServerFacts) => Lines> = {
  server: (_source, server) => {
    const nowMs = Date.now();
    const uptimeS = Math.floor((nowMs - server.startedAtMs) / 1000);
    return [
      ['redis_version', REDIS_COMPAT_VERSION],
      ['redis_git_sha1', '00000000'],
      ['redis_git_dirty', 0],
      // "raftinel" in hex: a build id of the same form that tells who answers.
      ['redis_build_id', Buffer.from('raftinel').toString('hex')],
      ['redis_mode', 'sentinel'],
      ['os', `${os.type()} ${os.release()} ${os.machine()}`],
      ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
      ['monotonic_clock', 'POSIX clock_gettime'],
      ['multiplexing_api', 'libuv'],
      ['atomicvar_api', 'c11-builtin'],
      ['gcc_version', '0.0.0'],
      ['process_id', process.pid],
      ['process_supervised', 'no'],
      ['run_id', server.runId],
      ['tcp_port', server.port()],
      ['server_time_usec', nowMs * 1000],
      ['uptime_in_seconds', uptimeS],
      ['uptime_in_days', Math.floor(uptimeS / 86400)],
      ['hz', 10],
      ['configured_hz', 10],
      ['lru_clock', Math.floor(nowMs / 1000) & 0xffffff],
      ['executable', process.argv[1] ?? process.execPath],
      ['config_file', ''],
      ['io_threads_active', 0],
    ];
  },
  clients: (_source, server) => [
    ['connected_clients', server.connectedClients()],
    ['cluster_connections', 0],
    ['maxclients', server.maxClients],
    ['client_recent_max_input_buffer', 0],
    ['client_recent_max_output_buffer', 0],
    ['blocked_clients', 0],
    ['tracking_clients', 0],
    ['clients_in_timeout_table', 0],
  ],
  stats: (_source, server) => statsLines(server),
  cpu: () => {
    const usage = process.cpuUsage();
    const sys = (usage.system / 1e6).toFixed(6);
    const user = (usage.user / 1e6).toFixed(6);
    return [
      ['used_cpu_sys', sys],
      ['used_cpu_user', user],
      ['used_cpu_sys_children', '0.000000'],
      ['used_cpu_user_children', '0.000000'],
      ['used_cpu_sys_main_thread', sys],
      ['used_cpu_user_main_thread', user],
    ];
  },
  sentinel: (source) => sentinelLines(source),
};

// Redis's Stats fields in its order; those raftinel has no counterpart for (keyspace, forks,
// replication, defrag) stay 0, or 0.00 where Redis prints a rate.
const STATS_FIELDS = [
  'total_connections_received',
  'total_commands_processed',
  'instantaneous_ops_per_sec',
  'total_net_input_bytes',
  'total_net_output_bytes',
  'total_net_repl_input_bytes',
  'total_net_repl_output_bytes',
  'instantaneous_input_kbps',
  'instantaneous_output_kbps',
  'instantaneous_input_repl_kbps',
  'instantaneous_output_repl_kbps',
  'rejected_connections',
  'sync_full',
  'sync_partial_ok',
  'sync_partial_err',
  'expired_keys',
  'expired_stale_perc',
  'expired_time_cap_reached_count',
  'expire_cycle_cpu_milliseconds',
  'evicted_keys',
  'evicted_clients',
  'total_eviction_exceeded_time',
  'current_eviction_exceeded_time',
  'keyspace_hits',
  'keyspace_misses',
  'pubsub_channels',
  'pubsub_patterns',
  'pubsubshard_channels',
  'latest_fork_usec',
  'total_forks',
  'migrate_cached_sockets',
  'slave_expires_tracked_keys',
  'active_defrag_hits',
  'active_defrag_misses',
  'active_defrag_key_hits',
  'active_defrag_key_misses',
  'total_active_defrag_time',
  'current_active_defrag_time',
  'tracking_total_keys',
  'tracking_total_items',
  'tracking_total_prefixes',
  'unexpected_error_replies',
  'total_error_replies',
  'dump_payload_sanitizations',
  'total_reads_processed',
  'total_writes_processed',
  'io_threaded_reads_processed',
  'io_threaded_writes_processed',
  'reply_buffer_shrinks',
  'reply_buffer_expands',
] as const;

const isRate = (name: string): boolean => name.endsWith('_kbps') || name.endsWith('_perc');

function statsLines(server: ServerFacts): Lines {
  const s = server.stats;
  const pubsub = server.pubsub();
  const known: Partial<Record<(typeof STATS_FIELDS)[number], number>> = {
    total_connections_received: s.connectionsReceived,
    total_commands_processed: s.commandsProcessed,
    total_net_input_bytes: s.netInputBytes,
    total_net_output_bytes: s.netOutputBytes,
    rejected_connections: s.rejectedConnections,
    pubsub_channels: pubsub.channels,
    pubsub_patterns: pubsub.patterns,
    total_error_replies: s.errorReplies,
  };
  return STATS_FIELDS.map((name) => [name, known[name] ?? (isRate(name) ? '0.00' : 0)] as const);
}

function sentinelLines(source: SentinelSource): Lines {
  const shards = source.shards();
  const stale = !source.hasFreshLeader();
  const sentinels = source.sentinels().length + 1; // Sentinel counts itself here
  return [
    ['sentinel_masters', shards.length],
    // raftinel has no TILT mode: its timers are monotonic, and Raft handles pauses.
    ['sentinel_tilt', 0],
    ['sentinel_tilt_since_seconds', -1],
    ['sentinel_running_scripts', 0],
    ['sentinel_scripts_queue_length', 0],
    ['sentinel_simulate_failure_flags', 0],
    ...shards.map((shard, i) => {
      const address = shard.master ? `${shard.master.host}:${shard.master.port}` : '?:0';
      const value = `name=${shard.name},status=${shardStatus(shard, stale)},address=${address},slaves=${shard.replicas.length},sentinels=${sentinels}`;
      return [`master${i}`, value] as const;
    }),
  ];
}
