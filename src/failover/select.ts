// Candidate choice (docs/design.md 4.3): every replica is either rejected with a reason or ranked;
// the whole report is committed with the decision so that an operator can see why.
import type { CandidateReport, CandidateRow, RedisObservation, RejectionCode, ShardState } from './types.js';

interface Rejection {
  readonly code: RejectionCode;
  readonly reason: string;
}

const no = (code: RejectionCode, reason: string): Rejection => ({ code, reason });

export interface CandidateInput {
  readonly shard: ShardState;
  /** The node being replaced (the failed or current master). */
  readonly from: string | null;
  /** Best current view of each node (null: no fresh reachable report). */
  readonly views: ReadonlyMap<string, RedisObservation | null>;
  /** The master's last known offset, for lag. */
  readonly masterOffset: number | null;
  /** maxLinkDownMs resolved (null in config means 10 x downAfterMs). */
  readonly maxLinkDownMs: number;
  /**
   * How long the master has been down (0 when it is not): a replica's link went down with it,
   * so that time is allowed on top of maxLinkDownMs (Sentinel's rule, docs/design.md 4.3).
   */
  readonly masterDownMs?: number;
  /** Replicas the leader could not reach at a promotion attempt, with the reason to show. */
  readonly avoid?: ReadonlyMap<string, string>;
  /** Test-only bug switch (bugs.ts): ignore the replication history. */
  readonly skipReplIdCheck?: boolean;
}

export function chooseCandidate(input: CandidateInput): CandidateReport {
  const { shard, views } = input;
  const replicaOffsets = [...views.entries()]
    .filter(([id, v]) => id !== input.from && v?.role === 'slave' && v.offset !== null)
    .map(([, v]) => v?.offset as number);
  const reference = input.masterOffset ?? (replicaOffsets.length > 0 ? Math.max(...replicaOffsets) : null);
  const rows: CandidateRow[] = [];
  for (const node of shard.nodes) {
    if (node.id === input.from) continue;
    const v = views.get(node.id) ?? null;
    const offset = v?.offset ?? null;
    const lagBytes = reference !== null && offset !== null ? Math.max(0, reference - offset) : null;
    const reject = rejection(input, node.id, node.priority, node.noFailover, v, lagBytes);
    rows.push({
      id: node.id,
      eligible: reject === null,
      rejected: reject?.code ?? null,
      reason: reject?.reason ?? 'eligible',
      offset,
      lagBytes,
      priority: node.priority,
    });
  }
  const selection = shard.settings.selection;
  const ranked = rows.filter((r) => r.eligible).sort((a, b) => compare(a, b, selection));
  const ranks = new Map(ranked.map((r, i) => [r.id, i + 1]));
  const described = rows.map((r) =>
    r.eligible
      ? {
          ...r,
          reason: `rank ${ranks.get(r.id)}: offset ${r.offset}, lag ${r.lagBytes ?? '?'} bytes, priority ${r.priority}`,
        }
      : r,
  );
  return { selection, masterOffset: input.masterOffset, chosen: ranked[0]?.id ?? null, rows: described };
}

function rejection(
  input: CandidateInput,
  id: string,
  priority: number,
  noFailover: boolean,
  v: RedisObservation | null,
  lagBytes: number | null,
): Rejection | null {
  const s = input.shard.settings;
  if (!v) return no('unreachable', 'unreachable: no fresh report from any raftinel node');
  if (v.error) return no('unusable', `unusable: ${v.error}`);
  if (v.sdown) return no('sdown', 'subjectively down');
  if (priority === 0) return no('priority-zero', 'priority 0 (never promoted)');
  if (noFailover) return no('no-failover', 'noFailover is set');
  if (input.shard.maintenance?.includes(id))
    return no('maintenance', 'in maintenance (raftinel maintenance off ends it)');
  if (v.replicaPriority === 0)
    return no('replica-priority-zero', 'replica-priority 0 in its own INFO (never promoted, as Sentinel)');
  if (v.role !== 'slave') return no('not-a-replica', `reports role ${v.role}, not a replica`);
  // Found off the history by a fresh INFO at promotion time, whatever older reports still say.
  if (!input.skipReplIdCheck && input.shard.lostHistory?.includes(id)) {
    return no(
      'off-history',
      `on another replication history (a fresh INFO showed it resynced from another master; the shard's is ${input.shard.replId})`,
    );
  }
  if (
    !input.skipReplIdCheck &&
    input.shard.replId !== null &&
    v.replId !== null &&
    v.replId !== input.shard.replId
  ) {
    return no(
      'off-history',
      `on another replication history (replid ${v.replId}, the shard's is ${input.shard.replId})`,
    );
  }
  // A node just reconnected (restarted, or answered -LOADING to its first INFO) may answer ROLE
  // before any INFO has named its history, and one whose link came up since its last INFO may
  // have synced to another (observe.ts): it cannot be vetted yet, and is, an INFO later.
  if (!input.skipReplIdCheck && input.shard.replId !== null && v.replId === null) {
    return no(
      'history-unknown',
      'replication history not known yet (no INFO since it reconnected or its link came up)',
    );
  }
  const linkLimit = input.maxLinkDownMs + (input.masterDownMs ?? 0);
  if (v.linkUp === false && (v.linkDownMs ?? Infinity) > linkLimit) {
    return no(
      'link-down',
      `link to the master down for ${v.linkDownMs ?? '?'} ms (limit ${linkLimit} ms: maxLinkDownMs ` +
        `${input.maxLinkDownMs} plus ${input.masterDownMs ?? 0} ms the master has been down)`,
    );
  }
  const avoided = input.avoid?.get(id);
  if (avoided !== undefined) return no('avoided', avoided);
  if (v.offset === null) return no('offset-unknown', 'offset unknown');
  if (s.maxLagBytes !== null && (lagBytes ?? Infinity) > s.maxLagBytes) {
    return no('too-far-behind', `behind by ${lagBytes} bytes, over the budget maxLagBytes ${s.maxLagBytes}`);
  }
  return null;
}

function compare(a: CandidateRow, b: CandidateRow, selection: string): number {
  const byOffset = (b.offset ?? -1) - (a.offset ?? -1);
  const byPriority = a.priority - b.priority;
  const byId = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return selection === 'priority-first' ? byPriority || byOffset || byId : byOffset || byPriority || byId;
}
