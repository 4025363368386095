// Runs one command the way Redis's processCommand checks it, in the same order, so that the
// same mistakes get the same errors: unknown command, unknown subcommand, arity, NOAUTH, then
// the RESP2 subscribed-mode restriction.
import { TABLE } from './commands/table.js';
import type { CommandContext, CommandSpec } from './commands/types.js';
import { NameIndex } from './name-index.js';
import { error } from './reply.js';
import { NOAUTH, notInSubscribedContext, unknownCommand, unknownSubcommand, wrongArity } from './texts.js';

const arityOk = (arity: number, argc: number): boolean => (arity >= 0 ? argc === arity : argc >= -arity);

const COMMANDS = new NameIndex(TABLE);
const SUBCOMMANDS = new Map(
  [...TABLE.values()].flatMap((spec) => (spec.subcommands ? [[spec, new NameIndex(spec.subcommands)]] : [])),
);

export function dispatch(ctx: CommandContext, args: readonly Buffer[]): void | Promise<void> {
  let spec: CommandSpec | undefined = COMMANDS.get(args[0]);
  if (spec === undefined) return ctx.reply(error(unknownCommand(args)));
  let container: CommandSpec | null = null;
  const subcommands = SUBCOMMANDS.get(spec);
  if (subcommands !== undefined && args.length >= 2) {
    const sub = subcommands.get(args[1]);
    if (sub === undefined) return ctx.reply(error(unknownSubcommand(args[1].toString(), spec.name)));
    container = spec;
    spec = sub;
  }
  if (!arityOk(spec.arity, args.length)) return ctx.reply(error(wrongArity(fullName(container, spec))));
  if (!ctx.session.authenticated && !spec.noAuth) return ctx.reply(error(NOAUTH));
  if (ctx.session.proto === 2 && ctx.session.subscriptions > 0 && !spec.inSubscribedContext) {
    return ctx.reply(error(notInSubscribedContext(fullName(container, spec))));
  }
  // A container with no handler always has arity <= -2, so it never gets here without a sub.
  return spec.handler?.(ctx, args);
}

/** `sentinel|master` for a subcommand, as Redis names it in error texts; built only for those. */
function fullName(container: CommandSpec | null, spec: CommandSpec): string {
  return container === null ? spec.name : `${container.name}|${spec.name}`;
}
