// The JSON the CLI reads from a node's HTTP routes (docs/design.md 5.2). The server's own types are
// reused where they are exported, as type-only imports, so that the CLI loads none of the
// server's modules at run time (each CLI call stays a quick process start).
import type { DrillReport } from '../failover/engine.js';
import type { CandidateReport, CandidateRow, HistoryEntry } from '../failover/types.js';
import type { ShardObservers } from '../discovery/observer-digest.js';
import type { NodeView, ShardView } from '../discovery/shard-view.js';

export type { CandidateReport, CandidateRow, DrillReport, HistoryEntry, NodeView, ShardView };

/** One member in GET /v1/cluster. */
export interface ClusterMember {
  readonly id: string;
  readonly role: string;
  readonly state: string;
  readonly raft: string | null;
  readonly http: string | null;
  readonly sentinel: string | null;
  readonly healthy: boolean;
  readonly lastContactMs: number | null;
}

/** GET /v1/cluster. */
export interface ClusterView {
  readonly cluster: string;
  readonly node: string;
  readonly term: number;
  readonly leader: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly members: readonly ClusterMember[];
}

/** A shard as GET /v1/shards answers it, marked when it is a node's applied view (?stale=ok). */
export type ShardAnswer = ShardView & Partial<ShardObservers> & { readonly stale?: boolean };

/** POST /v1/shards/{name}/switchover with dryRun. */
export interface DryRunReply {
  /** Whether the switchover would start. */
  readonly ok: boolean;
  readonly dryRun: true;
  readonly shard: string;
  readonly from?: string | null;
  readonly to: string | null;
  /** The node a switchover would promote (`to`, else the best candidate). */
  readonly target?: string | null;
  /** Why it would not start, or null. */
  readonly problem?: string | null;
  readonly candidates: CandidateReport | null;
}

/** POST /v1/shards/{name}/switchover and /failover (200 when ok, 409 when not). */
export interface SwitchoverReply {
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly report: DrillReport;
}

/** GET /v1/shards/{name}/history. */
export interface HistoryReply {
  readonly shard: string;
  readonly entries: readonly HistoryEntry[];
}

/** The simple admin answers (pause, resume, ack, shard and member changes). */
export interface ActionReply {
  readonly ok: boolean;
  readonly action: string;
}

/** The error document of every route. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const e = (body as { error?: unknown }).error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

export function isClusterView(body: unknown): body is ClusterView {
  if (typeof body !== 'object' || body === null) return false;
  const o = body as Record<string, unknown>;
  return (
    typeof o.cluster === 'string' &&
    typeof o.node === 'string' &&
    typeof o.term === 'number' &&
    Array.isArray(o.members)
  );
}
