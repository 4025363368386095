// The vocabulary the failover engine shares with its parts (switchover.ts, promotion.ts) and
// with the shells that run its actions (driver.ts, the monitor's admin operations, the
// simulator): Redis operations and their results, the actions, the input of one update, and
// the narrow view of the engine (EngineCore) that its parts act through. Pure.
import type { NodeId } from '../raft/types.js';
import type { FailoverBugs } from './bugs.js';
import type { ObservationTable } from './observations.js';
import type { Topology } from './topology.js';
import type {
  CandidateReport,
  HostPort,
  RedisNodeSpec,
  RedisObservation,
  ShardState,
  TopologyCommand,
} from './types.js';

export type RedisOp =
  | { readonly kind: 'promote' }
  | { readonly kind: 'inspect' }
  | {
      readonly kind: 'replicaof';
      readonly host: string;
      readonly port: number;
      readonly killClients: boolean;
    }
  | { readonly kind: 'pause'; readonly ms: number }
  | { readonly kind: 'unpause' }
  | WriteSafetyOp;

/**
 * min-replicas-to-write and min-replicas-max-lag on a master (docs/design.md 4.6, 4.8): the
 * sidecar's fence (`minReplicas` FENCE_MIN_REPLICAS: every write refused, and kept in the config
 * file with `persist`, so the fence outlives the sidecar and a restart of Redis), the shard's
 * `minReplicasToWrite`, or null: lift a fence only, an operator's own value left as it is.
 */
export interface WriteSafetyOp {
  readonly kind: 'write-safety';
  readonly minReplicas: number | null;
  readonly maxLagS: number;
  readonly persist: boolean;
}

/** min-replicas-to-write of a fenced master: no master ever has this many good replicas. */
export const FENCE_MIN_REPLICAS = 1_000_000;

/** Redis's own default of min-replicas-max-lag (seconds), when the shard does not manage it. */
export const DEFAULT_MAX_LAG_S = 10;

/** The write-safety operation that gives a master the shard's own settings (a fence lifted). */
export function managedWriteSafety(
  settings: { readonly minReplicasToWrite?: number | null; readonly minReplicasMaxLagMs?: number },
  persist: boolean,
): WriteSafetyOp {
  return {
    kind: 'write-safety',
    minReplicas: settings.minReplicasToWrite ?? null,
    maxLagS: maxLagSeconds(settings),
    persist,
  };
}

/** min-replicas-max-lag in seconds (Redis's unit), at least 1: 0 would turn the check off. */
export function maxLagSeconds(settings: { readonly minReplicasMaxLagMs?: number }): number {
  const ms = settings.minReplicasMaxLagMs;
  return ms === undefined ? DEFAULT_MAX_LAG_S : Math.max(1, Math.ceil(ms / 1000));
}

export interface RedisOpResult {
  readonly ok: boolean;
  readonly error?: string;
  /** Present for inspect: the node's role, offset and replication id right now. */
  readonly view?: RedisObservation;
}

export type EngineAction =
  | { readonly type: 'propose'; readonly command: TopologyCommand }
  | {
      readonly type: 'redis';
      readonly opId: number;
      readonly shard: string;
      readonly node: RedisNodeSpec;
      readonly op: RedisOp;
    }
  | {
      readonly type: 'event';
      readonly name: string;
      readonly shard: string;
      readonly detail: Record<string, unknown>;
    }
  | { readonly type: 'switchover-done'; readonly requestId: number; readonly result: SwitchoverResult }
  /**
   * Leadership should move to one of `to` (observers that reach a node this leader cannot, best
   * first): the driver picks the first voter among them and transfers leadership to it.
   */
  | {
      readonly type: 'hand-over';
      readonly shard: string;
      readonly to: readonly string[];
      readonly reason: string;
    };

export interface EngineInput {
  /** Leader's monotonic ms, and wall-clock ms (only for what is committed and shown). */
  readonly now: number;
  readonly wallNow: number;
  readonly term: number;
  /** Leader of `term` and its no-op committed: it may act. */
  readonly leading: boolean;
  readonly voters: number;
  readonly topology: Topology;
  readonly observations: ObservationTable;
}

export interface SwitchoverResult {
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly report: DrillReport;
}

export interface DrillReport {
  readonly shard: string;
  readonly dryRun: boolean;
  readonly from: string | null;
  readonly to: string | null;
  readonly epoch: number | null;
  readonly candidates: CandidateReport | null;
  readonly writePauseMs: number | null;
  readonly masterOffset: number | null;
  readonly targetOffset: number | null;
  readonly repointed: readonly string[];
  readonly stepsMs: Readonly<Record<string, number>>;
}

/** Redis operations are retried at most this often per node. */
export const OP_RETRY_MS = 300;
/** Polls (INFO during a sequence) repeat at most this often. */
export const POLL_MS = 10;
/** An operation with no answer after this long is considered lost. */
export const OP_TIMEOUT_MS = 3000;

/** The last Redis operation sent to one node, and its result once known. */
export interface OpState {
  readonly opId: number;
  readonly op: RedisOp['kind'];
  readonly sentAt: number;
  result?: RedisOpResult;
  /** When the leader's engine first acted on `result` (monotonic ms): the answer came before. */
  answeredAt?: number;
}

/** What the engine's parts may do: everything goes through the engine's one action list. */
export interface EngineCore {
  readonly selfId: NodeId;
  readonly bugs: FailoverBugs;
  /** The last operation sent to `node` of `shard` (one at a time per node). */
  lastOp(shard: string, node: string): OpState | undefined;
  /** The id the next operation will get: every operation sent before has a lower one. */
  peekOpId(): number;
  /**
   * Sends a Redis operation to a node: one at a time per node, and the same kind again only
   * after minGapMs (retries), 0 for the next step of a sequence. Returns whether it was sent.
   */
  redis(input: EngineInput, shard: string, node: RedisNodeSpec, op: RedisOp, minGapMs?: number): boolean;
  /** Proposes a command, not twice in a row within a while. */
  propose(input: EngineInput, shard: string, command: TopologyCommand): void;
  switchoverDone(requestId: number, result: SwitchoverResult): void;
  /** The candidate report against the master `from`, as the engine builds it. */
  report(input: EngineInput, shard: ShardState, from: string | null): CandidateReport;
  /** The best current view of every node of the shard (null: no fresh reachable report). */
  views(input: EngineInput, shard: ShardState): Map<string, RedisObservation | null>;
  /**
   * The leader could not reach `node` to promote it (`now`, monotonic): it is not chosen again
   * for a while (AVOID_MS), the reason shown in the candidate report.
   */
  avoid(shard: string, node: string, now: number, reason: string): void;
  /** Asks for leadership to move to one of `to` (docs/design.md 4.4): see EngineAction 'hand-over'. */
  handOver(shard: string, to: readonly string[], reason: string): void;
}

/** How long a candidate the leader could not reach is passed over, in downAfterMs. */
export const AVOID_DOWN_FACTOR = 10;

export type FailoverInFlight = NonNullable<ShardState['failover']>;

/**
 * Whether a view shows a replica of this master: one that names it by any of its addresses (a
 * replica set up by hand may use the probe or the announce address; raftinel's REPLICAOF uses
 * the replication address).
 */
export function pointsAt(v: RedisObservation | null | undefined, master: RedisNodeSpec): boolean {
  if (!v || v.role !== 'slave') return false;
  const named = (a: HostPort | undefined): boolean => a?.host === v.masterHost && a.port === v.masterPort;
  return named(master) || named(master.replicationAddress) || named(master.announce);
}

/**
 * Whether a view shows a replica of this master: it names the master by one of its addresses, or
 * it names an address the shard does not list (NAT, a proxy, a host name raftinel was not given)
 * and its link is up on the master's own replication id (`masterReplId`), so the stream it
 * copies is the master's whatever its address is called. A replica naming another node of the
 * shard (a chained replica) follows that node, not this one.
 */
export function follows(
  v: RedisObservation | null | undefined,
  master: RedisNodeSpec,
  nodes: readonly RedisNodeSpec[],
  masterReplId: string | null | undefined,
): boolean {
  if (pointsAt(v, master)) return true;
  if (!v || v.role !== 'slave' || v.linkUp !== true || !masterReplId || v.replId !== masterReplId)
    return false;
  return !nodes.some((n) => n.id !== v.node && pointsAt(v, n));
}
