// Building blocks of the command table: a spec constructor with Redis's defaults, the flag
// and ACL presets Redis 7.0 gives each family of commands, and HELP handlers.
import { array, simple, type Reply } from '../reply.js';
import type { CommandSpec, Handler } from './types.js';

type Options = Partial<Omit<CommandSpec, 'name' | 'arity' | 'subcommands'>> & {
  readonly subcommands?: readonly CommandSpec[];
};

export function spec(name: string, arity: number, options: Options = {}): CommandSpec {
  const { subcommands, ...rest } = options;
  return {
    flags: [],
    acl: ['@slow'],
    summary: '',
    since: '1.0.0',
    group: 'server',
    ...rest,
    name,
    arity,
    ...(subcommands ? { subcommands: new Map(subcommands.map((s) => [s.name, s])) } : {}),
  };
}

export const CONNECTION = {
  group: 'connection',
  acl: ['@slow', '@connection'],
  flags: ['noscript', 'loading', 'stale'],
};
export const NO_AUTH = {
  group: 'connection',
  acl: ['@fast', '@connection'],
  flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
  noAuth: true,
};
export const PUBSUB = {
  group: 'pubsub',
  acl: ['@pubsub', '@slow'],
  flags: ['pubsub', 'noscript', 'loading', 'stale'],
  inSubscribedContext: true,
};
export const SENTINEL = {
  group: 'sentinel',
  acl: ['@admin', '@slow', '@dangerous'],
  flags: ['admin'],
  since: '2.8.4',
};

/** HELP of a container command, in Redis's shape: an array of status lines. */
export function helpLines(lines: readonly string[]): Reply {
  return array(lines.map((l) => simple(l)));
}

export const help =
  (lines: readonly string[]): Handler =>
  (ctx) =>
    ctx.reply(helpLines(lines));
