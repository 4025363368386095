// One chaos campaign (docs/design.md 9): three Redis nodes (AOF on, so a restart can keep its
// data) and three raftinel nodes in sidecar shape (n<i> next to r<i>), every Redis address and
// every Raft listener behind a fault proxy; writers through the Sentinel endpoint; the seeded
// nemesis schedule; then everything healed, the convergence awaited, and the result judged.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { discardConnection } from '../../src/util/redis-connection.js';
import { FailoverRig } from '../helpers/failover-rig.js';
import { redisQuery } from '../helpers/redis-query.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { checkPromotions, waitConvergence, type Convergence, type PromotionCheck } from './invariants.js';
import { Nemesis, type NemesisEvent } from './nemesis.js';
import { dualWindows, RoleSampler, worstSampleGap, type DualWindow } from './role-sampler.js';
import {
  describeFault,
  makeSchedule,
  promiseOf,
  type LossPromise,
  type Op,
  type Profile,
} from './schedule.js';
import { SET_KEY, tally, Workload, type SetTally, type WriteRecord } from './workload.js';

export interface CampaignOptions {
  readonly seed: number;
  /** Length of the fault phase. */
  readonly faultMs: number;
  readonly profile: Profile;
  readonly downAfterMs?: number;
  readonly fenceAfterMs?: number;
  readonly writers?: number;
  readonly writeIntervalMs?: number;
  /** The longest two-writable-master window allowed (the fence bound). */
  readonly dualBoundMs?: number;
  /** How long after the final heal everything must agree. */
  readonly convergeLimitMs?: number;
  /** Quiet time between two faults (default 3-6 s). */
  readonly gapMs?: readonly [number, number];
  /** Where to keep every raftinel node's log and the role samples of the run (for diagnosis). */
  readonly artifactsDir?: string;
  /** Progress lines (the schedule, each fault as it starts). */
  readonly log?: (line: string) => void;
}

export interface OpResult {
  readonly index: number;
  readonly fault: string;
  readonly promise: LossPromise;
  readonly plannedAt: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly acknowledged: number;
  readonly lost: number;
}

export interface CampaignResult {
  readonly seed: number;
  readonly profile: Profile;
  readonly settings: Readonly<Record<string, number>>;
  readonly schedule: readonly Op[];
  readonly ops: readonly OpResult[];
  readonly events: readonly NemesisEvent[];
  readonly writes: SetTally;
  /** Lost acknowledged writes not acknowledged during (or within the margin of) a 'bounded' fault. */
  readonly lostUnexplained: readonly string[];
  readonly promotions: PromotionCheck;
  readonly dualWindows: readonly DualWindow[];
  readonly maxDualMs: number;
  readonly samplerWorstGapMs: number;
  readonly convergence: Convergence;
  readonly violations: readonly string[];
  readonly durationMs: number;
}

/**
 * Waits until every raftinel node answers /livez and every Redis node answers PING; returns the
 * processes still not up at the deadline (none when all came up).
 */
async function waitProcessesUp(rig: FailoverRig, timeoutMs: number): Promise<string[]> {
  let down: string[] = [];
  await waitFor(
    'every process up after the fault',
    async () => {
      const live = await Promise.all(
        rig.nodes.map((n) =>
          n.get('/livez', 500).then(
            (r) => r.status === 200,
            () => false,
          ),
        ),
      );
      const redis = rig.shard('mymaster').nodes;
      const pong = await Promise.all(
        redis.map((r) =>
          redisQuery(r.realPort, ['PING'], { timeoutMs: 500 }).then(
            (x) => x === 'PONG',
            () => false,
          ),
        ),
      );
      down = [
        ...rig.nodes
          .filter((_, i) => !live[i])
          .map((n) => `${n.id} (${n.running ? 'running, /livez unanswered' : 'exited'})`),
        ...redis.filter((_, i) => !pong[i]).map((r) => `${r.id} (PING unanswered)`),
      ];
      return down.length === 0 ? true : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  ).catch(() => undefined);
  return down;
}

/**
 * Every fault is undone by now, so a raftinel node that is not running died on its own: it is
 * started again (the exit is kept in its unexpectedExits and judged as a violation at the end).
 */
function restartCrashed(rig: FailoverRig, log: (line: string) => void): void {
  for (const n of rig.nodes) {
    if (n.running) continue;
    const exit = n.unexpectedExits.at(-1);
    log(
      `${n.id} was down on its own (code ${exit?.code ?? '?'}, signal ${exit?.signal ?? '?'}): ${lastLine(exit?.stderr ?? '')}; restarting`,
    );
    n.start();
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines.slice(-3).join(' | ') || '(no stderr)';
}

function keepArtifacts(dir: string, seed: number, rig: FailoverRig, sampler: RoleSampler | null): void {
  const base = join(dir, `chaos-${seed}-artifacts`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  for (const n of rig.nodes) writeFileSync(join(base, `${n.id}.log`), n.lines.join('\n') + '\n');
  for (const r of rig.shard('mymaster').nodes)
    writeFileSync(join(base, `${r.id}-redis.log`), r.server.logTail(200) + '\n');
  if (sampler !== null)
    writeFileSync(
      join(base, 'samples.tsv'),
      sampler.samples
        .map((x) => `${Math.round(x.at)}\t${x.node}\t${x.role}\t${x.writable ? 'w' : '-'}`)
        .join('\n') + '\n',
    );
}

/** How long after a fault's undo every process must answer again (a restart on a loaded machine). */
const PROCESS_UP_MS = 30_000;

/** A write acknowledged this long before a fault began may still be unreplicated (async replication). */
const BEFORE_MARGIN_MS = 1000;

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const log = options.log ?? (() => undefined);
  const downAfterMs = options.downAfterMs ?? 1000;
  const fenceAfterMs = options.fenceAfterMs ?? Math.floor(downAfterMs / 2);
  const dualBoundMs = options.dualBoundMs ?? downAfterMs;
  const convergeLimitMs = options.convergeLimitMs ?? 30_000;
  const settings = {
    faultMs: options.faultMs,
    downAfterMs,
    pingIntervalMs: 100,
    fenceAfterMs,
    failoverCooldownMs: 5000,
    failoverTimeoutMs: 10_000,
    electionMs: 500,
    dualBoundMs,
    convergeLimitMs,
    writers: options.writers ?? 3,
    writeIntervalMs: options.writeIntervalMs ?? 5,
  };
  const schedule = makeSchedule({
    seed: options.seed,
    faultMs: options.faultMs,
    profile: options.profile,
    downAfterMs,
    gapMs: options.gapMs,
  });
  log(`chaos seed ${options.seed}, profile ${options.profile}, ${schedule.length} faults:`);
  for (const o of schedule)
    log(
      `  #${o.index} +${(o.atMs / 1000).toFixed(1)}s ${(o.durationMs / 1000).toFixed(1)}s ${describeFault(o.fault)}`,
    );

  const started = performance.now();
  // Node output streams to disk as it comes: a run stopped by a signal still leaves it.
  const outputDir =
    options.artifactsDir !== undefined ? join(options.artifactsDir, `chaos-${options.seed}-live`) : undefined;
  if (outputDir !== undefined) {
    rmSync(outputDir, { recursive: true, force: true });
    mkdirSync(outputDir, { recursive: true });
  }
  const rig = await FailoverRig.create({
    outputDir,
    proxied: true,
    raftProxied: true,
    sidecars: { fenceAfterMs },
    keepRedisData: true,
    redisArgs: ['--appendonly', 'yes', '--appendfsync', 'everysec'],
    defaults: {
      downAfterMs,
      pingIntervalMs: settings.pingIntervalMs,
      failoverCooldownMs: settings.failoverCooldownMs,
      failoverTimeoutMs: settings.failoverTimeoutMs,
    },
  });
  let sampler: RoleSampler | null = null;
  let workload: Workload | null = null;
  try {
    await rig.start(30_000);
    const t0 = performance.now();
    const wallT0 = Date.now();
    const shard = rig.shard('mymaster');
    sampler = new RoleSampler(
      shard.nodes.map((r) => ({ id: r.id, port: () => r.realPort })),
      t0,
    );
    sampler.start();
    const s = sampler;
    const nemesis = new Nemesis(rig, t0, () => s.lastWritable());
    workload = new Workload({
      sentinels: rig.nodes.map((n) => {
        const [host, port] = n.options.node.sentinel.split(':');
        return { host, port: Number(port) };
      }),
      shard: 'mymaster',
      writers: settings.writers,
      intervalMs: settings.writeIntervalMs,
      t0,
    });
    workload.start();

    const opTimes: { op: Op; startedAt: number; endedAt: number }[] = [];
    const stuck: string[] = [];
    for (const op of schedule) {
      const wait = op.atMs - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      const startedAt = performance.now() - t0;
      log(`[${(startedAt / 1000).toFixed(1)}s] #${op.index} ${describeFault(op.fault)}`);
      const undo = await nemesis.start(op);
      await sleep(Math.max(0, op.durationMs - (performance.now() - t0 - startedAt)));
      await undo();
      opTimes.push({ op, startedAt, endedAt: performance.now() - t0 });
      restartCrashed(rig, (line) => log(`#${op.index}: ${line}`));
      // Faults are meant one at a time: the next one waits until every process is up again (a
      // restarted node may take seconds on a loaded machine), so that its start can slip.
      const down = await waitProcessesUp(rig, PROCESS_UP_MS);
      if (down.length > 0) {
        const what = `not up ${PROCESS_UP_MS / 1000} s after fault #${op.index} ended: ${down.join(', ')}`;
        log(what);
        stuck.push(what);
      }
    }
    // Writes go on a while after the last fault: the last one's effects settle under load.
    const tail = performance.now() - t0;
    if (tail < options.faultMs) await sleep(options.faultMs - tail);
    await nemesis.healAll();
    log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] healed; waiting for convergence`);
    const convergence = await waitConvergence(rig, 'mymaster', convergeLimitMs);
    await sleep(1000);
    await workload.stop();
    await sampler.stop();

    // The final set, from the master everything agreed on (or any master that answers).
    const masterId = convergence.master ?? (await nemesis.master())?.id ?? null;
    const finalSet = new Set<string>();
    let readError: string | null = masterId === null ? 'no master to read the set from' : null;
    if (masterId !== null) {
      // ioredis: the test helper's one-shot reader re-parses its buffer on every chunk, too slow
      // for a set of a few hundred thousand elements.
      const reader = new Redis({
        host: '127.0.0.1',
        port: rig.redis(masterId).realPort,
        lazyConnect: true,
        commandTimeout: 60_000,
      });
      reader.on('error', () => undefined);
      try {
        await reader.connect();
        for (const v of await reader.smembers(SET_KEY)) finalSet.add(v);
      } catch (err) {
        readError = `reading the set from ${masterId}: ${err instanceof Error ? err.message : String(err)}`;
      } finally {
        discardConnection(reader);
      }
    }
    const writes = tally(workload.records, finalSet);
    const ops = opTimes.map(({ op, startedAt, endedAt }, i) =>
      opResult(
        op,
        startedAt,
        endedAt,
        opTimes[i + 1]?.startedAt ?? Infinity,
        workload?.records ?? [],
        writes.lostIds,
      ),
    );
    const lostUnexplained = unexplained(workload.records, writes.lostIds, opTimes);
    const promotions = await checkPromotions(rig, 'mymaster');
    const windows = dualWindows(sampler.samples);
    const maxDualMs = windows.reduce((m, w) => Math.max(m, w.ms), 0);
    const violations: string[] = [];
    if (readError !== null) violations.push(readError);
    if (writes.unexpected > 0) violations.push(`${writes.unexpected} unexpected elements in the set`);
    if (lostUnexplained.length > 0)
      violations.push(
        `${lostUnexplained.length} acknowledged writes lost outside any fault that may lose them (first: ${lostUnexplained[0]})`,
      );
    for (const v of promotions.violations) violations.push(`promotion: ${v}`);
    violations.push(...stuck);
    for (const n of rig.nodes)
      for (const e of n.unexpectedExits)
        violations.push(
          `${n.id} exited on its own at +${((e.at - wallT0) / 1000).toFixed(1)}s (code ${e.code}, signal ${e.signal}): ${lastLine(e.stderr)}`,
        );
    for (const w of windows)
      if (w.ms > dualBoundMs)
        violations.push(
          `two writable masters (${w.nodes.join(', ')}) for ${Math.round(w.ms)} ms from +${(w.from / 1000).toFixed(1)}s (bound ${dualBoundMs} ms)`,
        );
    if (!convergence.converged)
      violations.push(`not converged within ${convergeLimitMs} ms: ${convergence.last.join('; ')}`);
    return {
      seed: options.seed,
      profile: options.profile,
      settings,
      schedule,
      ops,
      events: nemesis.events,
      writes,
      lostUnexplained,
      promotions,
      dualWindows: windows,
      maxDualMs,
      samplerWorstGapMs: Math.round(worstSampleGap(sampler.samples)),
      convergence,
      violations,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await workload?.stop().catch(() => undefined);
    await sampler?.stop().catch(() => undefined);
    if (options.artifactsDir !== undefined) keepArtifacts(options.artifactsDir, options.seed, rig, sampler);
    await rig.destroy();
  }
}

/**
 * A fault's writes: acknowledged while it ran; its lost writes: acknowledged from
 * BEFORE_MARGIN_MS before it started until BEFORE_MARGIN_MS before the next one started (each lost
 * write counts once, for the last fault that may have caused it).
 */
function opResult(
  op: Op,
  startedAt: number,
  endedAt: number,
  nextStartedAt: number,
  records: readonly WriteRecord[],
  lostIds: readonly string[],
): OpResult {
  const lost = new Set(lostIds);
  const inOp = records.filter((r) => r.outcome === 'ok' && r.doneAt >= startedAt && r.doneAt < endedAt);
  return {
    index: op.index,
    fault: describeFault(op.fault),
    promise: promiseOf(op.fault),
    plannedAt: op.atMs,
    startedAt: Math.round(startedAt),
    endedAt: Math.round(endedAt),
    acknowledged: inOp.length,
    lost: records.filter(
      (r) =>
        lost.has(r.id) &&
        r.doneAt >= startedAt - BEFORE_MARGIN_MS &&
        r.doneAt < nextStartedAt - BEFORE_MARGIN_MS,
    ).length,
  };
}

/**
 * Lost writes that no 'bounded' or 'any' fault explains: acknowledged neither during such a
 * fault, nor within BEFORE_MARGIN_MS before it (any time before it for 'any'), nor before its
 * effects settled (a master killed and restarted takes effect after the fault's end too, up to
 * the next fault's start).
 */
function unexplained(
  records: readonly WriteRecord[],
  lostIds: readonly string[],
  opTimes: readonly { op: Op; startedAt: number; endedAt: number }[],
): string[] {
  const lost = new Set(lostIds);
  // A fault whose promise is 'any' (the master back without its data) may take every write
  // acknowledged before it.
  const windows = opTimes.map((o, i) => ({
    promise: promiseOf(o.op.fault),
    from: promiseOf(o.op.fault) === 'any' ? -Infinity : o.startedAt - BEFORE_MARGIN_MS,
    to: opTimes[i + 1]?.startedAt ?? Infinity,
  }));
  return records
    .filter((r) => lost.has(r.id))
    .filter((r) => !windows.some((w) => w.promise !== 'none-lost' && r.doneAt >= w.from && r.doneAt < w.to))
    .map((r) => `${r.id} acknowledged at +${(r.doneAt / 1000).toFixed(2)}s`);
}
