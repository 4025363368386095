// `raftinel status`: the Raft members, leader and term, then every shard with its master and
// replicas (lag, link). --json is exactly {cluster: GET /v1/cluster, shards: GET /v1/shards}.
import type { Argv } from 'yargs';
import type { ShardAnswer } from '../api.js';
import { httpError } from '../client.js';
import { runCli, withCommon, type Ctx } from '../common.js';
import {
  clusterLine,
  cooldownLines,
  membersTable,
  preflightProblems,
  shardProblems,
  shardsTable,
} from '../render.js';

export const STATUS_EXAMPLE: [string, string] = [
  '$0 status --endpoint http://10.0.0.1:26380,http://10.0.0.2:26380',
  'Raft members, leader, term; shards, masters, replicas, lag',
];

export function statusCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'status',
    'shards, masters, replicas with lag, Raft members, leader and term',
    (b) =>
      withCommon(b)
        .example(...STATUS_EXAMPLE)
        .example('$0 status --json | jq .shards', 'the same as one JSON document'),
    (argv) => runCli(argv, status),
  );
}

async function status(ctx: Ctx): Promise<number> {
  const cluster = await ctx.client.cluster();
  let reply = await ctx.client.get<ShardAnswer[]>('/v1/shards');
  let stale = false;
  if (reply.status === 503) {
    // No majority confirmed the read: show the node's applied view, marked, and fail.
    reply = await ctx.client.get<ShardAnswer[]>('/v1/shards?stale=ok');
    stale = true;
  }
  if (reply.status !== 200 || !Array.isArray(reply.body)) throw httpError(reply, 'GET /v1/shards');
  const shards = reply.body;
  if (ctx.json) {
    ctx.out.document({ cluster, shards });
    return stale ? 1 : 0;
  }
  const { out } = ctx;
  out.line(clusterLine(cluster));
  out.line();
  out.line(membersTable(cluster, out.color));
  out.line();
  out.line(shards.length > 0 ? shardsTable(shards, out.color) : 'no shards');
  for (const p of shardProblems(shards)) out.line(out.paint(p, 'red'));
  for (const c of cooldownLines(shards)) out.line(out.paint(c, 'yellow'));
  for (const p of preflightProblems(shards)) out.line(out.paint(p.line, p.error ? 'red' : 'yellow'));
  if (stale)
    out.warn(
      `no majority confirmed the read: shards as ${cluster.node} last applied them (they may be out of date)`,
    );
  return stale ? 1 : 0;
}
