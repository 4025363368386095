// COMMAND: what clients such as redis-cli ask about the command table (COUNT, LIST, INFO,
// DOCS), in Redis 7.0's reply shapes, minimal where raftinel has nothing to say (key specs, tips).
import { array, bulk, error, integer, NULL_BULK, simple, type Reply } from '../reply.js';
import { SYNTAX_ERROR } from '../texts.js';
import { help, spec } from './spec.js';
import type { CommandSpec, Handler } from './types.js';

type Table = () => ReadonlyMap<string, CommandSpec>;

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all commands.',
  'COUNT',
  '    Return the total number of commands in this server.',
  'LIST',
  '    Return a list of all commands in this server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple commands.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple commands.',
  'HELP',
  '    Prints this help.',
];

/** COMMAND INFO's entry: name, arity, flags, first/last key and step (none here), ACL
 * categories, tips, key specs, subcommands. */
function commandInfo(cmd: CommandSpec, parent?: string): Reply {
  const status = (texts: readonly string[]): Reply => array(texts.map((t) => simple(t)));
  const subs = [...(cmd.subcommands?.values() ?? [])].map((s) => commandInfo(s, cmd.name));
  return array([
    bulk(parent ? `${parent}|${cmd.name}` : cmd.name),
    integer(cmd.arity),
    status(cmd.flags),
    integer(0),
    integer(0),
    integer(0),
    status(cmd.acl),
    array([]),
    array([]),
    array(subs),
  ]);
}

/** COMMAND DOCS's entry: summary, since, group, and the subcommands' docs. */
function commandDocs(cmd: CommandSpec): Reply {
  const entries: [Reply, Reply][] = [
    [bulk('summary'), bulk(cmd.summary)],
    [bulk('since'), bulk(cmd.since)],
    [bulk('group'), bulk(cmd.group)],
  ];
  if (cmd.subcommands) {
    const subs = [...cmd.subcommands.values()].map((s): [Reply, Reply] => [
      bulk(`${cmd.name}|${s.name}`),
      commandDocs(s),
    ]);
    entries.push([bulk('subcommands'), { type: 'map', entries: subs }]);
  }
  return { type: 'map', entries };
}

/** A command by name, or `container|sub` as COMMAND INFO/DOCS accept it. */
function lookup(table: Table, name: string): { cmd: CommandSpec; parent?: string; fullName: string } | null {
  const [head, sub] = name.toLowerCase().split('|', 2);
  const top = table().get(head);
  if (!top) return null;
  if (sub === undefined) return { cmd: top, fullName: head };
  const found = top.subcommands?.get(sub);
  return found ? { cmd: found, parent: head, fullName: `${head}|${sub}` } : null;
}

/** The COMMAND spec, describing the table `table()` returns when it runs. */
export function commandSpec(table: Table): CommandSpec {
  const all = (): CommandSpec[] => [...table().values()];

  const info: Handler = (ctx, args) => {
    if (args.length === 2) return ctx.reply(array(all().map((c) => commandInfo(c))));
    const found = args.slice(2).map((a) => lookup(table, a.toString('utf8')));
    ctx.reply(array(found.map((f) => (f ? commandInfo(f.cmd, f.parent) : NULL_BULK))));
  };

  const list: Handler = (ctx, args) => {
    if (args.length > 2) return ctx.reply(error(SYNTAX_ERROR)); // FILTERBY is not supported
    const names: Reply[] = [];
    for (const top of all()) {
      names.push(bulk(top.name));
      for (const sub of top.subcommands?.values() ?? []) names.push(bulk(`${top.name}|${sub.name}`));
    }
    ctx.reply(array(names));
  };

  const docs: Handler = (ctx, args) => {
    const wanted =
      args.length === 2 ? all().map((c) => c.name) : args.slice(2).map((a) => a.toString('utf8'));
    const entries: [Reply, Reply][] = [];
    for (const name of wanted) {
      const found = lookup(table, name);
      if (found) entries.push([bulk(found.fullName), commandDocs(found.cmd)]);
    }
    ctx.reply({ type: 'map', entries });
  };

  const sub = { flags: ['loading', 'stale'] };
  return spec('command', -1, {
    ...sub,
    acl: ['@slow', '@connection'],
    handler: (ctx) => ctx.reply(array(all().map((c) => commandInfo(c)))),
    since: '2.8.13',
    summary: 'Returns detailed information about all commands.',
    subcommands: [
      spec('count', 2, {
        ...sub,
        handler: (ctx) => ctx.reply(integer(table().size)),
        summary: 'Returns a count of commands.',
      }),
      spec('list', -2, {
        ...sub,
        handler: list,
        since: '7.0.0',
        summary: 'Returns a list of command names.',
      }),
      spec('info', -2, {
        ...sub,
        handler: info,
        since: '2.8.13',
        summary: 'Returns information about one, multiple or all commands.',
      }),
      spec('docs', -2, {
        ...sub,
        handler: docs,
        since: '7.0.0',
        summary: 'Returns documentary information about one, multiple or all commands.',
      }),
      spec('help', 2, {
        ...sub,
        handler: help(COMMAND_HELP),
        since: '5.0.0',
        summary: 'Returns helpful text about the different subcommands.',
      }),
    ],
  });
}
