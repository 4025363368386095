// `raftinel failover <shard> --to NODE [--allow-data-loss]`: an operator's failover to a named
// replica, for when the master is gone and automatic failover cannot or should not act. No
// write pause and no catch-up, so the server refuses while the master answers (that is what
// `promote` is for) or when the target is behind, unless --allow-data-loss.
import type { Argv } from 'yargs';
import type { CandidateReport, ShardAnswer, SwitchoverReply } from '../api.js';
import { ACTION_TIMEOUT_MS, expectOk, httpError } from '../client.js';
import { runCli, seg, withCommon, withForce, type Ctx } from '../common.js';
import { CliError, EXIT_FAILED } from '../output.js';
import { confirm, requireConfirmable } from '../prompt.js';
import { candidatesHeadline, candidatesTable, shardsTable } from '../render.js';
import { formatMs } from '../table.js';

export const FAILOVER_EXAMPLE: [string, string] = [
  '$0 failover mymaster --to r2',
  'make r2 the master now (refused while the master answers)',
];

interface FailoverArgs {
  readonly shard: string;
  readonly to: string;
  readonly 'allow-data-loss': boolean;
}

export function failoverCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'failover <shard>',
    'fail over to a named replica without waiting for it to catch up (the master is down)',
    (b) =>
      withForce(withCommon(b))
        .positional('shard', { type: 'string', demandOption: true, describe: 'shard name' })
        .option('to', {
          type: 'string',
          demandOption: true,
          requiresArg: true,
          describe: 'the replica to promote',
        })
        .option('allow-data-loss', {
          type: 'boolean',
          default: false,
          describe:
            'go ahead even if the master still answers or the target is behind (acknowledged writes may be lost)',
        })
        .example(...FAILOVER_EXAMPLE)
        .example(
          '$0 failover mymaster --to r3 --allow-data-loss --yes',
          'r3 is behind, and losing its missing writes is accepted',
        ),
    (argv) => runCli(argv, (ctx) => failover(ctx, argv as FailoverArgs)),
  );
}

async function failover(ctx: Ctx, args: FailoverArgs): Promise<number> {
  const { client, out } = ctx;
  const action = `fail over ${args.shard} to ${args.to}`;
  requireConfirmable({ force: ctx.force, json: ctx.json, action });
  const path = `/v1/shards/${seg(args.shard)}`;
  const shard = expectOk(await client.get<ShardAnswer>(path), `GET ${path}`);
  const candidates = await client.admin<CandidateReport>('GET', `${path}/candidates`);
  out.line(shardsTable([shard], out.color));
  if (candidates.status === 200) {
    out.line(candidatesTable(candidates.body, out.color, args.to));
    out.line(candidatesHeadline(candidates.body));
  }
  const loss = args['allow-data-loss'] ? ' Acknowledged writes that did not reach it may be lost.' : '';
  await confirm(
    `Fail over ${args.shard} to ${args.to}, demoting ${shard.master?.id ?? 'no master'}?${loss}`,
    { force: ctx.force, json: ctx.json, action },
  );

  const reply = await client.admin<SwitchoverReply>(
    'POST',
    `${path}/failover`,
    { to: args.to, ...(args['allow-data-loss'] ? { allowDataLoss: true } : {}) },
    ACTION_TIMEOUT_MS,
  );
  if (reply.status !== 200 && reply.status !== 409) throw httpError(reply, `failover of ${args.shard}`);
  const result = reply.body;
  if (ctx.json) out.document(result);
  if (!result.ok) {
    const e = result.error ?? { code: 'failed', message: 'the failover failed' };
    throw new CliError(
      `failover of ${args.shard} refused or failed: ${e.message} (${e.code})`,
      EXIT_FAILED,
      e.code,
    );
  }
  const r = result.report;
  out.line(
    out.paint(
      `failover of ${args.shard} finished: ${r.from ?? '?'} -> ${r.to ?? '?'}, epoch ${r.epoch ?? '-'}`,
      'green',
    ),
  );
  out.line(
    `  repointed ${r.repointed.length > 0 ? r.repointed.join(', ') : 'none'}; took ${formatMs(r.stepsMs.total)}`,
  );
  return 0;
}
