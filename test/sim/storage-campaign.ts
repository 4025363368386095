// `node dist/test/sim/storage-campaign.js --seeds N --from S [--storage-bug hardStateApart]`:
// runs seeds like main.ts and totals the storage faults they injected (sim-storage.ts), so a
// campaign can say how many saves were cut and disks filled, not just that the seeds passed.
// With --storage-bug, the storage runs a known bug (src/storage/bugs.ts): the point is to see
// the checkers catch it.
import type { StorageBugs } from '../../src/storage/bugs.js';
import { runSeed } from './cluster.js';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const seeds = Number(arg('seeds', '100'));
const from = Number(arg('from', '1'));
const bug = arg('storage-bug') as keyof StorageBugs | undefined;
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(from) || from < 0) {
  console.error('usage: storage-campaign --seeds N --from S [--storage-bug hardStateApart]');
  process.exit(2);
}
if (bug !== undefined && bug !== 'hardStateApart') {
  console.error(`unknown storage bug ${bug}`);
  process.exit(2);
}

const started = performance.now();
let failures = 0;
let crashesInSave = 0;
let diskFullDeaths = 0;
let crashes = 0;
const byChecker = new Map<string, number>();
for (let seed = from; seed < from + seeds; seed++) {
  const r = runSeed({ seed, storageBugs: bug ? { [bug]: true } : undefined });
  crashesInSave += r.stats.crashesInSave;
  diskFullDeaths += r.stats.diskFullDeaths;
  crashes += r.stats.crashes;
  if (!r.ok) {
    failures++;
    byChecker.set(r.caughtBy ?? 'unknown', (byChecker.get(r.caughtBy ?? 'unknown') ?? 0) + 1);
    console.log(`seed ${seed} FAILED: ${r.failure?.split('\n')[0]}`);
  }
}
console.log(
  `storage campaign: ${seeds} seeds from ${from}${bug ? ` with storage bug ${bug}` : ''}, ${failures} failed, ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s; node crashes ${crashes}, ` +
    `saves cut by a crash point ${crashesInSave}, deaths on a full disk ${diskFullDeaths}`,
);
if (byChecker.size > 0) console.log(`caught by: ${[...byChecker].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
process.exit(failures > 0 ? 1 : 0);
