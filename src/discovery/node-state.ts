// The one source of what raftinel says about each Redis node and each shard (docs/design.md
// 5.3): `raftinel status`, GET /v1/shards, the watch streams, the health routes, SENTINEL
// MASTERS/REPLICAS and /metrics all read these records, so no surface can show a dead replica
// "up" while another shows it down. Pure: the inputs are the applied shard, this node's own
// observations, the quorum's sightings and the wall clock.
import type { NodeId } from '../raft/types.js';
import { pointsAt } from '../failover/engine-types.js';
import {
  clientAddressOf,
  type RedisNodeSpec,
  type RedisObservation,
  type ShardState,
} from '../failover/types.js';

/**
 * A Redis node's state, worst first: `odown` (a quorum of raftinel nodes sees the master down),
 * `sdown` (this node, or any observer, has had no valid reply for downAfterMs), `unreachable`
 * (this node misses replies, not yet for downAfterMs), `unsure` (this node's loop stalled: it
 * cannot vouch either way, TILT), `up`.
 */
export type NodeStatus = 'odown' | 'sdown' | 'unreachable' | 'unsure' | 'up';

/** A shard's state, worst first (see shardStatusOf). */
export type ShardStatus =
  | 'failover'
  | 'switchover'
  | 'no-master'
  | 'ambiguous'
  | 'odown'
  | 'sdown'
  | 'unreachable'
  | 'cooldown'
  | 'ok';

export const SHARD_STATUSES: readonly ShardStatus[] = [
  'failover',
  'switchover',
  'no-master',
  'ambiguous',
  'odown',
  'sdown',
  'unreachable',
  'cooldown',
  'ok',
];

export interface NodeState {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly priority: number;
  /** An operator put it in maintenance (`raftinel maintenance on`): never promoted. */
  readonly maintenance: boolean;
  /** The committed role: the shard's master, or one of its replicas. */
  readonly role: 'master' | 'replica';
  /** The role the node itself last reported to this node (ROLE), `unknown` before a reply. */
  readonly reportedRole: 'master' | 'slave' | 'unknown';
  readonly status: NodeStatus;
  /** This node got a valid reply within the last few probe intervals. */
  readonly reachable: boolean;
  /** SDOWN in this node's own view (Sentinel's `s_down`). */
  readonly sdown: boolean;
  readonly unsure: boolean;
  /** raftinel nodes that see it SDOWN, from the leader's table (else this node alone). */
  readonly sdownBy: readonly NodeId[];
  /** How many of them make it objectively down (the shard's quorum, at least 2 with 2+ voters). */
  readonly quorum: number;
  /**
   * master_link_status of a replica as it answers now; null when it is not reachable (its last
   * answer is not its link now), for the master, and before INFO/ROLE said.
   */
  readonly linkUp: boolean | null;
  readonly linkDownMs: number | null;
  /** Bytes behind the master's offset; null unless this replica answers and the master's offset is known. */
  readonly lagBytes: number | null;
  /** The node's offset (master_repl_offset, or a replica's processed offset), last seen. */
  readonly offset: number | null;
  readonly runId: string | null;
  readonly masterHost: string | null;
  readonly masterPort: number | null;
  /** Milliseconds since this node's last valid reply from it; null before one. */
  readonly lastOkAgoMs: number | null;
  /** Round trip of the last answered probe; null while unreachable (an old one is not current). */
  readonly probeRttMs: number | null;
}

export interface ShardNodeStates {
  readonly status: ShardStatus;
  /** Sentinel's `o_down` for the master record: a quorum sees it down, or its failover has not promoted yet. */
  readonly odown: boolean;
  readonly quorum: number;
  /** Wall-clock ms until which automatic failovers wait (after a published failover), or null when none. */
  readonly cooldownUntil: number | null;
  readonly paused: boolean;
  readonly master: NodeState | null;
  readonly replicas: readonly NodeState[];
}

export interface ShardStateInput {
  readonly shard: ShardState;
  /** The global pause (`POST /v1/pause`). */
  readonly pausedAll: boolean;
  /** This node's own latest observation of a Redis node of the shard. */
  readonly own: (node: string) => RedisObservation | null;
  /** The raftinel nodes that see a Redis node SDOWN (the leader's digest), or null when unknown. */
  readonly sdownBy: (node: string) => readonly NodeId[] | null;
  /** Observers needed for ODOWN (detect.ts odownNeeded). */
  readonly quorum: number;
  readonly selfId: NodeId;
  /** Wall-clock ms (the cooldown is committed on the leader's wall clock). */
  readonly wallNow: number;
}

export function shardNodeStates(input: ShardStateInput): ShardNodeStates {
  const { shard } = input;
  const masterSpec = shard.nodes.find((n) => n.id === shard.master) ?? null;
  const masterObs = masterSpec ? input.own(masterSpec.id) : null;
  const masterOffset = masterObs?.offset ?? null;
  // Holistic mode (4.2): no ODOWN while a replica still has its link to this master up; the
  // detector asks every observer, this node knows its own probes of the replicas.
  const replicaLinked =
    shard.settings.holistic &&
    masterSpec !== null &&
    shard.nodes.some((n) => {
      const o = n.id === masterSpec.id ? null : input.own(n.id);
      return o?.reachable === true && o.linkUp === true && pointsAt(o, masterSpec);
    });
  const odownAllowed = !replicaLinked;
  const master = masterSpec ? nodeState(masterSpec, 'master', masterObs, null, input, odownAllowed) : null;
  const replicas = shard.nodes
    .filter((n) => n.id !== shard.master)
    .map((n) => nodeState(n, 'replica', input.own(n.id), masterOffset, input, false));
  const cooldownUntil = shard.cooldownUntil > input.wallNow ? shard.cooldownUntil : null;
  const failoverBeforePromotion = shard.failover?.kind === 'failover' && shard.failover.step === 'started';
  return {
    status: shardStatusOf(shard, master, cooldownUntil),
    odown: master?.status === 'odown' || failoverBeforePromotion,
    quorum: input.quorum,
    cooldownUntil,
    paused: shard.paused || input.pausedAll,
    master,
    replicas,
  };
}

function nodeState(
  spec: RedisNodeSpec,
  role: 'master' | 'replica',
  own: RedisObservation | null,
  masterOffset: number | null,
  input: ShardStateInput,
  odownAllowed: boolean,
): NodeState {
  const reachable = own?.reachable ?? false;
  const sdown = own?.sdown ?? false;
  const unsure = own?.unsure ?? false;
  // Without a leader's digest this node speaks for itself only; with one, this node's own
  // verdict counts at once (the digest is up to half a second old).
  const reported = input.sdownBy(spec.id) ?? [];
  const here = sdown && !unsure && !reported.includes(input.selfId);
  const sdownBy = here ? [...reported, input.selfId].sort() : reported;
  const odown = odownAllowed && sdownBy.length >= input.quorum;
  const status: NodeStatus = odown
    ? 'odown'
    : sdown || sdownBy.length > 0
      ? 'sdown'
      : unsure
        ? 'unsure'
        : !reachable
          ? 'unreachable'
          : 'up';
  const linkUp = reachable && own?.role === 'slave' ? own.linkUp : null;
  // A node this node cannot reach has no current offset: its last one would show false lag.
  const lagBytes =
    role === 'replica' && reachable && own?.offset != null && masterOffset !== null
      ? Math.max(0, masterOffset - own.offset)
      : null;
  return {
    id: spec.id,
    // What clients are told: every surface that reads this gives out the announce address.
    host: clientAddressOf(spec).host,
    port: clientAddressOf(spec).port,
    priority: spec.priority,
    maintenance: input.shard.maintenance?.includes(spec.id) ?? false,
    role,
    reportedRole: own?.role ?? 'unknown',
    status,
    reachable,
    sdown,
    unsure,
    sdownBy,
    quorum: input.quorum,
    linkUp,
    linkDownMs: linkUp === false ? (own?.linkDownMs ?? null) : null,
    lagBytes,
    offset: own?.offset ?? null,
    runId: own?.runId ?? null,
    masterHost: own?.masterHost ?? null,
    masterPort: own?.masterPort ?? null,
    lastOkAgoMs: own?.lastOkAgoMs ?? null,
    probeRttMs: reachable ? (own?.probeRttMs ?? null) : null,
  };
}

/**
 * Worst first: a failover or switchover in flight; no master (bootstrap refused an ambiguous
 * topology, or none adopted yet); the master odown, sdown, unreachable (as its node status);
 * the cooldown after a published failover (automatic failovers wait); ok.
 */
export function shardStatusOf(
  shard: ShardState,
  master: NodeState | null,
  cooldownUntil: number | null,
): ShardStatus {
  if (shard.failover) return shard.failover.kind;
  if (shard.master === null || master === null)
    return shard.problem?.startsWith('ambiguous') ? 'ambiguous' : 'no-master';
  if (master.status === 'odown' || master.status === 'sdown' || master.status === 'unreachable')
    return master.status;
  if (cooldownUntil !== null) return 'cooldown';
  return 'ok';
}
