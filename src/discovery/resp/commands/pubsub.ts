// SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE: one confirmation frame per channel with the
// connection's subscription count, as Redis sends them (push frames in RESP3, arrays in RESP2).
import { bulk, error, integer, NULL_BULK, push, type Reply } from '../reply.js';
import { channelBytes, channelKey } from '../session.js';
import type { CommandContext } from './types.js';

function confirm(ctx: CommandContext, kind: string, name: string | null): void {
  const nameReply: Reply = name === null ? NULL_BULK : bulk(channelBytes(name));
  ctx.reply(push([bulk(kind), nameReply, integer(ctx.session.subscriptions)]));
}

/** raftinel's cap, so that one client cannot grow the subscription index without bound. */
function full(ctx: CommandContext, own: ReadonlySet<string>, name: string): boolean {
  if (own.has(name) || ctx.session.subscriptions < ctx.maxSubscriptions) return false;
  ctx.reply(error(`ERR too many subscriptions on this connection (at most ${ctx.maxSubscriptions})`));
  return true;
}

export function subscribe(ctx: CommandContext, args: readonly Buffer[]): void {
  for (const name of args.slice(1).map(channelKey)) {
    if (full(ctx, ctx.session.channels, name)) return;
    ctx.hub.subscribe(ctx.subscriber, name);
    confirm(ctx, 'subscribe', name);
  }
}

export function psubscribe(ctx: CommandContext, args: readonly Buffer[]): void {
  for (const name of args.slice(1).map(channelKey)) {
    if (full(ctx, ctx.session.patterns, name)) return;
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
