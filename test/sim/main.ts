// `npm run sim -- --seeds N --from S [--workers W] [--bug NAME] [--verbose] [--trace] [--fingerprint]`: runs seeds
// S..S+N-1 (over W child processes, default 1: this one), prints the exact command that replays
// any failure and, at the end, how many failures each checker found.
// NAME is a Raft bug (src/raft/bugs.ts) or a failover bug (src/failover/bugs.ts).
import { failoverBugNames, type FailoverBugName } from '../../src/failover/bugs.js';
import { bugNames, type BugName } from '../../src/raft/bugs.js';
import {
  CampaignPrinter,
  runReport,
  runWithWorkers,
  serveAsWorker,
  type CampaignOptions,
} from './campaign.js';

const USAGE =
  'usage: npm run sim -- --seeds N --from S [--workers W] [--bug NAME] [--verbose] [--trace] [--fingerprint]';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const seeds = Number(arg('seeds', '100'));
const from = Number(arg('from', '1'));
const workers = Number(arg('workers', '1'));
const bug = arg('bug');
const isRaftBug = (name: string): name is BugName => (bugNames as readonly string[]).includes(name);
const isFailoverBug = (name: string): name is FailoverBugName =>
  (failoverBugNames as readonly string[]).includes(name);
const verbose = process.argv.includes('--verbose');
const trace = process.argv.includes('--trace');
const fingerprint = process.argv.includes('--fingerprint');
if (
  !Number.isInteger(seeds) ||
  seeds < 1 ||
  !Number.isInteger(from) ||
  from < 0 ||
  !Number.isInteger(workers) ||
  workers < 1
) {
  console.error(USAGE);
  process.exit(2);
}
if (bug !== undefined && !isRaftBug(bug) && !isFailoverBug(bug)) {
  console.error(`unknown bug ${bug}; one of ${[...bugNames, ...failoverBugNames].join(', ')}`);
  process.exit(2);
}
if (trace && workers > 1) {
  console.error('--trace prints one run: use it without --workers');
  process.exit(2);
}

// A campaign counts failures and prints the command that replays each one with --verbose, which
// keeps stacks. Without them, the errors that production code hands back as values on hot paths
// (RaftError not_leader for a write sent to a follower, ENOSPC) capture no stack: 2% of a seed.
if (!verbose && !trace) Error.stackTraceLimit = 0;

const opts: CampaignOptions = {
  from,
  seeds,
  raftBug: bug !== undefined && isRaftBug(bug) ? bug : undefined,
  failoverBug: bug !== undefined && isFailoverBug(bug) ? bug : undefined,
  verbose,
  trace,
  fingerprint,
};

if (process.argv.includes('--worker')) {
  serveAsWorker(opts);
} else {
  const printer = new CampaignPrinter(opts);
  if (workers > 1) {
    await runWithWorkers(opts, workers, process.argv[1], printer);
  } else {
    for (let seed = from; seed < from + seeds; seed++) printer.add(runReport(seed, opts));
  }
  process.exit(printer.finish(workers) > 0 ? 1 : 0);
}
