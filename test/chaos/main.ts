// `npm run chaos -- [--minutes M] [--seed S] [--profile all|safe|ci] [--out DIR]`: one chaos campaign
// with real redis-server and raftinel processes (docs/design.md 9). Prints the schedule the seed
// draws, each fault as it starts, then the Markdown report; writes JSON and Markdown to DIR
// (default test/chaos/results, gitignored). Exit 0 when every invariant held, 1 otherwise, 2 on
// bad arguments. Heavy: run it as `flock /tmp/raftinel-heavy.lock nice -n -10 npm run chaos -- ...`
// on a shared machine.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCampaign } from './campaign.js';
import { markdown, writeReport } from './report.js';
import type { Profile } from './schedule.js';

const DEFAULT_OUT = fileURLToPath(new URL('../../../test/chaos/results', import.meta.url));

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run chaos -- [--minutes M] [--seed S] [--profile all|safe|ci] [--out DIR]\n`,
  );
  process.exit(2);
}

// ioredis' failover detector opens its own connections to the RESP endpoints without an error
// listener, so a killed raftinel node prints "[ioredis] Unhandled error event" for each retry.
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].startsWith('[ioredis] Unhandled error event')) return;
  consoleError(...args);
};

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        minutes: { type: 'string', default: '2' },
        seed: { type: 'string' },
        profile: { type: 'string', default: 'all' },
        out: { type: 'string', default: DEFAULT_OUT },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) usage(`--minutes must be a positive number, got ${values.minutes}`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) usage(`--seed must be a non-negative integer, got ${values.seed}`);
  if (!['all', 'safe', 'ci'].includes(values.profile as string))
    usage(`--profile must be all, safe or ci, got ${values.profile}`);
  const result = await runCampaign({
    seed,
    faultMs: Math.round(minutes * 60_000),
    profile: values.profile as Profile,
    artifactsDir: values.out as string,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const paths = writeReport(values.out as string, result);
  process.stdout.write(`\n${markdown(result)}\n\nreport: ${paths.md}\n        ${paths.json}\n`);
  process.exit(result.violations.length === 0 ? 0 : 1);
}

await main();
