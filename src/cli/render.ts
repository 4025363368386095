// Tables shared by several commands: Raft members, shards with their Redis nodes, candidate
// reports. Each returns text; colour only marks what needs a look (red: down or rejected,
// yellow: a failover in progress, green: fine), and the words say the same without colour.
import type { CandidateReport, ClusterView, NodeView, ShardAnswer } from './api.js';
import { formatBytes, formatMs, renderTable, type Cell, type Style } from './table.js';

export function stateStyle(state: string): Style | null {
  if (state === 'ok') return 'green';
  if (state === 'failover' || state === 'switchover' || state === 'cooldown' || state === 'unreachable')
    return 'yellow';
  return 'red';
}

/** A Redis node's status (docs/design.md 5.3), with how many observers see it down against the quorum. */
function nodeStatusCell(s: ShardAnswer, n: NodeView): Cell {
  const seen = s.sdownBy?.[n.id]?.length;
  const count = (n.status === 'sdown' || n.status === 'odown') && seen ? ` ${seen}/${s.quorum}` : '';
  const style: Style | null = n.status === 'up' ? null : n.status === 'unsure' ? 'yellow' : 'red';
  const maintenance = n.maintenance ? ', maintenance' : '';
  return { text: n.status + count + maintenance, style: style ?? (n.maintenance ? 'yellow' : null) };
}

export function clusterLine(c: ClusterView): string {
  return `cluster ${c.cluster}: leader ${c.leader ?? 'none'}, term ${c.term}, commit ${c.commitIndex}, applied ${c.appliedIndex} (as seen by ${c.node})`;
}

export function membersTable(c: ClusterView, color: boolean): string {
  const rows = c.members.map((m): Cell[] => [
    m.id,
    m.role,
    { text: m.state, style: m.state === 'leader' ? 'bold' : null },
    { text: m.healthy ? 'yes' : 'no', style: m.healthy ? null : 'red' },
    m.lastContactMs === null ? '-' : formatMs(m.lastContactMs),
    m.raft ?? '-',
    m.http ?? '-',
    m.sentinel ?? '-',
  ]);
  return renderTable(
    ['MEMBER', 'ROLE', 'STATE', 'HEALTHY', 'LAST CONTACT', 'RAFT', 'HTTP', 'SENTINEL'],
    rows,
    { color, right: [4] },
  );
}

/** One line per Redis node; the shard's own columns on its first line only. */
export function shardsTable(shards: readonly ShardAnswer[], color: boolean): string {
  const rows: Cell[][] = [];
  for (const s of shards) {
    const shardCells: Cell[] = [
      s.name,
      String(s.epoch),
      { text: s.state, style: stateStyle(s.state) },
      { text: s.paused ? 'yes' : 'no', style: s.paused ? 'yellow' : null },
    ];
    const blank: Cell[] = ['', '', '', ''];
    const nodes: Cell[][] = [];
    if (s.master)
      nodes.push([
        { text: s.master.id, style: 'bold' },
        'master',
        nodeStatusCell(s, s.master),
        `${s.master.host}:${s.master.port}`,
        '-',
        '-',
      ]);
    else nodes.push(['-', { text: 'no master', style: 'red' }, '-', '-', '-', '-']);
    for (const r of s.replicas) {
      // null: the replica does not answer, so its link is not known (never its last answer).
      const link: Cell =
        r.linkUp === null ? '?' : { text: r.linkUp ? 'up' : 'down', style: r.linkUp ? null : 'red' };
      nodes.push([
        r.id,
        'replica',
        nodeStatusCell(s, r),
        `${r.host}:${r.port}`,
        formatBytes(r.lagBytes),
        link,
      ]);
    }
    nodes.forEach((n, i) => rows.push([...(i === 0 ? shardCells : blank), ...n]));
  }
  return renderTable(
    ['SHARD', 'EPOCH', 'STATE', 'PAUSED', 'NODE', 'ROLE', 'STATUS', 'ADDRESS', 'LAG', 'LINK'],
    rows,
    { color, right: [1, 8] },
  );
}

/** Shards whose automatic failovers wait out the cooldown after a failover, one line each. */
export function cooldownLines(shards: readonly ShardAnswer[]): string[] {
  return shards
    .filter((s) => s.cooldownUntil != null)
    .map(
      (s) =>
        `${s.name}: automatic failovers held back until ${new Date(s.cooldownUntil ?? 0).toISOString()} (cooldown after the last failover; \`raftinel ack ${s.name}\` ends it)`,
    );
}

/** Each shard's problem, one line each (below the table): why it has no master, or what a kept master lost. */
export function shardProblems(shards: readonly ShardAnswer[]): string[] {
  return shards.filter((s) => s.problem).map((s) => `${s.name}: ${s.problem}`);
}

/** One line per preflight problem the answering node found (docs/design.md 4.4). */
export function preflightProblems(shards: readonly ShardAnswer[]): { line: string; error: boolean }[] {
  return shards.flatMap((s) =>
    (s.preflight ?? []).map((p) => ({
      line: `${s.name}/${p.node}: ${p.severity === 'error' ? 'ERROR' : 'warning'}: ${p.message}`,
      error: p.severity === 'error',
    })),
  );
}

/** The candidate report, the chosen (or requested) node marked with `*`. */
export function candidatesTable(
  report: CandidateReport,
  color: boolean,
  target: string | null = report.chosen,
): string {
  const rows = report.rows.map((r): Cell[] => [
    { text: r.id === target ? `${r.id} *` : r.id, style: r.id === target ? 'bold' : null },
    { text: r.eligible ? 'yes' : 'no', style: r.eligible ? 'green' : 'red' },
    r.offset === null ? '-' : String(r.offset),
    formatBytes(r.lagBytes),
    String(r.priority),
    r.reason,
  ]);
  return renderTable(['NODE', 'ELIGIBLE', 'OFFSET', 'LAG', 'PRIORITY', 'REASON'], rows, {
    color,
    right: [2, 3, 4],
  });
}

export function candidatesHeadline(report: CandidateReport): string {
  const offset = report.masterOffset === null ? 'unknown' : String(report.masterOffset);
  return `selection ${report.selection}, master offset ${offset}, best candidate ${report.chosen ?? 'none'}`;
}
