#!/usr/bin/env node
// The `raftinel` command. A running node is a long-lived process: the plain `raftinel node
// [--config FILE] [--debug-routes]` starts it without loading the command-line parser (yargs:
// about 10 MiB of a node's RSS, issue 12); every other call, help and usage errors included,
// goes through the full CLI (cli.ts).
import { plainNodeArgs } from './node-args.js';

const plain = plainNodeArgs(process.argv.slice(2));
if (plain !== null) {
  const { runNodeCommand } = await import('./node-command.js');
  process.exitCode = await runNodeCommand(plain.config, plain.debugRoutes);
} else {
  await import('./cli.js');
}
