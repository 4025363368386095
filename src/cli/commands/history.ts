// `raftinel history <shard>`: the shard's failovers and switchovers, newest last, with their
// timeline (ms from detection or request to each step) and outcome.
import type { Argv } from 'yargs';
import type { HistoryEntry, HistoryReply } from '../api.js';
import { expectOk } from '../client.js';
import { runCli, seg, withCommon, type Ctx } from '../common.js';
import { formatMs, formatTime, renderTable, type Cell } from '../table.js';

export const HISTORY_EXAMPLE: [string, string] = [
  '$0 history mymaster',
  'past failovers and switchovers of mymaster',
];

export function historyCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'history <shard>',
    'failovers and switchovers of a shard, with timeline and outcome',
    (b) =>
      withCommon(b)
        .positional('shard', { type: 'string', demandOption: true, describe: 'shard name' })
        .option('limit', { type: 'number', requiresArg: true, describe: 'show only the last N entries' })
        .example(...HISTORY_EXAMPLE)
        .example(
          '$0 history mymaster --json | jq ".entries[-1].report"',
          'the candidate report of the last one',
        ),
    (argv) => runCli(argv, (ctx) => history(ctx, argv.shard as string, argv.limit)),
  );
}

async function history(ctx: Ctx, shard: string, limit: number | undefined): Promise<number> {
  const reply = expectOk(
    await ctx.client.get<HistoryReply>(`/v1/shards/${seg(shard)}/history`),
    `history of ${shard}`,
  );
  const entries =
    limit !== undefined && limit >= 0
      ? reply.entries.slice(Math.max(0, reply.entries.length - limit))
      : reply.entries;
  if (ctx.json) {
    ctx.out.document({ ...reply, entries });
    return 0;
  }
  if (entries.length === 0) {
    ctx.out.line(`${shard}: no failover or switchover yet`);
    return 0;
  }
  const rows = entries.map((e): Cell[] => [
    String(e.epoch),
    e.kind,
    e.from ?? '-',
    e.to,
    { text: e.result, style: e.result === 'ended' ? 'green' : 'red' },
    formatTime(e.at),
    formatMs(e.timeline.promoted),
    formatMs(e.timeline.ended),
    e.repointed.length > 0 ? e.repointed.join(',') : '-',
    reason(e),
  ]);
  ctx.out.line(
    renderTable(
      ['EPOCH', 'KIND', 'FROM', 'TO', 'RESULT', 'AT', 'PROMOTED', 'ENDED', 'REPOINTED', 'REASON'],
      rows,
      { color: ctx.out.color, right: [0, 6, 7] },
    ),
  );
  return 0;
}

function reason(e: HistoryEntry): string {
  // A failover is either automatic or an operator's; the entry does not say which.
  const why = e.reason ?? (e.kind === 'switchover' ? 'planned switchover' : null);
  const resynced = e.resynced?.length ? `resynced from the restarted master: ${e.resynced.join(',')}` : null;
  return [why, resynced].filter((x) => x !== null).join('; ') || '-';
}
