#!/usr/bin/env node
// The `raftinel` command. Exit codes: 0 ok, 1 failed, 2 usage or configuration error.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runNodeCommand } from './node-command.js';
import { runDemo } from './demo.js';

await yargs(hideBin(process.argv))
  .scriptName('raftinel')
  .usage('$0 <command> [options]')
  .command(
    'node',
    'run one raftinel node (standalone or sidecar)',
    (y) =>
      y
        .option('config', { type: 'string', describe: 'config file (default: $RAFTINEL_CONFIG)' })
        .option('debug-routes', { type: 'boolean', default: false, describe: 'add /debug routes (tests only)' })
        .example('$0 node --config /etc/raftinel/raftinel.yaml', 'start a node'),
    async (argv) => {
      process.exitCode = await runNodeCommand(argv.config, argv['debug-routes']);
    },
  )
  .command(
    'demo',
    'a local cluster on loopback with a live failover; exits by itself',
    (y) => y.example('$0 demo', 'run the demo (what `make demo` runs)'),
    async () => {
      process.exitCode = await runDemo();
    },
  )
  .demandCommand(1, 'name a command: raftinel <command> --help')
  .strict()
  .fail((msg, err, y) => {
    if (err) throw err;
    process.stderr.write(`${y.help() && ''}raftinel: ${msg}\n`);
    process.exit(2);
  })
  .help()
  .parseAsync();
