// `raftinel members list|add <id> <raft-addr>|remove <id>`: Raft membership. A new node joins
// as a learner and the leader promotes it to voter once it has caught up; removing a voter is
// refused by the server when the remaining voters would have no live majority.
import type { Argv } from 'yargs';
import type { ActionReply } from '../api.js';
import { expectOk } from '../client.js';
import { runCli, seg, withCommon, withForce, type Ctx } from '../common.js';
import { confirm, requireConfirmable } from '../prompt.js';
import { clusterLine, membersTable } from '../render.js';

export const MEMBERS_EXAMPLE: [string, string] = [
  '$0 members add n4 10.0.0.4:26381',
  'add n4 (as a learner, a voter once caught up)',
];

export function membersCommand<T>(y: Argv<T>): Argv<T> {
  return y.command('members', 'Raft membership: list, add, remove', (b) =>
    b
      .command(
        'list',
        'the Raft members: role, state, health, addresses',
        (c) => withCommon(c).example('$0 members list', 'who votes, who leads, who is healthy'),
        (argv) => runCli(argv, list),
      )
      .command(
        'add <id> <raft-addr>',
        'add a raftinel node; it joins as a learner and becomes a voter once caught up',
        (c) =>
          withCommon(c)
            .positional('id', {
              type: 'string',
              demandOption: true,
              describe: 'the new node id (its node.id)',
            })
            .positional('raft-addr', {
              type: 'string',
              demandOption: true,
              describe: 'its Raft peer address, host:port',
            })
            .example(...MEMBERS_EXAMPLE),
        (argv) => runCli(argv, (ctx) => add(ctx, argv.id as string, argv['raft-addr'] as string)),
      )
      .command(
        'remove <id>',
        'remove a raftinel node from the membership',
        (c) =>
          withForce(withCommon(c))
            .positional('id', { type: 'string', demandOption: true, describe: 'the node id' })
            .example('$0 members remove n4 --yes', 'without asking'),
        (argv) => runCli(argv, (ctx) => remove(ctx, argv.id as string)),
      )
      .demandCommand(1, 'name a members command: list, add or remove')
      .example('$0 members list', 'the Raft members')
      .example(...MEMBERS_EXAMPLE),
  );
}

async function list(ctx: Ctx): Promise<number> {
  const cluster = await ctx.client.cluster();
  if (ctx.json) {
    ctx.out.document(cluster);
    return 0;
  }
  ctx.out.line(clusterLine(cluster));
  ctx.out.line(membersTable(cluster, ctx.out.color));
  return 0;
}

async function add(ctx: Ctx, id: string, raft: string): Promise<number> {
  const reply = expectOk(
    await ctx.client.admin<ActionReply>('POST', '/v1/members', { id, raft }),
    `members add ${id}`,
  );
  if (ctx.json) ctx.out.document(reply);
  else
    ctx.out.line(
      `${id} added as a learner at ${raft}; start it with an empty data dir, it becomes a voter once it has caught up`,
    );
  return 0;
}

async function remove(ctx: Ctx, id: string): Promise<number> {
  const action = `remove member ${id}`;
  requireConfirmable({ force: ctx.force, json: ctx.json, action });
  const cluster = await ctx.client.cluster();
  const member = cluster.members.find((m) => m.id === id);
  if (!ctx.json) {
    ctx.out.line(clusterLine(cluster));
    ctx.out.line(membersTable(cluster, ctx.out.color));
  }
  const leaderNote = member?.state === 'leader' ? ' It is the leader: a new election follows.' : '';
  await confirm(`Remove ${id} (${member?.role ?? 'not a member'}) from the Raft membership?${leaderNote}`, {
    force: ctx.force,
    json: ctx.json,
    action,
  });
  const reply = expectOk(await ctx.client.admin<ActionReply>('DELETE', `/v1/members/${seg(id)}`), action);
  if (ctx.json) ctx.out.document(reply);
  else ctx.out.line(`${id} removed from the membership; stop its process`);
  return 0;
}
