// The vocabulary of failover: the replicated topology of each shard, what observers see of
// each Redis node, the candidate report, and the commands committed through the Raft log.
import type { ShardSettings } from '../config/core.js';
import type { NodeId } from '../raft/types.js';

export type { ShardSettings } from '../config/core.js';
export type RedisNodeId = string;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * A Redis node. `host:port` is where raftinel probes and commands it; a node behind NAT, a proxy
 * or a pod network may be reached by its replicas and by clients at other addresses.
 */
export interface RedisNodeSpec {
  readonly id: RedisNodeId;
  readonly host: string;
  readonly port: number;
  /** Lower wins under priority-first; 0 means never promote. */
  readonly priority: number;
  readonly noFailover: boolean;
  /** Where its replicas reach it: the REPLICAOF address, and how they name their master. Absent: host:port. */
  readonly replicationAddress?: HostPort;
  /** What clients are told (discovery answers, Sentinel events), as Sentinel's announce-ip/-port. Absent: host:port. */
  readonly announce?: HostPort;
}

/** The address replicas of this node use (REPLICAOF, and master_host/master_port in their INFO). */
export function replicationAddressOf(n: RedisNodeSpec): HostPort {
  return n.replicationAddress ?? n;
}

/** The address clients are given for this node. */
export function clientAddressOf(n: RedisNodeSpec): HostPort {
  return n.announce ?? n;
}

export type FailoverKind = 'failover' | 'switchover';

/** A failover or switchover between FailoverStarted and FailoverEnded/Aborted. */
export interface InFlight {
  readonly epoch: number;
  readonly kind: FailoverKind;
  readonly from: RedisNodeId | null;
  readonly to: RedisNodeId;
  /** started: REPLICAOF NO ONE may be sent; promoted: clients were told; repoint the rest. */
  readonly step: 'started' | 'promoted';
  /** Raft term of the latest entry of this failover: only that term's leader acts on it. */
  readonly term: number;
  /** Wall-clock ms (the leader's, committed): detection, FailoverStarted, Promoted. */
  readonly detectedAt: number;
  readonly startedAt: number;
  readonly promotedAt: number | null;
  readonly report: CandidateReport;
  /**
   * The target's history is not verified: an operator's failover that accepted data loss, or
   * one that adopts the history that replaced a lost one (FailoverStarted `adoptHistory`).
   */
  readonly allowDataLoss?: boolean;
  /** The history the target is verified on instead of the shard's (FailoverStarted `history`). */
  readonly history?: string;
  /** Replicas known at the decision to have resynced from the failed master (see HistoryEntry). */
  readonly resynced?: readonly RedisNodeId[];
}

export interface ShardState {
  readonly name: string;
  readonly nodes: readonly RedisNodeSpec[];
  readonly settings: ShardSettings;
  readonly initialMaster: RedisNodeId | null;
  readonly master: RedisNodeId | null;
  readonly epoch: number;
  /** master_replid of the committed master: replicas on another history are never promoted. */
  readonly replId: string | null;
  /**
   * Replicas that a fresh INFO showed off `replId` when they were about to be promoted (they
   * had full-synced from a master that restarted empty): never candidates while `replId` stays
   * the shard's history, even if an older observation still says otherwise. Emptied whenever
   * `replId` changes. Absent in state written before it existed.
   */
  readonly lostHistory?: readonly RedisNodeId[];
  /** Wall-clock ms (committed) of the latest addition to `lostHistory`; absent before one. */
  readonly lostHistoryAt?: number;
  readonly failover: InFlight | null;
  readonly paused: boolean;
  /**
   * Nodes an operator put in maintenance (`raftinel maintenance on`): never promoted, and while
   * the master is one of them no automatic failover of the shard starts. Absent: none.
   */
  readonly maintenance?: readonly RedisNodeId[];
  /** Wall-clock ms (leader's clock, committed) until which automatic failovers wait, unless acked. */
  readonly cooldownUntil: number;
  /**
   * Why the shard has no master yet (bootstrap refused an ambiguous topology), or, on a shard
   * with a master, what a kept master lost (masterKept) until an operator's ack; else null.
   */
  readonly problem: string | null;
}

export interface TimelineMs {
  readonly detected?: number;
  readonly committed?: number;
  readonly promoted?: number;
  readonly published?: number;
  readonly repointed?: number;
  /** The first replica seen following the new master (absent when none did, or after a leader change). */
  readonly firstRepointed?: number;
  readonly ended?: number;
  readonly writesPausedMs?: number;
}

export interface HistoryEntry {
  readonly shard: string;
  readonly epoch: number;
  readonly kind: FailoverKind;
  readonly from: RedisNodeId | null;
  readonly to: RedisNodeId;
  readonly result: 'ended' | 'aborted';
  readonly reason: string | null;
  /** Wall-clock ms at detection (or at the operator's request). */
  readonly at: number;
  /** Milliseconds from detection to each step. */
  readonly timeline: TimelineMs;
  readonly report: CandidateReport;
  readonly repointed: readonly RedisNodeId[];
  /**
   * Replicas that full-synced from the failed master after it restarted without its data (docs/design.md
   * 4.5): their data is the restarted master's, so none of them was promoted. Absent in entries
   * written before it existed.
   */
  readonly resynced?: readonly RedisNodeId[];
}

/** Why a replica is rejected as a candidate, as a code to act on (the reason says it in words). */
export type RejectionCode =
  | 'unreachable'
  | 'unusable'
  | 'sdown'
  | 'priority-zero'
  | 'no-failover'
  | 'maintenance'
  | 'replica-priority-zero'
  | 'not-a-replica'
  | 'off-history'
  | 'history-unknown'
  | 'link-down'
  | 'avoided'
  | 'offset-unknown'
  | 'too-far-behind';

export interface CandidateRow {
  readonly id: RedisNodeId;
  readonly eligible: boolean;
  /** Why it was rejected (null when eligible); absent in reports committed before it existed. */
  readonly rejected?: RejectionCode | null;
  /** Why it was rejected, or why it ranks where it does. */
  readonly reason: string;
  readonly offset: number | null;
  readonly lagBytes: number | null;
  readonly priority: number;
}

export interface CandidateReport {
  readonly selection: 'least-lag' | 'priority-first';
  readonly masterOffset: number | null;
  readonly chosen: RedisNodeId | null;
  readonly rows: readonly CandidateRow[];
}

/** One run of a Redis process (its run id) and the highest replication offset seen of it. */
export interface RunSeen {
  readonly runId: string;
  readonly offset: number;
}

/** What one raftinel node sees of one Redis node. */
export interface RedisObservation {
  readonly shard: string;
  readonly node: RedisNodeId;
  /** No valid reply for downAfterMs (subjectively down), or a master that reports role slave. */
  readonly sdown: boolean;
  /** The observer's loop stalled: it cannot vouch for anything (TILT). */
  readonly unsure: boolean;
  readonly reachable: boolean;
  readonly role: 'master' | 'slave' | 'unknown';
  readonly masterHost: string | null;
  readonly masterPort: number | null;
  readonly linkUp: boolean | null;
  readonly linkDownMs: number | null;
  /** master_repl_offset for a master, the processed offset for a replica. */
  readonly offset: number | null;
  readonly replId: string | null;
  /**
   * master_replid2 (null when unset): after REPLICAOF NO ONE, the history the node was on as a
   * replica. A promoted node whose replId2 is not the failed master's history had resynced from
   * another master first.
   */
  readonly replId2: string | null;
  readonly runId: string | null;
  /**
   * Set when this observer saw the node's current run (`runId`) begin below the highest offset
   * it had seen of the run before: that earlier run and its offset (the node restarted without
   * its data, docs/design.md 4.5). Kept for the whole run, so that a new Raft leader learns of an
   * empty restart from the observers' reports even when only its predecessor saw it happen.
   * Null otherwise, and in reports from nodes of older versions.
   */
  readonly restartedFrom: RunSeen | null;
  /** Why the node is not usable (garbage reply, AUTH refused, unknown role), or null. */
  readonly error: string | null;
  /** Milliseconds since the last valid reply, at the time of observation. */
  readonly lastOkAgoMs: number | null;
  /** Round trip (ms) of the last probe with a valid reply on the current connection; null before one. */
  readonly probeRttMs: number | null;
  /**
   * The replica's own replica-priority from its INFO (0 = never promote, as Sentinel honours it);
   * null or absent when unknown (a master, no INFO yet, a report from an older version).
   */
  readonly replicaPriority?: number | null;
}

export interface ObservationReport {
  readonly observer: NodeId;
  readonly observations: readonly RedisObservation[];
}

/** Commands committed through the Raft log. `at` is the proposing leader's wall clock. */
export type TopologyCommand =
  | { readonly type: 'bootstrapShards'; readonly shards: readonly ShardSpec[] }
  | { readonly type: 'addShard'; readonly shard: ShardSpec }
  | {
      readonly type: 'setShard';
      readonly name: string;
      readonly settings?: Partial<ShardSettings>;
      readonly nodes?: readonly RedisNodeSpec[];
    }
  | { readonly type: 'removeShard'; readonly name: string }
  | {
      readonly type: 'masterAdopted';
      readonly shard: string;
      readonly master: RedisNodeId;
      readonly replId: string | null;
    }
  | { readonly type: 'shardProblem'; readonly shard: string; readonly problem: string }
  | {
      readonly type: 'failoverStarted';
      readonly shard: string;
      readonly epoch: number;
      readonly kind: FailoverKind;
      readonly from: RedisNodeId | null;
      readonly to: RedisNodeId;
      readonly report: CandidateReport;
      readonly at: number;
      readonly detectedAt: number;
      /** An operator's failover that accepted data loss (no history verification). */
      readonly allowDataLoss?: boolean;
      /**
       * No node holds the shard's history any more, and the target is master on the one that
       * replaced it (late-demotion.ts lateDemotionForward), or, in place, a replica in a loop on
       * it (promotion.ts reinstateInPlace); that history becomes the shard's (no history
       * verification: there is nothing left to lose).
       */
      readonly adoptHistory?: boolean;
      /**
       * The committed master promoted again where it is (from = to = the master): it answers as
       * a replica of another node while it still holds the shard's history, or is in a
       * replication loop, and no replica is eligible (promotion.ts reinstateInPlace). Any other
       * failover to the master is refused.
       */
      readonly inPlace?: boolean;
      /**
       * With inPlace: the history the master is verified on instead of the shard's, one that
       * continues it (the master is in a replication loop on it: reinstateInPlace).
       */
      readonly history?: string;
      /** Replicas known to have resynced from the failed master, for the history entry. */
      readonly resynced?: readonly RedisNodeId[];
    }
  | { readonly type: 'failoverResumed'; readonly shard: string; readonly epoch: number }
  | {
      readonly type: 'promoted';
      readonly shard: string;
      readonly epoch: number;
      readonly replId: string | null;
      readonly at: number;
    }
  | {
      readonly type: 'failoverEnded';
      readonly shard: string;
      readonly epoch: number;
      readonly repointed: readonly RedisNodeId[];
      readonly timeline: TimelineMs;
      readonly at: number;
    }
  | {
      readonly type: 'failoverAborted';
      readonly shard: string;
      readonly epoch: number;
      readonly reason: string;
      readonly at: number;
      /**
       * The target was found off the shard's replication history just before or after
       * REPLICAOF NO ONE: it joins ShardState.lostHistory, and no cooldown starts (nothing was
       * published; the next candidate must follow at once).
       */
      readonly lostHistory?: readonly RedisNodeId[];
    }
  | {
      /**
       * The master restarted without its data and every replica resynced from it: nothing is
       * left to fail over to, so it stays master and its new replication history becomes the
       * shard's (the writes it lost are lost everywhere). Its own epoch and history entry.
       */
      readonly type: 'masterKept';
      readonly shard: string;
      readonly epoch: number;
      readonly master: RedisNodeId;
      readonly replId: string;
      readonly resynced: readonly RedisNodeId[];
      readonly reason: string;
      readonly report: CandidateReport;
      readonly at: number;
      readonly detectedAt: number;
    }
  | {
      readonly type: 'hookResult';
      readonly shard: string;
      readonly epoch: number;
      readonly hook: HookName;
      readonly exitCode: number | null;
      readonly output: string;
      readonly attempts: number;
      readonly at: number;
    }
  | { readonly type: 'maintenance'; readonly shard: string; readonly node: RedisNodeId; readonly on: boolean }
  | { readonly type: 'pause'; readonly shard: string | null }
  | { readonly type: 'resume'; readonly shard: string | null }
  | { readonly type: 'ack'; readonly shard: string };

export interface ShardSpec {
  readonly name: string;
  readonly nodes: readonly RedisNodeSpec[];
  readonly settings: ShardSettings;
  readonly initialMaster: RedisNodeId | null;
}

export type HookName = 'onSwitchMaster' | 'onFailoverEnd';

/** A hook run, committed so that it runs once per epoch and shows in the history. */
export interface HookRun {
  readonly epoch: number;
  readonly hook: HookName;
  /** null: killed at the timeout, or could not start. */
  readonly exitCode: number | null;
  /** stdout and stderr, capped. */
  readonly output: string;
  readonly attempts: number;
  readonly at: number;
}
