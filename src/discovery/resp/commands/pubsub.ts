// SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE: one confirmation frame per channel with the
// connection's subscription count, as Redis sends them (push frames in RESP3, arrays in RESP2).
import { bulk, error, integer, NULL_BULK, push, type Reply } from '../reply.js';
import { channelBytes, channelKey } from '../session.js';
import type { CommandContext } from './types.js';

function confirm(ctx: CommandContext, kind: string, name: string | null): void {
  const nameReply: Reply = name === null ? NULL_BULK : bulk(channelBytes(name));
  ctx.reply(push([bulk(kind), nameReply, integer(ctx.session.subscriptions)]));
}

/**
 * raftinel's caps (Redis has none), so that one client cannot grow the subscription index or the
 * cost of a publish without bound: a count per connection and a length per name. Sentinel's
 * channels are event names of a few bytes.
 */
export const MAX_SUBSCRIPTION_NAME_BYTES = 1024;

function refused(ctx: CommandContext, own: ReadonlySet<string>, name: string): boolean {
  if (name.length > MAX_SUBSCRIPTION_NAME_BYTES) {
    ctx.reply(error(`ERR channel or pattern name longer than ${MAX_SUBSCRIPTION_NAME_BYTES} bytes`));
    return true;
  }
  if (own.has(name) || ctx.session.subscriptions < ctx.maxSubscriptions) return false;
  ctx.reply(error(`ERR too many subscriptions on this connection (at most ${ctx.maxSubscriptions})`));
  return true;
}

export function subscribe(ctx: CommandContext, args: readonly Buffer[]): void {
  for (const name of args.slice(1).map(channelKey)) {
    if (refused(ctx, ctx.session.channels, name)) return;
    ctx.hub.subscribe(ctx.subscriber, name);
    confirm(ctx, 'subscribe', name);
  }
}

export function psubscribe(ctx: CommandContext, args: readonly Buffer[]): void {
  for (const name of args.slice(1).map(channelKey)) {
    if (refused(ctx, ctx.session.patterns, name)) return;
    ctx.hub.psubscribe(ctx.subscriber, name);
    confirm(ctx, 'psubscribe', name);
  }
}

export function unsubscribe(ctx: CommandContext, args: readonly Buffer[]): void {
  const names = args.length > 1 ? args.slice(1).map(channelKey) : [...ctx.session.channels];
  if (names.length === 0) return confirm(ctx, 'unsubscribe', null);
  for (const name of names) {
    ctx.hub.unsubscribe(ctx.subscriber, name);
    confirm(ctx, 'unsubscribe', name);
  }
}

export function punsubscribe(ctx: CommandContext, args: readonly Buffer[]): void {
  const names = args.length > 1 ? args.slice(1).map(channelKey) : [...ctx.session.patterns];
  if (names.length === 0) return confirm(ctx, 'punsubscribe', null);
  for (const name of names) {
    ctx.hub.punsubscribe(ctx.subscriber, name);
    confirm(ctx, 'punsubscribe', name);
  }
}
