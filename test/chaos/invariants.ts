// The invariants a chaos campaign checks after healing (docs/design.md 7): one promotion per
// epoch, read from every node's /v1/shards/{name}/history and from every node's Raft log; and
// convergence: every node's shard view, every RESP endpoint and the Redis topology on the
// highest epoch and one master, within a stated time.
import type { FailoverRig, HistoryView, ShardView } from '../helpers/failover-rig.js';
import { acceptedFailoverStarts } from '../helpers/failover-rig.js';
import { redisQuery } from '../helpers/redis-query.js';
import { sleep } from '../helpers/wait.js';

export interface EpochPromotion {
  readonly epoch: number;
  readonly kind: string;
  readonly from: string | null;
  readonly to: string;
  readonly result: string;
}

export interface PromotionCheck {
  /** Ended failovers per epoch, merged over all nodes. */
  readonly promotions: readonly EpochPromotion[];
  /** Empty when every epoch has at most one promotion and all nodes agree on it. */
  readonly violations: readonly string[];
}

export async function checkPromotions(rig: FailoverRig, shard: string): Promise<PromotionCheck> {
  const violations: string[] = [];
  const byEpoch = new Map<number, EpochPromotion>();
  for (const n of rig.nodes) {
    // A read after a ReadIndex round: a node may answer 503 for a moment (a leader change);
    // ten seconds of 503s is a finding.
    let view: HistoryView | null = null;
    let last = '';
    const until = performance.now() + 10_000;
    while (view === null && performance.now() < until) {
      try {
        const r = await n.get<HistoryView>(`/v1/shards/${shard}/history`, 5000);
        if (r.status === 200) view = r.body;
        else last = `${r.status} ${JSON.stringify(r.body)}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (view === null) await sleep(250);
    }
    if (view === null) {
      violations.push(`${n.id}: history for 10 s: ${last}`);
      continue;
    }
    const seen = new Map<number, number>();
    for (const e of view.entries) {
      if (e.result !== 'ended') continue;
      seen.set(e.epoch, (seen.get(e.epoch) ?? 0) + 1);
      const p: EpochPromotion = { epoch: e.epoch, kind: e.kind, from: e.from, to: e.to, result: e.result };
      const known = byEpoch.get(e.epoch);
      if (!known) byEpoch.set(e.epoch, p);
      else if (known.to !== p.to)
        violations.push(`epoch ${e.epoch}: ${n.id}'s history promoted ${p.to}, another node's ${known.to}`);
    }
    for (const [epoch, count] of seen)
      if (count > 1) violations.push(`${n.id}: ${count} ended failovers in epoch ${epoch}`);
  }
  // The Raft logs: the failoverStarted the state machine takes for an epoch names the same
  // target on every node, and it takes one per epoch (a second one proposed before the first
  // committed is in the log too, refused: not a promotion).
  const startedTo = new Map<number, Set<string>>();
  for (const n of rig.nodes) {
    const perEpoch = new Map<number, number>();
    for (const c of acceptedFailoverStarts(n)) {
      if (c.shard !== shard) continue;
      perEpoch.set(c.epoch, (perEpoch.get(c.epoch) ?? 0) + 1);
      const set = startedTo.get(c.epoch) ?? new Set<string>();
      set.add(c.to);
      startedTo.set(c.epoch, set);
    }
    for (const [epoch, count] of perEpoch)
      if (count > 1) violations.push(`${n.id}: its log takes ${count} failoverStarted in epoch ${epoch}`);
  }
  for (const [epoch, tos] of startedTo)
    if (tos.size > 1)
      violations.push(`epoch ${epoch}: the logs take failoverStarted to ${[...tos].join(' and ')}`);
  return { promotions: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch), violations };
}

export interface Convergence {
  readonly converged: boolean;
  /** ms from the final heal until everything agreed (or the limit). */
  readonly ms: number;
  readonly epoch: number | null;
  readonly master: string | null;
  /** What disagreed at the last look (empty when converged). */
  readonly last: readonly string[];
}

/** One look: what disagrees now (empty when everything agrees on one epoch and one master). */
async function disagreements(
  rig: FailoverRig,
  shard: string,
): Promise<{ problems: string[]; epoch: number | null; master: string | null }> {
  const problems: string[] = [];
  const views: ShardView[] = [];
  for (const n of rig.nodes) {
    try {
      const r = await n.get<ShardView>(`/v1/shards/${shard}`, 2000);
      if (r.status !== 200) problems.push(`${n.id}: /v1/shards answered ${r.status}`);
      else views.push(r.body);
    } catch (err) {
      problems.push(`${n.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (views.length === 0) return { problems, epoch: null, master: null };
  const epoch = Math.max(...views.map((v) => v.epoch));
  const top = views.find((v) => v.epoch === epoch) as ShardView;
  const master = top.master?.id ?? null;
  for (const v of views) {
    if (v.epoch !== epoch || v.master?.id !== master)
      problems.push(`a node says epoch ${v.epoch} master ${v.master?.id}`);
    if (v.state !== 'ok' && v.state !== 'cooldown') problems.push(`a node says state ${v.state}`);
  }
  if (master === null) {
    problems.push('no master');
    return { problems, epoch, master };
  }
  const m = rig.redis(master, shard);
  for (const n of rig.nodes) {
    try {
      const port = Number(n.options.node.sentinel.split(':')[1]);
      const reply = await redisQuery(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', shard], {
        timeoutMs: 1000,
      });
      if (!Array.isArray(reply) || Number(reply[1]) !== m.port)
        problems.push(`${n.id} RESP names ${JSON.stringify(reply)}`);
    } catch (err) {
      problems.push(`${n.id} RESP: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const r of rig.shard(shard).nodes) {
    try {
      const role = await r.role(1000);
      if (r === m && role.role !== 'master') problems.push(`${r.id} (the master) says ${role.role}`);
      if (r !== m && !(role.role === 'slave' && role.masterPort === m.port && role.state === 'connected'))
        problems.push(`${r.id} is ${role.role} of ${role.masterPort} (${role.state})`);
    } catch (err) {
      problems.push(`${r.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { problems, epoch, master };
}

/** Polls until everything agrees, at most `limitMs`. */
export async function waitConvergence(
  rig: FailoverRig,
  shard: string,
  limitMs: number,
): Promise<Convergence> {
  const start = performance.now();
  let last: { problems: string[]; epoch: number | null; master: string | null } = {
    problems: ['not looked yet'],
    epoch: null,
    master: null,
  };
  while (performance.now() - start < limitMs) {
    last = await disagreements(rig, shard);
    if (last.problems.length === 0)
      return {
        converged: true,
        ms: Math.round(performance.now() - start),
        epoch: last.epoch,
        master: last.master,
        last: [],
      };
    await sleep(200);
  }
  return { converged: false, ms: limitMs, epoch: last.epoch, master: last.master, last: last.problems };
}
