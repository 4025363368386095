// Sentinel's instance records (SENTINEL MASTER/MASTERS/REPLICAS/SLAVES/SENTINELS): field names
// and order as redis-sentinel 7.0 sends them (addReplySentinelRedisInstance), values from this
// node's applied state and probes. Values Sentinel keeps and raftinel does not are derived as
// noted on each field; every value goes out as a bulk string.
import type { SentinelPeer, SentinelRedisNode, SentinelShard } from './source.js';

export type Field = readonly [string, string | number];

// Sentinel's flag order (SRI_* bits tested in this order).
const FLAG_ORDER = [
  's_down',
  'o_down',
  'master',
  'slave',
  'sentinel',
  'disconnected',
  'failover_in_progress',
] as const;
type Flag = (typeof FLAG_ORDER)[number];

function flagText(set: ReadonlySet<Flag>): string {
  return FLAG_ORDER.filter((f) => set.has(f)).join(',');
}

/** Sentinel's failover-state while failover_in_progress; raftinel does not expose its
 * sub-states here, so it reports the first one (`raftinel status` shows the real progress). */
export const FAILOVER_STATE = 'wait_start';

/** What the common head of a record needs about an instance. */
interface Probe {
  readonly sdown: boolean;
  readonly lastOkPingAgoMs: number;
  readonly disconnected: boolean;
}

function head(
  name: string,
  ip: string,
  port: number,
  runId: string,
  flags: ReadonlySet<Flag>,
  probe: Probe,
  downAfterMs: number,
  odown: boolean,
): Field[] {
  const fields: Field[] = [
    ['name', name],
    ['ip', ip],
    ['port', port],
    ['runid', runId],
    ['flags', flagText(flags)],
    // raftinel's probes are one request at a time on one link: nothing is ever pending.
    ['link-pending-commands', 0],
    ['link-refcount', 1],
  ];
  if (flags.has('failover_in_progress')) fields.push(['failover-state', FAILOVER_STATE]);
  // A ping is outstanding exactly when the last one did not come back.
  const awaiting = probe.sdown || probe.disconnected;
  fields.push(
    ['last-ping-sent', awaiting ? probe.lastOkPingAgoMs : 0],
    ['last-ok-ping-reply', probe.lastOkPingAgoMs],
    ['last-ping-reply', probe.lastOkPingAgoMs],
  );
  // Down since the first missed deadline: last good reply plus down-after.
  const downForMs = Math.max(0, probe.lastOkPingAgoMs - downAfterMs);
  if (flags.has('s_down')) fields.push(['s-down-time', probe.sdown ? downForMs : 0]);
  if (odown) fields.push(['o-down-time', downForMs]);
  fields.push(['down-after-milliseconds', downAfterMs]);
  return fields;
}

/** A shard without a committed master still gets a record (its name must stay listed); the
 * placeholder is down and disconnected so that no client uses it. */
const NO_MASTER: SentinelRedisNode = {
  host: '?',
  port: 0,
  runId: null,
  sdown: true,
  disconnected: true,
  roleReported: 'master',
  lastOkPingAgoMs: 0,
  infoRefreshAgoMs: 0,
  masterHost: null,
  masterPort: null,
  linkUp: null,
  linkDownMs: 0,
  priority: 0,
  replOffset: 0,
};

function dataNodeFields(node: SentinelRedisNode): Field[] {
  return [
    ['info-refresh', node.infoRefreshAgoMs],
    ['role-reported', node.roleReported],
    // raftinel refreshes the role with every INFO and does not track when it last changed.
    ['role-reported-time', node.infoRefreshAgoMs],
  ];
}

/**
 * The master record. `stale`: this node has no fresh leader, so it flags the master `s_down`
 * (its view is subjective and possibly old): redis-py and redis_exporter then skip this node.
 */
export function masterRecord(shard: SentinelShard, otherSentinels: number, stale: boolean): Field[] {
  const node = shard.master ?? NO_MASTER;
  const flags = new Set<Flag>(['master']);
  if (node.sdown || stale) flags.add('s_down');
  if (shard.odown) flags.add('o_down');
  if (node.disconnected) flags.add('disconnected');
  if (shard.failoverInProgress) flags.add('failover_in_progress');
  return [
    ...head(shard.name, node.host, node.port, node.runId ?? '', flags, node, shard.downAfterMs, shard.odown),
    ...dataNodeFields(node),
    ['config-epoch', shard.epoch],
    ['num-slaves', shard.replicas.length],
    ['num-other-sentinels', otherSentinels],
    ['quorum', shard.quorum],
    ['failover-timeout', shard.failoverTimeoutMs],
    ['parallel-syncs', shard.parallelSyncs],
  ];
}

export function replicaRecord(shard: SentinelShard, node: SentinelRedisNode): Field[] {
  const flags = new Set<Flag>(['slave']);
  if (node.sdown) flags.add('s_down');
  if (node.disconnected) flags.add('disconnected');
  return [
    ...head(
      `${node.host}:${node.port}`,
      node.host,
      node.port,
      node.runId ?? '',
      flags,
      node,
      shard.downAfterMs,
      false,
    ),
    ...dataNodeFields(node),
    ['master-link-down-time', node.linkDownMs],
    ['master-link-status', node.linkUp === true ? 'ok' : 'err'],
    ['master-host', node.masterHost ?? '?'],
    ['master-port', node.masterPort ?? 0],
    ['slave-priority', node.priority],
    ['slave-repl-offset', node.replOffset],
    // Sentinel hides replicas it learnt of but that do not announce themselves; raftinel lists
    // only the nodes of the committed topology, which are all announced.
    ['replica-announced', 1],
  ];
}

export function sentinelRecord(shard: SentinelShard, peer: SentinelPeer): Field[] {
  const up = peer.up ?? true;
  const contactMs = peer.lastContactMs ?? 0;
  const flags = new Set<Flag>(['sentinel']);
  if (!up) {
    flags.add('s_down');
    flags.add('disconnected');
  }
  const probe: Probe = { sdown: !up, disconnected: !up, lastOkPingAgoMs: contactMs };
  return [
    ...head(peer.runId, peer.host, peer.port, peer.runId, flags, probe, shard.downAfterMs, false),
    ['last-hello-message', contactMs],
    // Sentinel's leader vote; raftinel elects through Raft and has no per-shard vote to show.
    ['voted-leader', '?'],
    ['voted-leader-epoch', 0],
  ];
}

/** INFO's status of a shard: Sentinel's `ok|sdown|odown`. */
export function shardStatus(shard: SentinelShard, stale: boolean): 'ok' | 'sdown' | 'odown' {
  if (shard.odown) return 'odown';
  if (stale || shard.master === null || shard.master.sdown) return 'sdown';
  return 'ok';
}
