// The chaos report: the campaign's result as JSON (everything, for later analysis) and as a
// Markdown summary (the Jepsen-style write tally, the invariants, one row per fault).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CampaignResult } from './campaign.js';

const s = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export function markdown(r: CampaignResult): string {
  const w = r.writes;
  const lines = [
    `# chaos seed ${r.seed} (profile ${r.profile}): ${r.violations.length === 0 ? 'PASS' : `FAIL (${r.violations.length} violations)`}`,
    '',
    `Settings: ${Object.entries(r.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}. Wall time ${s(r.durationMs)}, ${r.ops.length} faults.`,
    '',
    '| attempted | acknowledged | failed | unknown (timeout) | lost | unexpected | recovered (applied, not acked) |',
    '|---|---|---|---|---|---|---|',
    `| ${w.attempted} | ${w.acknowledged} | ${w.failed} | ${w.unknown} | ${w.lost} | ${w.unexpected} | ${w.recovered} |`,
    '',
    '| invariant | result |',
    '|---|---|',
    `| lost writes outside faults that may lose them | ${r.lostUnexplained.length} |`,
    `| one promotion per epoch (history of every node, Raft logs) | ${r.promotions.violations.length === 0 ? 'ok' : r.promotions.violations.join('; ')}; ${r.promotions.promotions.length} promotions: ${r.promotions.promotions.map((p) => `e${p.epoch} ${p.from ?? '-'}->${p.to}`).join(', ') || 'none'} |`,
    `| two writable masters, longest window (bound ${r.settings.dualBoundMs} ms) | ${Math.round(r.maxDualMs)} ms in ${r.dualWindows.length} windows (each node sampled every 100 ms, worst gap ${r.samplerWorstGapMs} ms) |`,
    `| converged on the highest epoch (limit ${r.settings.convergeLimitMs} ms) | ${r.convergence.converged ? `yes, ${r.convergence.ms} ms after the heal: epoch ${r.convergence.epoch}, master ${r.convergence.master}` : `NO: ${r.convergence.last.join('; ')}`} |`,
    '',
    'Promise: none-lost (no acknowledged write may be lost), bounded (those the master acknowledged last: asynchronous replication, split brain until the fence), any (the master back empty before a failover: its replicas resync from it).',
    '',
    '| # | start | length | fault | promise | acked | lost |',
    '|---|---|---|---|---|---|---|',
    ...r.ops.map(
      (o) =>
        `| ${o.index} | ${s(o.startedAt)} | ${s(o.endedAt - o.startedAt)} | ${o.fault} | ${o.promise} | ${o.acknowledged} | ${o.lost} |`,
    ),
  ];
  if (r.violations.length > 0) lines.push('', 'Violations:', '', ...r.violations.map((v) => `- ${v}`));
  if (r.dualWindows.length > 0)
    lines.push(
      '',
      'Two-writable-master windows:',
      '',
      ...r.dualWindows.map((d) => `- +${s(d.from)} for ${Math.round(d.ms)} ms: ${d.nodes.join(', ')}`),
    );
  lines.push(
    '',
    `Replay: \`npm run chaos -- --seed ${r.seed} --profile ${r.profile} --minutes ${r.settings.faultMs / 60_000}\` (same seed, same schedule).`,
  );
  return lines.join('\n');
}

/** Writes `<dir>/chaos-<seed>-<time>.json` and `.md`; returns their paths. */
export function writeReport(dir: string, r: CampaignResult): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = join(dir, `chaos-${r.seed}-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(r, null, 2));
  writeFileSync(`${base}.md`, markdown(r) + '\n');
  return { json: `${base}.json`, md: `${base}.md` };
}
