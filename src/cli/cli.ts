// The `raftinel` command line, parsed by yargs (main.ts loads it for every call but the plain
// `raftinel node --config FILE`). Exit codes: 0 ok, 1 failed, 2 usage or configuration error.
// Command modules are loaded when their command runs (`node` and `demo`) or are small (the
// operator commands), so that a CLI call does not load the whole node to print a table.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CANDIDATES_EXAMPLE, candidatesCommand } from './commands/candidates.js';
import { CONFIG_EXAMPLE, configCommand } from './commands/config-check.js';
import { FAILOVER_EXAMPLE, failoverCommand } from './commands/failover.js';
import { HISTORY_EXAMPLE, historyCommand } from './commands/history.js';
import { IMPORT_EXAMPLE, importSentinelCommand } from './commands/import-sentinel.js';
import { MEMBERS_EXAMPLE, membersCommand } from './commands/members.js';
import { MAINTENANCE_EXAMPLE, maintenanceCommand } from './commands/maintenance.js';
import { ACK_EXAMPLE, PAUSE_EXAMPLE, RESUME_EXAMPLE, pauseCommands } from './commands/pause.js';
import { PROMOTE_EXAMPLE, promoteCommand } from './commands/promote.js';
import { SHARD_EXAMPLE, shardCommand } from './commands/shard.js';
import { STATUS_EXAMPLE, statusCommand } from './commands/status.js';

// `raftinel status | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const argv = hideBin(process.argv);
const cli = yargs(argv);
// A bare `raftinel` prints the help (as `-h` does), then exits 2: no command was named.
const bare = argv.length === 0;

cli
  .scriptName('raftinel')
  .usage('$0 <command> [options]')
  .command(
    'node',
    'run one raftinel node (standalone or sidecar)',
    (y) =>
      y
        .option('config', { type: 'string', describe: 'config file (default: $RAFTINEL_CONFIG)' })
        .option('debug-routes', {
          type: 'boolean',
          default: false,
          describe: 'add /debug routes (tests only)',
        })
        .example('$0 node --config /etc/raftinel/raftinel.yaml', 'start a node'),
    async (args) => {
      const { runNodeCommand } = await import('./node-command.js');
      process.exitCode = await runNodeCommand(args.config, args['debug-routes']);
    },
  )
  .command(
    'demo',
    'a local cluster on loopback with a live failover; exits by itself',
    (y) => y.example('$0 demo', 'run the demo (what `make demo` runs)'),
    async () => {
      const { runDemo } = await import('./demo.js');
      process.exitCode = await runDemo();
    },
  );
for (const add of [
  statusCommand,
  promoteCommand,
  failoverCommand,
  candidatesCommand,
  historyCommand,
  pauseCommands,
  maintenanceCommand,
  shardCommand,
  membersCommand,
  configCommand,
  importSentinelCommand,
]) {
  add(cli);
}

await cli
  // One example per command in the top-level help (each command's --help has more).
  .example('$0 node --config /etc/raftinel/raftinel.yaml', 'run one raftinel node')
  .example('$0 demo', 'a local cluster with a failover, on loopback')
  .example(...STATUS_EXAMPLE)
  .example(...PROMOTE_EXAMPLE)
  .example(...FAILOVER_EXAMPLE)
  .example(...CANDIDATES_EXAMPLE)
  .example(...HISTORY_EXAMPLE)
  .example(...PAUSE_EXAMPLE)
  .example(...RESUME_EXAMPLE)
  .example(...ACK_EXAMPLE)
  .example(...MAINTENANCE_EXAMPLE)
  .example(...SHARD_EXAMPLE)
  .example(...MEMBERS_EXAMPLE)
  .example(...CONFIG_EXAMPLE)
  .example(...IMPORT_EXAMPLE)
  .epilog(
    'Every operator command takes --endpoint URL[,URL...] (default $RAFTINEL_ENDPOINT, else http://127.0.0.1:26380) ' +
      'and the admin token from --token-file or $RAFTINEL_TOKEN. Exit codes: 0 ok, 1 failed, 2 usage.',
  )
  .demandCommand(1, 'name a command: raftinel <command> --help')
  .strict()
  .recommendCommands()
  .fail((msg, err) => {
    if (err) throw err;
    if (bare) {
      cli.showHelp('error'); // a usage error: the help goes to stderr
      process.exit(2);
    }
    if (msg.startsWith('Did you mean')) msg = `unknown command "${argv[0]}". ${msg}`;
    // Usage errors end with 2; --json keeps its promise of one JSON document and an empty stderr.
    if (argv.includes('--json'))
      process.stdout.write(JSON.stringify({ error: { code: 'usage', message: msg } }, null, 2) + '\n');
    else process.stderr.write(`raftinel: ${msg} (see raftinel --help)\n`);
    process.exit(2);
  })
  // A terminal gets lines of its width; a pipe gets unwrapped lines (no words cut in two).
  .wrap(process.stdout.isTTY ? Math.min(120, cli.terminalWidth()) : null)
  .help()
  .alias('h', 'help')
  .alias('v', 'version')
  .parseAsync();
