// SENTINEL subcommands. Reads answer from the source (applied state plus this node's probes);
// FAILOVER runs a planned switchover on an admin connection; everything else that would change
// state answers an error naming the raftinel CLI command to use, because in raftinel changes go
// through the Raft log, never through one node's RESP port.
import { globMatch } from '../glob.js';
import { masterRecord, replicaRecord, sentinelRecord } from '../records.js';
import { array, bulk, bulkMap, error, NULL_ARRAY, OK, simple, type Reply } from '../reply.js';
import type { SentinelShard } from '../source.js';
import {
  FAILOVER_NEEDS_ADMIN,
  IDONTKNOW,
  NO_SUCH_MASTER,
  SENTINEL_CONFIG_USAGE,
  unsupportedSentinel,
} from '../texts.js';
import { helpLines } from './spec.js';
import { arg, lower, type CommandContext, type Handler } from './types.js';

function findShard(ctx: CommandContext, args: readonly Buffer[]): SentinelShard | null {
  const name = arg(args, 2);
  const shard = ctx.source.shards().find((s) => s.name === name) ?? null;
  if (shard === null) ctx.reply(error(NO_SUCH_MASTER));
  return shard;
}

const stale = (ctx: CommandContext): boolean => !ctx.source.hasFreshLeader();

export const masters: Handler = (ctx) => {
  const others = ctx.source.sentinels().length;
  const isStale = stale(ctx);
  ctx.reply(array(ctx.source.shards().map((s) => bulkMap(masterRecord(s, others, isStale)))));
};

export const master: Handler = (ctx, args) => {
  const shard = findShard(ctx, args);
  if (shard) ctx.reply(bulkMap(masterRecord(shard, ctx.source.sentinels().length, stale(ctx))));
};

export const replicas: Handler = (ctx, args) => {
  const shard = findShard(ctx, args);
  if (shard) ctx.reply(array(shard.replicas.map((r) => bulkMap(replicaRecord(shard, r)))));
};

export const sentinels: Handler = (ctx, args) => {
  const shard = findShard(ctx, args);
  if (shard) ctx.reply(array(ctx.source.sentinels().map((p) => bulkMap(sentinelRecord(shard, p)))));
};

export const getMasterAddr: Handler = (ctx, args) => {
  const name = ctx.shardNames.decode(args[2]);
  const reply = masterAddrReply(ctx, name);
  ctx.reply(reply ?? NULL_ARRAY);
  // The next identical request on any connection skips parsing and dispatch (known-requests.ts).
  if (reply !== null) ctx.knownRequests.learn(args, name);
};

/** GET-MASTER-ADDR-BY-NAME's answer for a decoded name; null when no shard has that name. */
export function masterAddrReply(ctx: CommandContext, name: string): Reply | null {
  const master = ctx.source.masterAddress
    ? ctx.source.masterAddress(name)
    : masterOf(ctx.source.shards().find((s) => s.name === name));
  // Unknown name: a null array, as Sentinel (clients read it as "no such master").
  if (master === undefined) return null;
  // Sentinel's answer when it cannot vouch for the address; clients then ask the next node.
  if (stale(ctx) || master === null) return error(IDONTKNOW);
  return ctx.addressReplies.reply(name, master);
}

export const myid: Handler = (ctx) => {
  ctx.reply(bulk(ctx.source.myId()));
};

/** Sentinel's sentinelIsQuorumReachable: usable = this node plus the peers it reaches. */
export const ckquorum: Handler = (ctx, args) => {
  const shard = findShard(ctx, args);
  if (!shard) return;
  const peers = ctx.source.sentinels();
  const voters = peers.length + 1;
  const usable = 1 + peers.filter((p) => p.up ?? true).length;
  const problems: string[] = [];
  if (usable < shard.quorum)
    problems.push('Not enough available Sentinels to reach the specified quorum for this master');
  if (usable < Math.floor(voters / 2) + 1) {
    problems.push('Not enough available Sentinels to reach the majority and authorize a failover');
  }
  if (problems.length === 0) {
    ctx.reply(simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`));
  } else {
    ctx.reply(error(`NOQUORUM ${usable} usable Sentinels. ${problems.join('. ')}`));
  }
};

export const failover: Handler = async (ctx, args) => {
  const { session } = ctx;
  if (!session.admin) return ctx.reply(error(FAILOVER_NEEDS_ADMIN));
  const shard = findShard(ctx, args);
  if (!shard) return;
  const audit = { event: 'resp_failover', shard: shard.name, client: session.remote, clientId: session.id };
  ctx.logger.info(audit, 'SENTINEL FAILOVER requested');
  let result: { ok: boolean; error?: string };
  try {
    result = await ctx.source.failover(shard.name);
  } catch (err) {
    result = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  ctx.logger.info({ ...audit, ok: result.ok, error: result.error }, 'SENTINEL FAILOVER finished');
  ctx.reply(result.ok ? OK : error(withCode(result.error ?? 'failover failed')));
};

/** An error text must start with an upper-case code word (`INPROG ...`); default `ERR`. */
function withCode(text: string): string {
  return /^[A-Z][A-Z0-9_-]* /.test(text) ? text : `ERR ${text}`;
}

export const pendingScripts: Handler = (ctx) => {
  ctx.reply(array([])); // raftinel runs no notification scripts
};

// SENTINEL CONFIG GET is read-only and polled by redis_exporter: answered with the names
// Sentinel 7.0 has. Secrets (sentinel-pass) are never sent, and raftinel has none of these.
const CONFIG_VALUES: readonly (readonly [string, string])[] = [
  ['resolve-hostnames', 'no'],
  ['announce-hostnames', 'no'],
  ['announce-ip', ''],
  ['announce-port', '0'],
  ['sentinel-user', ''],
  ['sentinel-pass', ''],
];

export const config: Handler = (ctx, args) => {
  const action = lower(args, 2);
  if (action === 'set') {
    return ctx.reply(
      error(
        unsupportedSentinel(
          'config set',
          "settings live in the node's config file (raftinel node --config); shard settings: 'raftinel shard set <shard> ...'",
        ),
      ),
    );
  }
  if (action !== 'get' || args.length !== 4) return ctx.reply(error(SENTINEL_CONFIG_USAGE));
  const pattern = arg(args, 3);
  ctx.reply(bulkMap(CONFIG_VALUES.filter(([name]) => globMatch(pattern, name))));
};

/** Answers the Sentinel subcommands that would change state with what to use instead. */
export function unsupported(sub: string, instead: string): Handler {
  return (ctx) => ctx.reply(error(unsupportedSentinel(sub, instead)));
}

export const UNSUPPORTED: Readonly<Record<string, string>> = {
  set: "shard settings change through the Raft log: use 'raftinel shard set <shard> ...'",
  monitor: "shards are added through the Raft log: use 'raftinel shard add <shard> ...'",
  remove: "shards are removed through the Raft log: use 'raftinel shard remove <shard>'",
  flushconfig: "the topology lives in the Raft log, there is nothing to flush: see 'raftinel status'",
  'simulate-failure': "for drills use 'raftinel promote <shard> --dry-run' or 'raftinel promote <shard>'",
  debug: "see timings and state with 'raftinel status'",
  'info-cache': "see the nodes' state with 'raftinel status'",
};

const HELP = [
  'SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CKQUORUM <master-name>',
  '    Check if the raftinel nodes can reach the quorum and the majority to authorize a failover.',
  'GET-MASTER-ADDR-BY-NAME <master-name>',
  '    Return the ip and port number of the master with that name.',
  'FAILOVER <master-name>',
  "    Planned switchover (needs 'AUTH admin <token>'; or 'raftinel promote <shard>').",
  'MASTER <master-name>',
  '    Show the state and info of the specified master.',
  'MASTERS',
  '    Show a list of monitored masters and their state.',
  'MYID',
  '    Return the ID of this raftinel node.',
  'REPLICAS <master-name>',
  '    Show a list of replicas for this master and their state.',
  'SENTINELS <master-name>',
  '    Show a list of the other raftinel nodes and their state.',
  'CONFIG GET <param>',
  '    Get a global Sentinel configuration parameter.',
  'Changes (SET, MONITOR, REMOVE, CONFIG SET, ...) go through the raftinel CLI.',
  'HELP',
  '    Prints this help.',
];

export const help: Handler = (ctx) => {
  ctx.reply(helpLines(HELP));
};

function masterOf(shard: SentinelShard | undefined): { host: string; port: number } | null | undefined {
  return shard === undefined ? undefined : shard.master;
}
