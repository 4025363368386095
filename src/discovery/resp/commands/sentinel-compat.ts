// SENTINEL RESET and IS-MASTER-DOWN-BY-ADDR, answered as Sentinel 7.0 answers them (docs/design.md
// 5.1; texts checked against redis-sentinel 7.0.15), since scripts and Kubernetes hooks call
// them. raftinel has nothing to reset (its topology is the committed one, its view of each node
// comes from fresh probes) and never votes in a Sentinel election (its nodes agree through Raft).
import { globMatch } from '../glob.js';
import { array, bulk, error, integer } from '../reply.js';
import { NOT_AN_INTEGER } from '../texts.js';
import { arg, type Handler } from './types.js';

/** Redis's string2ll: an optional minus, digits without leading zeros, within 64 bits. */
function isRedisInteger(text: string): boolean {
  if (!/^(0|-?[1-9]\d{0,18})$/.test(text)) return false;
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** SENTINEL RESET <pattern>: the number of masters whose name matches, as Sentinel replies. */
export const reset: Handler = (ctx, args) => {
  const pattern = arg(args, 2);
  const matched = ctx.source.shards().filter((s) => globMatch(pattern, s.name)).length;
  ctx.logger.info(
    // A client's pattern may be up to a bulk's 512 KiB: the log line keeps its start.
    { event: 'resp_reset', pattern: pattern.slice(0, 128), matched, client: ctx.session.remote },
    'SENTINEL RESET: nothing to forget, the topology is the committed one',
  );
  ctx.reply(integer(matched));
};

/**
 * SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>: whether this node sees the
 * master at that address subjectively down, leader `*` and epoch 0 (no vote), as a Sentinel
 * that has not voted answers.
 */
export const isMasterDownByAddr: Handler = (ctx, args) => {
  const [host, port, epoch] = [arg(args, 2), arg(args, 3), arg(args, 4)];
  if (!isRedisInteger(port) || !isRedisInteger(epoch)) return ctx.reply(error(NOT_AN_INTEGER));
  const shard = ctx.source.shards().find((s) => s.master?.host === host && s.master.port === Number(port));
  const down = shard?.master?.sdown === true && ctx.source.hasFreshLeader();
  ctx.reply(array([integer(down ? 1 : 0), bulk('*'), integer(0)]));
};
