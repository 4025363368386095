// `raftinel candidates <shard>`: the candidate report as the leader computes it now: which
// replica would win a failover, and why each one would win or lose.
import type { Argv } from 'yargs';
import type { CandidateReport } from '../api.js';
import { expectOk } from '../client.js';
import { runCli, seg, withCommon, type Ctx } from '../common.js';
import { candidatesHeadline, candidatesTable } from '../render.js';

export const CANDIDATES_EXAMPLE: [string, string] = [
  '$0 candidates mymaster',
  'which replica would win a failover, and why',
];

export function candidatesCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'candidates <shard>',
    'the candidate report: why each replica would win or lose a failover',
    (b) =>
      withCommon(b)
        .positional('shard', { type: 'string', demandOption: true, describe: 'shard name' })
        .example(...CANDIDATES_EXAMPLE),
    (argv) => runCli(argv, (ctx) => candidates(ctx, argv.shard as string)),
  );
}

async function candidates(ctx: Ctx, shard: string): Promise<number> {
  // An admin route: the report comes from the leader's observation table.
  const report = expectOk(
    await ctx.client.admin<CandidateReport>('GET', `/v1/shards/${seg(shard)}/candidates`),
    `candidates of ${shard}`,
  );
  if (ctx.json) {
    ctx.out.document(report);
    return 0;
  }
  ctx.out.line(candidatesTable(report, ctx.out.color));
  ctx.out.line(candidatesHeadline(report));
  return 0;
}
