// `raftinel shard add|set|remove`: topology changes committed through the Raft log (after
// bootstrap the config's `shards` no longer matter). Nodes are given as `ID=HOST:PORT` with
// optional parts (NODE_FORM), settings as `--set key=value` with the keys of the config's shard
// settings; the server validates both again with the config's schema.
import type { Argv } from 'yargs';
import { DEFAULTS } from '../../config/defaults.js';
import type { ActionReply } from '../api.js';
import { expectOk } from '../client.js';
import { runCli, seg, usage, withCommon, withForce, type Ctx } from '../common.js';
import { confirm, requireConfirmable } from '../prompt.js';

export const SHARD_EXAMPLE: [string, string] = [
  '$0 shard add cache --node c1=10.0.0.5:6379 --node c2=10.0.0.6:6379',
  'monitor a new replication group',
];

interface NodeSpec {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly priority?: number;
  readonly noFailover?: boolean;
  readonly announce?: { readonly host: string; readonly port: number };
  readonly replicationAddress?: { readonly host: string; readonly port: number };
}

type SettingValue = string | number | boolean | null;

interface ShardArgs {
  readonly name: string;
  readonly node?: string | string[];
  readonly set?: string | string[];
  readonly 'initial-master'?: string;
}

const SETTING_KEYS = Object.keys(DEFAULTS.shard);

export function shardCommand<T>(y: Argv<T>): Argv<T> {
  return y.command('shard', 'add, change or remove a shard (through the Raft log)', (b) =>
    b
      .command(
        'add <name>',
        'monitor a new shard',
        (c) =>
          nodeAndSet(withCommon(c))
            .option('initial-master', {
              type: 'string',
              requiresArg: true,
              describe: 'the master when every node is a master with no replicas yet',
            })
            .example(...SHARD_EXAMPLE)
            .example(
              '$0 shard add cache --node c1=10.0.0.5:6379 --node c2=10.0.0.6:6379,priority=0 --set downAfterMs=3000',
              'c2 is never promoted',
            ),
        (argv) => runCli(argv, (ctx) => add(ctx, argv as ShardArgs)),
      )
      .command(
        'set <name>',
        "change a shard's settings or replace its node list",
        (c) =>
          nodeAndSet(withCommon(c))
            .example('$0 shard set mymaster --set downAfterMs=3000 --set quorum=2', 'change settings')
            .example(
              '$0 shard set mymaster --node r1=10.0.0.1:6379 --node r2=10.0.0.2:6379 --node r4=10.0.0.4:6379',
              'replace the node list',
            ),
        (argv) => runCli(argv, (ctx) => change(ctx, argv as ShardArgs)),
      )
      .command(
        'remove <name>',
        'stop monitoring a shard (its Redis nodes keep running as they are)',
        (c) =>
          withForce(withCommon(c))
            .positional('name', { type: 'string', demandOption: true })
            .example('$0 shard remove cache --yes', 'without asking'),
        (argv) => runCli(argv, (ctx) => remove(ctx, argv.name as string)),
      )
      .demandCommand(1, 'name a shard command: add, set or remove')
      .example(...SHARD_EXAMPLE)
      .example('$0 shard set mymaster --set downAfterMs=3000', 'change a setting'),
  );
}

function nodeAndSet<T>(c: Argv<T>) {
  return c
    .positional('name', { type: 'string', demandOption: true, describe: 'shard name' })
    .option('node', {
      type: 'string',
      requiresArg: true,
      describe: `a Redis node, ${NODE_FORM} (repeat for each)`,
    })
    .option('set', {
      type: 'string',
      requiresArg: true,
      describe: `a shard setting, key=value (repeat); keys: ${SETTING_KEYS.join(', ')}`,
    });
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

const NODE_FORM =
  'ID=HOST:PORT[,priority=N][,noFailover][,announce=HOST:PORT][,replicationAddress=HOST:PORT]';

/**
 * `r1=10.0.0.1:6379,priority=50,noFailover,announce=redis-1.example.com:6379` (IPv6 hosts in
 * brackets: `r1=[::1]:6379`).
 */
export function parseNode(text: string): NodeSpec {
  const [head, ...extras] = text.split(',');
  const m = /^([^=]+)=(.+)$/.exec(head.trim());
  const address = m ? hostPort(m[2], text) : null;
  if (!m || !address) throw usage(`--node ${text}: expected ${NODE_FORM}`);
  let spec: NodeSpec = { id: m[1].trim(), ...address };
  for (const extra of extras.map((e) => e.trim())) {
    const p = /^priority=(\d+)$/.exec(extra);
    const other = /^(announce|replicationAddress)=(.+)$/.exec(extra);
    if (p) spec = { ...spec, priority: Number(p[1]) };
    else if (extra === 'noFailover' || extra === 'noFailover=true') spec = { ...spec, noFailover: true };
    else if (extra === 'noFailover=false') spec = { ...spec, noFailover: false };
    else if (other) {
      const at = hostPort(other[2], text);
      if (!at) throw usage(`--node ${text}: ${other[1]} expects HOST:PORT`);
      spec = { ...spec, [other[1]]: at };
    } else
      throw usage(
        `--node ${text}: unknown part "${extra}" (expected priority=N, noFailover, announce= or replicationAddress=)`,
      );
  }
  return spec;
}

/** `HOST:PORT` or `[IPv6]:PORT`; null when it is neither; a usage error for a port out of range. */
function hostPort(text: string, whole: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw usage(`--node ${whole}: port ${m[2]} is not 1..65535`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** `downAfterMs=3000`, `maxLagBytes=null`, `holistic=true`, `quorum=majority`. */
export function parseSettings(values: readonly string[]): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {};
  for (const text of values) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw usage(`--set ${text}: expected key=value`);
    const key = text.slice(0, eq).trim();
    const raw = text.slice(eq + 1).trim();
    if (!SETTING_KEYS.includes(key))
      throw usage(`--set ${text}: unknown setting ${key} (one of ${SETTING_KEYS.join(', ')})`);
    out[key] =
      raw === 'null'
        ? null
        : raw === 'true'
          ? true
          : raw === 'false'
            ? false
            : /^-?\d+$/.test(raw)
              ? Number(raw)
              : raw;
  }
  return out;
}

async function add(ctx: Ctx, args: ShardArgs): Promise<number> {
  const nodes = list(args.node).map(parseNode);
  if (nodes.length === 0) throw usage('shard add: give at least one --node ID=HOST:PORT');
  const settings = parseSettings(list(args.set));
  const initial = args['initial-master'];
  if (initial !== undefined && !nodes.some((n) => n.id === initial))
    throw usage(`--initial-master ${initial} is not one of the --node ids`);
  const body = {
    name: args.name,
    nodes,
    ...(initial !== undefined ? { initialMaster: initial } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
  };
  const reply = expectOk(
    await ctx.client.admin<ActionReply>('POST', '/v1/shards', body),
    `shard add ${args.name}`,
  );
  if (ctx.json) ctx.out.document(reply);
  else
    ctx.out.line(
      `shard ${args.name} added with ${nodes.map((n) => n.id).join(', ')}; \`raftinel status\` shows it once its master is adopted`,
    );
  return 0;
}

async function change(ctx: Ctx, args: ShardArgs): Promise<number> {
  const nodes = list(args.node).map(parseNode);
  const settings = parseSettings(list(args.set));
  if (nodes.length === 0 && Object.keys(settings).length === 0)
    throw usage('shard set: give --set key=value or --node ID=HOST:PORT');
  const body = {
    ...(nodes.length > 0 ? { nodes } : {}),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
  };
  const reply = expectOk(
    await ctx.client.admin<ActionReply>('PATCH', `/v1/shards/${seg(args.name)}`, body),
    `shard set ${args.name}`,
  );
  if (ctx.json) ctx.out.document(reply);
  else {
    const what = [
      ...(nodes.length > 0 ? [`nodes ${nodes.map((n) => n.id).join(', ')}`] : []),
      ...Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`),
    ];
    ctx.out.line(`shard ${args.name} changed: ${what.join(', ')}`);
  }
  return 0;
}

async function remove(ctx: Ctx, name: string): Promise<number> {
  const action = `remove shard ${name}`;
  requireConfirmable({ force: ctx.force, json: ctx.json, action });
  await confirm(`Stop monitoring shard ${name}? Nothing fails it over afterwards.`, {
    force: ctx.force,
    json: ctx.json,
    action,
  });
  const reply = expectOk(await ctx.client.admin<ActionReply>('DELETE', `/v1/shards/${seg(name)}`), action);
  if (ctx.json) ctx.out.document(reply);
  else ctx.out.line(`shard ${name} removed; its Redis nodes run on as they are`);
  return 0;
}
