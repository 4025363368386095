// A campaign over a range of seeds for `npm run sim`: in this process, or split over child
// processes (`--workers N`) that each run whole seeds and report them back. A seed's run does
// not depend on which process runs it, and reports are printed in seed order, so the output
// is the same for any number of workers (the timings aside).
import { fork, type ChildProcess } from 'node:child_process';
import type { FailoverBugName } from '../../src/failover/bugs.js';
import type { BugName } from '../../src/raft/bugs.js';
import { runSeed, type SimResult } from './cluster.js';

export interface CampaignOptions {
  readonly from: number;
  readonly seeds: number;
  readonly raftBug?: BugName;
  readonly failoverBug?: FailoverBugName;
  readonly verbose: boolean;
  readonly trace: boolean;
  /** Print each seed's run fingerprint (SimResult.fingerprint), in seed order. */
  readonly fingerprint?: boolean;
}

/** One seed's result as a worker sends it back (plain data). */
export interface SeedReport {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly caughtBy?: string;
  readonly mix: string;
  readonly fingerprint: string;
  readonly stats: SimResult['stats'];
  /** Wall-clock and CPU (user + system) milliseconds of this seed's run. */
  readonly ms: number;
  readonly cpuMs: number;
}

export function runReport(seed: number, opts: Omit<CampaignOptions, 'from' | 'seeds'>): SeedReport {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = runSeed({
    seed,
    bugs: opts.raftBug ? { [opts.raftBug]: true } : undefined,
    failoverBugs: opts.failoverBug ? { [opts.failoverBug]: true } : undefined,
    trace: opts.trace ? (line) => console.log(line) : undefined,
  });
  const cpu = process.cpuUsage(c0);
  return {
    seed,
    ok: r.ok,
    failure: r.failure,
    caughtBy: r.caughtBy,
    mix: r.mix,
    fingerprint: r.fingerprint,
    stats: r.stats,
    ms: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** The resync race (a replica full-syncing from a master restarted empty) and its outcomes. */
const raceKeys = [
  'lostHistoryBefore',
  'lostHistoryAfter',
  'mastersKept',
  'promotionsJudged',
  'promotions',
  'leaderLossesAfterEmptyRestart',
  'historiesAdopted',
] as const;

/** Prints reports in seed order as they complete, and the totals at the end. */
export class CampaignPrinter {
  private next: number;
  private readonly waiting = new Map<number, SeedReport>();
  private failures = 0;
  private firstFailure: number | null = null;
  private slowest = 0;
  private cpuMs = 0;
  private readonly byChecker = new Map<string, number>();
  private readonly race = Object.fromEntries(raceKeys.map((k) => [k, 0])) as Record<
    (typeof raceKeys)[number],
    number
  >;
  private readonly started = performance.now();

  constructor(private readonly opts: CampaignOptions) {
    this.next = opts.from;
  }

  add(r: SeedReport): void {
    this.waiting.set(r.seed, r);
    for (let w = this.waiting.get(this.next); w; w = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.print(w);
      this.next++;
    }
  }

  private print(r: SeedReport): void {
    const bug = this.opts.raftBug ?? this.opts.failoverBug;
    this.slowest = Math.max(this.slowest, r.ms);
    this.cpuMs += r.cpuMs;
    for (const k of raceKeys) this.race[k] += r.stats[k];
    if (this.opts.fingerprint)
      console.log(`seed ${r.seed} fingerprint ${r.fingerprint} events ${r.stats.events}`);
    if (this.opts.verbose)
      console.log(
        `seed ${r.seed}: ${r.ok ? 'ok' : 'FAIL'} ${r.ms.toFixed(0)} ms ${JSON.stringify(r.stats)}\n  mix: ${r.mix}`,
      );
    if (r.ok) return;
    this.failures++;
    this.firstFailure ??= r.seed;
    const checker = r.caughtBy ?? 'unknown';
    this.byChecker.set(checker, (this.byChecker.get(checker) ?? 0) + 1);
    console.log(`seed ${r.seed} FAILED: ${r.failure}`);
    console.log(`  replay: npm run sim -- --seeds 1 --from ${r.seed}${bug ? ` --bug ${bug}` : ''} --verbose`);
  }

  /** Prints the totals; returns the number of failed seeds. */
  finish(workers: number): number {
    const { seeds, from } = this.opts;
    const bug = this.opts.raftBug ?? this.opts.failoverBug;
    const total = performance.now() - this.started;
    const race = this.race;
    console.log(
      `sim: ${seeds} seeds from ${from}${bug ? ` with bug ${bug}` : ''}, ${this.failures} failed` +
        `${this.firstFailure !== null ? ` (first at seed ${this.firstFailure})` : ''}, ${(total / 1000).toFixed(1)} s` +
        `${workers > 1 ? ` on ${workers} workers` : ''}, ${(total / seeds).toFixed(0)} ms/seed mean, ` +
        `${(this.cpuMs / seeds).toFixed(1)} ms CPU/seed mean, ${this.slowest.toFixed(0)} ms slowest`,
    );
    console.log(
      `failovers: ${race.promotions} promotions, ${race.promotionsJudged} Promoted judged against the fake's history; ` +
        `candidates that had resynced from an empty master, caught before REPLICAOF NO ONE ${race.lostHistoryBefore}, ` +
        `after it ${race.lostHistoryAfter}; masters kept (every replica resynced) ${race.mastersKept}; ` +
        `leaders lost right after an empty restart ${race.leaderLossesAfterEmptyRestart}, stale histories adopted ${race.historiesAdopted}`,
    );
    if (this.byChecker.size > 0) {
      const counts = [...this.byChecker].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name}: ${n}`);
      console.log(`caught by: ${counts.join(', ')}`);
    }
    return this.failures;
  }
}

/** Seeds handed to a worker at a time, at most: small enough to balance, large enough to keep IPC rare. */
const MAX_BATCH = 10;

type ToWorker = { readonly seeds: readonly number[] } | { readonly stop: true };

/** Runs the range over `workers` child processes (this script with `--worker`). */
export async function runWithWorkers(
  opts: CampaignOptions,
  workers: number,
  script: string,
  printer: CampaignPrinter,
): Promise<void> {
  let nextSeed = opts.from;
  const end = opts.from + opts.seeds;
  // Several batches per worker even for short ranges, so that no worker idles while another works.
  const batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(opts.seeds / (4 * workers))));
  const nextBatch = (): ToWorker => {
    if (nextSeed >= end) return { stop: true };
    const seeds: number[] = [];
    for (; seeds.length < batch && nextSeed < end; nextSeed++) seeds.push(nextSeed);
    return { seeds };
  };
  const bug = opts.raftBug ?? opts.failoverBug;
  const args = ['--worker', ...(bug ? ['--bug', bug] : []), ...(opts.verbose ? ['--verbose'] : [])];
  const runs = Array.from({ length: Math.min(workers, opts.seeds) }, () => {
    const child: ChildProcess = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise<void>((resolve, reject) => {
      let owed = 0;
      const send = (): void => {
        const batch = nextBatch();
        if ('seeds' in batch) owed = batch.seeds.length;
        child.send(batch);
      };
      child.on('message', (r: SeedReport) => {
        printer.add(r);
        if (--owed === 0) send();
      });
      child.on('exit', (code) =>
        owed === 0 && code === 0 ? resolve() : reject(new Error(`sim worker exited with ${code}`)),
      );
      send();
    });
  });
  await Promise.all(runs);
}

/** The child's side: runs the seeds it is sent and reports each one. */
export function serveAsWorker(opts: Omit<CampaignOptions, 'from' | 'seeds'>): void {
  process.on('message', (m: ToWorker) => {
    if ('stop' in m) {
      // Not from inside the handler: Node still touches the channel after it returns.
      setImmediate(() => process.disconnect());
      return;
    }
    for (const seed of m.seeds) (process.send as (r: SeedReport) => void)(runReport(seed, opts));
  });
}
