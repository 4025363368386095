// `npm run sim -- --seeds N --from S [--bug NAME] [--verbose] [--trace]`: runs seeds S..S+N-1, prints the
// exact command that replays any failure and, at the end, how many failures each checker found.
// NAME is a Raft bug (src/raft/bugs.ts) or a failover bug (src/failover/bugs.ts).
import { failoverBugNames, type FailoverBugName } from '../../src/failover/bugs.js';
import { bugNames, type BugName } from '../../src/raft/bugs.js';
import { runSeed } from './cluster.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const seeds = Number(arg('seeds', '100'));
const from = Number(arg('from', '1'));
const bug = arg('bug') as BugName | FailoverBugName | undefined;
const isRaftBug = (name: string): name is BugName => (bugNames as readonly string[]).includes(name);
const isFailoverBug = (name: string): name is FailoverBugName =>
  (failoverBugNames as readonly string[]).includes(name);
const verbose = process.argv.includes('--verbose');
const trace = process.argv.includes('--trace');
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(from) || from < 0) {
  console.error('usage: npm run sim -- --seeds N --from S [--bug NAME] [--verbose] [--trace]');
  process.exit(2);
}
if (bug !== undefined && !isRaftBug(bug) && !isFailoverBug(bug)) {
  console.error(`unknown bug ${bug}; one of ${[...bugNames, ...failoverBugNames].join(', ')}`);
  process.exit(2);
}

const started = performance.now();
let failures = 0;
let slowest = 0;
let firstFailure: number | null = null;
const byChecker = new Map<string, number>();
/** The resync race (a replica full-syncing from a master restarted empty) and its outcomes. */
const race = {
  lostHistoryBefore: 0,
  lostHistoryAfter: 0,
  mastersKept: 0,
  promotionsJudged: 0,
  promotions: 0,
  leaderLossesAfterEmptyRestart: 0,
  historiesAdopted: 0,
};
for (let seed = from; seed < from + seeds; seed++) {
  const t0 = performance.now();
  const r = runSeed({
    seed,
    bugs: bug && isRaftBug(bug) ? { [bug]: true } : undefined,
    failoverBugs: bug && isFailoverBug(bug) ? { [bug]: true } : undefined,
    trace: trace ? (line) => console.log(line) : undefined,
  });
  const ms = performance.now() - t0;
  slowest = Math.max(slowest, ms);
  for (const k of Object.keys(race) as (keyof typeof race)[]) race[k] += r.stats[k];
  if (verbose)
    console.log(
      `seed ${seed}: ${r.ok ? 'ok' : 'FAIL'} ${ms.toFixed(0)} ms ${JSON.stringify(r.stats)}\n  mix: ${r.mix}`,
    );
  if (!r.ok) {
    failures++;
    firstFailure ??= seed;
    const checker = r.caughtBy ?? 'unknown';
    byChecker.set(checker, (byChecker.get(checker) ?? 0) + 1);
    console.log(`seed ${seed} FAILED: ${r.failure}`);
    console.log(`  replay: npm run sim -- --seeds 1 --from ${seed}${bug ? ` --bug ${bug}` : ''} --verbose`);
  }
}
const total = performance.now() - started;
console.log(
  `sim: ${seeds} seeds from ${from}${bug ? ` with bug ${bug}` : ''}, ${failures} failed` +
    `${firstFailure !== null ? ` (first at seed ${firstFailure})` : ''}, ${(total / 1000).toFixed(1)} s, ` +
    `${(total / seeds).toFixed(0)} ms/seed mean, ${slowest.toFixed(0)} ms slowest`,
);
console.log(
  `failovers: ${race.promotions} promotions, ${race.promotionsJudged} Promoted judged against the fake's history; ` +
    `candidates that had resynced from an empty master, caught before REPLICAOF NO ONE ${race.lostHistoryBefore}, ` +
    `after it ${race.lostHistoryAfter}; masters kept (every replica resynced) ${race.mastersKept}; ` +
    `leaders lost right after an empty restart ${race.leaderLossesAfterEmptyRestart}, stale histories adopted ${race.historiesAdopted}`,
);
if (byChecker.size > 0) {
  const counts = [...byChecker].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name}: ${n}`);
  console.log(`caught by: ${counts.join(', ')}`);
}
process.exit(failures > 0 ? 1 : 0);
