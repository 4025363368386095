// `npm run sim -- --seeds N --from S [--bug NAME] [--verbose]`: runs seeds S..S+N-1 and prints
// the exact command that replays any failure.
import { bugNames, type BugName } from '../../src/raft/bugs.js';
import { runSeed } from './cluster.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const seeds = Number(arg('seeds', '100'));
const from = Number(arg('from', '1'));
const bug = arg('bug') as BugName | undefined;
const verbose = process.argv.includes('--verbose');
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(from) || from < 0) {
  console.error('usage: npm run sim -- --seeds N --from S [--bug NAME] [--verbose]');
  process.exit(2);
}
if (bug !== undefined && !bugNames.includes(bug)) {
  console.error(`unknown bug ${bug}; one of ${bugNames.join(', ')}`);
  process.exit(2);
}

const started = performance.now();
let failures = 0;
let slowest = 0;
for (let seed = from; seed < from + seeds; seed++) {
  const t0 = performance.now();
  const r = runSeed({ seed, bugs: bug ? { [bug]: true } : undefined });
  const ms = performance.now() - t0;
  slowest = Math.max(slowest, ms);
  if (verbose) console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAIL'} ${ms.toFixed(0)} ms ${JSON.stringify(r.stats)}`);
  if (!r.ok) {
    failures++;
    console.log(`seed ${seed} FAILED: ${r.failure}`);
    console.log(`  replay: npm run sim -- --seeds 1 --from ${seed}${bug ? ` --bug ${bug}` : ''}`);
  }
}
const total = performance.now() - started;
console.log(
  `sim: ${seeds} seeds from ${from}, ${failures} failed, ${(total / 1000).toFixed(1)} s, ` +
    `${(total / seeds).toFixed(0)} ms/seed mean, ${slowest.toFixed(0)} ms slowest`,
);
process.exit(failures > 0 ? 1 : 0);
