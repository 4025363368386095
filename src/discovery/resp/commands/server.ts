// INFO, ROLE, PUBLISH and SHUTDOWN as a sentinel answers them.
import { infoText, selectSections } from '../info.js';
import { array, bulk, error } from '../reply.js';
import { HELLO_GOSSIP_UNSUPPORTED, ONLY_HELLO_PUBLISH, SHUTDOWN_UNSUPPORTED } from '../texts.js';
import { arg, type Handler } from './types.js';

export const info: Handler = (ctx, args) => {
  const sections = selectSections(args.slice(1).map((a) => a.toString('utf8')));
  ctx.reply(bulk(infoText(sections, ctx.source, ctx.server)));
};

/** A sentinel's ROLE: `sentinel` and the names of the masters it monitors. */
export const role: Handler = (ctx) => {
  ctx.reply(array([bulk('sentinel'), array(ctx.source.shards().map((s) => bulk(s.name)))]));
};

/** Sentinel accepts PUBLISH only for its hello gossip, in which raftinel takes no part. */
export const publish: Handler = (ctx, args) => {
  ctx.reply(error(arg(args, 1) === '__sentinel__:hello' ? HELLO_GOSSIP_UNSUPPORTED : ONLY_HELLO_PUBLISH));
};

export const shutdown: Handler = (ctx) => {
  ctx.reply(error(SHUTDOWN_UNSUPPORTED));
};
