// `raftinel maintenance on|off <shard> <node>`: a Redis node under maintenance is never promoted,
// and while it is the master no automatic failover of its shard starts (a master that comes back
// empty is still failed over). Operator switchovers to it are refused until it is off.
import type { Argv } from 'yargs';
import type { ActionReply } from '../api.js';
import { expectOk } from '../client.js';
import { runCli, seg, withCommon, type Ctx } from '../common.js';

export const MAINTENANCE_EXAMPLE: [string, string] = [
  '$0 maintenance on mymaster r2',
  'r2 is never promoted until `maintenance off`',
];

interface MaintenanceArgs {
  readonly state: 'on' | 'off';
  readonly shard: string;
  readonly node: string;
}

export function maintenanceCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'maintenance <state> <shard> <node>',
    'put a Redis node in maintenance (never promoted; as master, no automatic failover) or end it',
    (b) =>
      withCommon(b)
        .positional('state', { choices: ['on', 'off'] as const, demandOption: true })
        .positional('shard', { type: 'string', demandOption: true, describe: 'shard name' })
        .positional('node', { type: 'string', demandOption: true, describe: 'Redis node id' })
        .example(...MAINTENANCE_EXAMPLE)
        .example('$0 maintenance off mymaster r2', 'r2 may be promoted again'),
    (argv) => runCli(argv, (ctx) => maintenance(ctx, argv as unknown as MaintenanceArgs)),
  );
}

async function maintenance(ctx: Ctx, args: MaintenanceArgs): Promise<number> {
  const path = `/v1/shards/${seg(args.shard)}/nodes/${seg(args.node)}/maintenance`;
  const reply = expectOk(
    await ctx.client.admin<ActionReply>(args.state === 'on' ? 'POST' : 'DELETE', path),
    `maintenance ${args.state} ${args.shard} ${args.node}`,
  );
  if (ctx.json) ctx.out.document(reply);
  else
    ctx.out.line(
      args.state === 'on'
        ? `${args.shard}/${args.node} in maintenance: never promoted; while it is the master, automatic failover is held back`
        : `${args.shard}/${args.node} out of maintenance`,
    );
  return 0;
}
