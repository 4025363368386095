// The command table: every command a sentinel accepts that raftinel answers, with Redis 7.0's
// arity, flags and ACL categories (what COMMAND reports and what the dispatcher checks).
import * as conn from './connection.js';
import { commandSpec } from './introspection.js';
import * as pubsub from './pubsub.js';
import * as sentinel from './sentinel.js';
import * as compat from './sentinel-compat.js';
import * as server from './server.js';
import { CONNECTION, help, NO_AUTH, PUBSUB, SENTINEL, spec } from './spec.js';
import type { CommandSpec, Handler } from './types.js';

function sentinelSubcommands(): CommandSpec[] {
  const read = (name: string, arity: number, handler: Handler, summary: string): CommandSpec =>
    spec(name, arity, { ...SENTINEL, handler, summary });
  const subs = [
    read('masters', 2, sentinel.masters, 'List the monitored masters.'),
    read('primaries', 2, sentinel.masters, 'List the monitored masters (alias of MASTERS).'),
    read('master', 3, sentinel.master, 'Returns the state of a master.'),
    read('primary', 3, sentinel.master, 'Returns the state of a master (alias of MASTER).'),
    read('get-master-addr-by-name', 3, sentinel.getMasterAddr, 'Returns the port and address of a master.'),
    read('get-primary-addr-by-name', 3, sentinel.getMasterAddr, 'Alias of GET-MASTER-ADDR-BY-NAME.'),
    read('replicas', 3, sentinel.replicas, 'Returns a list of the monitored replicas.'),
    read('slaves', 3, sentinel.replicas, 'Returns a list of the monitored replicas (alias of REPLICAS).'),
    read('sentinels', 3, sentinel.sentinels, 'Returns a list of the other raftinel nodes.'),
    read('myid', 2, sentinel.myid, 'Returns the raftinel node ID.'),
    read('ckquorum', 3, sentinel.ckquorum, 'Checks for a quorum.'),
    read('failover', 3, sentinel.failover, 'Starts a planned switchover (admin connections only).'),
    read('pending-scripts', 2, sentinel.pendingScripts, 'Returns information about pending scripts.'),
    read('config', -3, sentinel.config, 'Returns the configuration (read-only in raftinel).'),
    read('reset', 3, compat.reset, 'Resets masters by name pattern (nothing to forget in raftinel).'),
    read('is-master-down-by-addr', 6, compat.isMasterDownByAddr, 'Whether this node sees a master down.'),
    spec('help', 2, {
      ...SENTINEL,
      flags: ['loading', 'stale'],
      acl: ['@slow'],
      handler: sentinel.help,
      summary: 'Returns helpful text about the different subcommands.',
    }),
  ];
  const arities: Record<string, number> = {
    set: -5,
    monitor: 6,
    remove: 3,
    flushconfig: 2,
    'simulate-failure': -3,
    debug: -2,
    'info-cache': -3,
  };
  for (const [name, instead] of Object.entries(sentinel.UNSUPPORTED)) {
    subs.push(
      read(
        name,
        arities[name],
        sentinel.unsupported(name, instead),
        'Not supported by raftinel: see the CLI.',
      ),
    );
  }
  return subs;
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'HELP',
  '    Prints this help.',
];

const ACL_HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

function buildTable(): ReadonlyMap<string, CommandSpec> {
  const cmds: CommandSpec[] = [
    spec('ping', -1, {
      group: 'connection',
      acl: ['@fast', '@connection'],
      flags: ['fast'],
      handler: conn.ping,
      inSubscribedContext: true,
      summary: "Returns the server's liveliness response.",
    }),
    spec('hello', -1, {
      ...NO_AUTH,
      handler: conn.hello,
      since: '6.0.0',
      summary: 'Handshakes with the server.',
    }),
    spec('auth', -2, { ...NO_AUTH, handler: conn.auth, summary: 'Authenticates the connection.' }),
    spec('quit', -1, {
      ...NO_AUTH,
      handler: conn.quit,
      inSubscribedContext: true,
      summary: 'Closes the connection.',
    }),
    spec('reset', 1, {
      ...NO_AUTH,
      handler: conn.reset,
      inSubscribedContext: true,
      since: '6.2.0',
      summary: 'Resets the connection.',
    }),
    spec('client', -2, {
      group: 'connection',
      summary: 'A container for client connection commands.',
      subcommands: [
        spec('id', 2, {
          ...CONNECTION,
          handler: conn.clientId,
          since: '5.0.0',
          summary: 'Returns the unique client ID of the connection.',
        }),
        spec('getname', 2, {
          ...CONNECTION,
          handler: conn.clientGetName,
          since: '2.6.9',
          summary: 'Returns the name of the connection.',
        }),
        spec('setname', 3, {
          ...CONNECTION,
          handler: conn.clientSetName,
          since: '2.6.9',
          summary: 'Sets the connection name.',
        }),
        spec('help', 2, {
          ...CONNECTION,
          handler: help(CLIENT_HELP),
          since: '5.0.0',
          summary: 'Returns helpful text about the different subcommands.',
        }),
      ],
    }),
    spec('acl', -2, {
      summary: 'A container for Access List Control commands.',
      subcommands: [
        spec('whoami', 2, {
          flags: ['noscript', 'loading', 'stale'],
          handler: conn.aclWhoami,
          since: '6.0.0',
          summary: 'Returns the authenticated username of the current connection.',
        }),
        spec('help', 2, {
          flags: ['loading', 'stale'],
          handler: help(ACL_HELP),
          since: '6.0.0',
          summary: 'Returns helpful text about the different subcommands.',
        }),
      ],
    }),
    spec('role', 1, {
      flags: ['noscript', 'loading', 'stale', 'fast'],
      acl: ['@admin', '@fast', '@dangerous'],
      handler: server.role,
      since: '2.8.12',
      summary: 'Returns the replication role.',
    }),
    spec('info', -1, {
      flags: ['loading', 'stale'],
      acl: ['@slow', '@dangerous'],
      handler: server.info,
      summary: 'Returns information and statistics about the server.',
    }),
    spec('publish', 3, {
      group: 'pubsub',
      flags: ['pubsub', 'loading', 'stale', 'fast'],
      acl: ['@pubsub', '@fast'],
      handler: server.publish,
      since: '2.0.0',
      summary: 'Posts a message to a channel.',
    }),
    spec('shutdown', -1, {
      flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
      acl: ['@admin', '@slow', '@dangerous'],
      handler: server.shutdown,
      summary: 'Synchronously saves the database(s) to disk and shuts down the Redis server.',
    }),
    spec('subscribe', -2, {
      ...PUBSUB,
      handler: pubsub.subscribe,
      since: '2.0.0',
      summary: 'Listens for messages published to channels.',
    }),
    spec('psubscribe', -2, {
      ...PUBSUB,
      handler: pubsub.psubscribe,
      since: '2.0.0',
      summary: 'Listens for messages published to channels that match one or more patterns.',
    }),
    spec('unsubscribe', -1, {
      ...PUBSUB,
      handler: pubsub.unsubscribe,
      since: '2.0.0',
      summary: 'Stops listening to messages posted to channels.',
    }),
    spec('punsubscribe', -1, {
      ...PUBSUB,
      handler: pubsub.punsubscribe,
      since: '2.0.0',
      summary: 'Stops listening to messages published to channels that match one or more patterns.',
    }),
    spec('sentinel', -2, {
      ...SENTINEL,
      summary: 'A container for Redis Sentinel commands.',
      subcommands: sentinelSubcommands(),
    }),
    commandSpec(() => TABLE),
  ];
  return new Map(cmds.map((c) => [c.name, c]));
}

export const TABLE: ReadonlyMap<string, CommandSpec> = buildTable();
