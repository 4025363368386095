// `raftinel config check FILE`: the same validation `raftinel node` runs at start, without
// starting anything. Exit 0 when the file is valid (warnings are printed), 2 with every mistake.
import type { Argv } from 'yargs';
import { ConfigError, configWarnings, formatConfigIssues, loadConfig } from '../../config/index.js';

export const CONFIG_EXAMPLE: [string, string] = [
  '$0 config check /etc/raftinel/raftinel.yaml',
  'validate a config file; every mistake listed',
];

export function configCommand(cli: Argv): void {
  cli.command('config', 'work with a config file (check)', (y) =>
    y
      .command(
        'check <file>',
        'validate a config file as `raftinel node` would; exit 0 valid, 2 with every mistake',
        (c) => c.positional('file', { type: 'string', demandOption: true, describe: 'the YAML config' }),
        (args) => {
          process.exitCode = checkConfigFile(args.file);
        },
      )
      .demandCommand(1, 'name a config command: raftinel config check FILE')
      .example(...CONFIG_EXAMPLE),
  );
}

export function checkConfigFile(file: string): number {
  let config;
  try {
    config = loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(formatConfigIssues(err) + '\n');
      return 2;
    }
    throw err;
  }
  for (const w of configWarnings(config)) process.stdout.write(`warning: ${w}\n`);
  const shards = config.shards.length;
  process.stdout.write(
    `${file}: valid (cluster ${config.cluster}, node ${config.node.id}, ${config.peers.length} peers, ` +
      `${shards} shard${shards === 1 ? '' : 's'})\n`,
  );
  return 0;
}
