// `raftinel pause|resume <shard>|--all` and `raftinel ack <shard>`: hold back or allow
// automatic failover (discovery stays correct meanwhile), and acknowledge a failover so that
// the shard's cooldown ends early. Operator switchovers and failovers are never held back.
import type { Argv } from 'yargs';
import type { ActionReply } from '../api.js';
import { expectOk } from '../client.js';
import { runCli, seg, usage, withCommon, type Ctx } from '../common.js';

export const PAUSE_EXAMPLE: [string, string] = [
  '$0 pause mymaster',
  'hold back automatic failover of mymaster (maintenance)',
];
export const RESUME_EXAMPLE: [string, string] = [
  '$0 resume --all',
  'allow automatic failover of every shard again',
];
export const ACK_EXAMPLE: [string, string] = [
  '$0 ack mymaster',
  'acknowledge the last failover: end the cooldown early',
];

interface TargetArgs {
  readonly shard?: string;
  readonly all: boolean;
}

export function pauseCommands<T>(y: Argv<T>): Argv<T> {
  for (const verb of ['pause', 'resume'] as const) {
    const example = verb === 'pause' ? PAUSE_EXAMPLE : RESUME_EXAMPLE;
    y.command(
      `${verb} [shard]`,
      verb === 'pause'
        ? 'hold back automatic failover of a shard, or of all with --all'
        : 'allow automatic failover again (a shard, or all with --all)',
      (b) =>
        withCommon(b)
          .positional('shard', { type: 'string', describe: 'shard name' })
          .option('all', {
            type: 'boolean',
            default: false,
            describe: 'every shard (the cluster-wide switch)',
          })
          .example(...example)
          .example(
            `$0 ${verb} ${verb === 'pause' ? '--all' : 'mymaster'}`,
            verb === 'pause' ? 'every shard' : 'one shard',
          ),
      (argv) => runCli(argv, (ctx) => pauseOrResume(ctx, verb, argv as TargetArgs)),
    );
  }
  return y.command(
    'ack <shard>',
    "acknowledge a shard's last failover: its cooldown ends and automatic failover may act again",
    (b) =>
      withCommon(b)
        .positional('shard', { type: 'string', demandOption: true, describe: 'shard name' })
        .example(...ACK_EXAMPLE),
    (argv) => runCli(argv, (ctx) => ack(ctx, argv.shard as string)),
  );
}

async function pauseOrResume(ctx: Ctx, verb: 'pause' | 'resume', args: TargetArgs): Promise<number> {
  if ((args.shard === undefined) === !args.all) throw usage(`${verb}: name a shard or give --all (not both)`);
  const path = args.all ? `/v1/${verb}` : `/v1/shards/${seg(args.shard as string)}/${verb}`;
  const reply = expectOk(
    await ctx.client.admin<ActionReply>('POST', path),
    `${verb} ${args.shard ?? '--all'}`,
  );
  if (ctx.json) {
    ctx.out.document(reply);
    return 0;
  }
  const what = args.all ? 'every shard' : args.shard;
  ctx.out.line(
    verb === 'pause'
      ? `automatic failover paused for ${what} (discovery, \`raftinel promote\` and \`raftinel failover\` still work)`
      : `automatic failover resumed for ${what}`,
  );
  if (verb === 'resume' && !args.all) {
    // A shard reads paused while the cluster-wide switch is on: say so rather than look broken.
    const shard = await ctx.client.get<{ paused?: boolean }>(
      `/v1/shards/${seg(args.shard as string)}?stale=ok`,
    );
    if (shard.status === 200 && shard.body.paused === true)
      ctx.out.line('every shard is still paused cluster-wide: `raftinel resume --all` lifts that');
  }
  return 0;
}

async function ack(ctx: Ctx, shard: string): Promise<number> {
  const reply = expectOk(
    await ctx.client.admin<ActionReply>('POST', `/v1/shards/${seg(shard)}/ack`),
    `ack ${shard}`,
  );
  if (ctx.json) ctx.out.document(reply);
  else ctx.out.line(`${shard}: last failover acknowledged; the cooldown is over`);
  return 0;
}
