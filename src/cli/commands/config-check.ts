// `raftinel config check FILE`: the same validation `raftinel node` runs at start, without
// starting anything. Exit 0 when the file is valid (warnings are printed), 2 with every mistake.
import type { Argv } from 'yargs';

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
        async (args) => {
          process.exitCode = await checkConfigFile(args.file);
        },
      )
      .demandCommand(1, 'name a config command: raftinel config check FILE')
      .example(...CONFIG_EXAMPLE),
  );
}

/** The loader is imported here, not with the CLI: `raftinel node` checks its config in a child. */
export async function checkConfigFile(file: string): Promise<number> {
  const { ConfigError, configWarnings, formatConfigIssues, loadConfig } =
    await import('../../config/index.js');
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
