// The simulator in CI: a fixed range of seeds must pass on the real code, and each known Raft
// bug (src/raft/bugs.ts) must be caught by the external checkers within a stated number of
// seeds. Runs are deterministic per seed, so the bounds below are stable until the simulator,
// the Raft core or the runtime changes; then re-measure with
//   npm run sim -- --seeds 1000 --from 1 --bug NAME
// and keep each bound at about three times the longest run of seeds without a catch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bugNames, type BugName } from '../../src/raft/bugs.js';
import { runSeed, type SimResult } from './cluster.js';

const FIRST_SEED = 1;
const SEEDS = 1000;

/**
 * How many seeds (from seed 1) each bug may get before a safety checker must have failed a run.
 * Measured over seeds 1..1000: the first catching seed, the share of seeds caught, and the
 * longest stretch of seeds without a catch. The first catch moves whenever the simulator or
 * the core changes (commitOldTerm went from seed 1 to seed 36 after one runtime change while its
 * rate stayed near 10%), so each bound is about three times that longest stretch instead.
 */
const bugBounds: Readonly<Record<BugName, { readonly bound: number; readonly measured: string }>> = {
  commitOldTerm: { bound: 150, measured: 'first at seed 36, 9.7% of seeds, longest gap 50' },
  doubleVote: { bound: 45, measured: 'first at seed 5, 32% of seeds, longest gap 16' },
  voteNotPersisted: { bound: 150, measured: 'first at seed 7, 10.4% of seeds, longest gap 41' },
  preVoteSkipsLogCheck: { bound: 15, measured: 'first at seed 1, 87% of seeds, longest gap 4' },
  readWithoutQuorum: { bound: 50, measured: 'first at seed 2, 37% of seeds, longest gap 16' },
  sendBeforePersist: { bound: 180, measured: 'first at seed 10, 10.7% of seeds, longest gap 39' },
};

/**
 * The safety checkers. A liveness failure or an exception under a bug proves nothing about
 * the checkers, so the bug runs look for a safety violation and step over anything else.
 */
const safetyCheckers = new Set([
  'Election Safety',
  'Leader Append-Only',
  'Log Matching',
  'Leader Completeness',
  'State Machine Safety',
  'Vote Restriction',
  'One Vote Per Term',
  'Linearizable Read',
]);

function replay(seed: number, bug?: BugName): string {
  return `npm run sim -- --seeds 1 --from ${seed}${bug ? ` --bug ${bug}` : ''} --verbose`;
}

test(`simulation: seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1} pass on the real code`, (t) => {
  const failures: SimResult[] = [];
  let slowest = 0;
  const started = performance.now();
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    const t0 = performance.now();
    const r = runSeed({ seed });
    slowest = Math.max(slowest, performance.now() - t0);
    if (!r.ok) failures.push(r);
  }
  const meanMs = (performance.now() - started) / SEEDS;
  t.diagnostic(
    `${SEEDS} seeds, ${meanMs.toFixed(1)} ms/seed mean, ${slowest.toFixed(0)} ms slowest (target: 250 ms/seed)`,
  );
  assert.deepEqual(
    failures.map((r) => `seed ${r.seed}: ${r.failure}\n  replay: ${replay(r.seed)}`),
    [],
    `${failures.length} of ${SEEDS} seeds failed`,
  );
  // A hang guard, not a speed claim (DESIGN section 9): the target is four times lower.
  assert.ok(meanMs < 1000, `mean ${meanMs.toFixed(0)} ms per seed`);
});

for (const bug of bugNames) {
  const { bound, measured } = bugBounds[bug];
  test(`simulation: the checkers catch bug ${bug} within ${bound} seeds`, (t) => {
    const skipped: string[] = [];
    let caught: SimResult | undefined;
    for (let seed = 1; seed <= bound && !caught; seed++) {
      const r = runSeed({ seed, bugs: { [bug]: true } });
      if (r.ok) continue;
      if (r.caughtBy !== undefined && safetyCheckers.has(r.caughtBy)) caught = r;
      else skipped.push(`seed ${r.seed} (${r.caughtBy})`);
    }
    assert.ok(
      caught,
      `no safety checker caught ${bug} in seeds 1..${bound} (measured: ${measured}); ` +
        `other failures: ${skipped.join(', ') || 'none'}`,
    );
    t.diagnostic(`${bug}: caught at seed ${caught.seed} by ${caught.caughtBy}: ${caught.failure}`);
    t.diagnostic(`  replay: ${replay(caught.seed, bug)}`);
  });
}
