// `raftinel import-sentinel --config sentinel.conf | --from host:port`: a raftinel config for a
// Sentinel deployment, and every setting that could not be mapped with why (docs/migration.md).
// Without --out the config goes to stdout and the notes to stderr; with --out the config and
// each secret (auth-pass, requirepass; mode 0600) are written beside each other. A secret is
// never printed. Exit 0 written, 1 failed (unreadable source, or a config that would not load),
// 2 usage.
import type { Argv } from 'yargs';

export const IMPORT_EXAMPLE: [string, string] = [
  '$0 import-sentinel --config /etc/redis/sentinel.conf --out raftinel.yaml',
  'a raftinel config from a sentinel.conf',
];

export interface ImportArgs {
  readonly config?: string;
  readonly from?: string;
  readonly out?: string;
  readonly force: boolean;
  readonly json: boolean;
  readonly cluster: string;
  readonly 'node-id': string;
  readonly peers?: string;
  readonly 'listen-sentinel'?: string;
  readonly 'listen-http'?: string;
  readonly 'listen-raft'?: string;
  readonly 'sentinel-user'?: string;
  readonly 'sentinel-password-file'?: string;
}

export function importSentinelCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'import-sentinel',
    'write a raftinel config for a Sentinel deployment, and list what could not be mapped',
    (b) =>
      b
        .option('config', { type: 'string', requiresArg: true, describe: 'a sentinel.conf to read' })
        .option('from', { type: 'string', requiresArg: true, describe: 'host:port of a running Sentinel' })
        .conflicts('config', 'from')
        .option('out', {
          type: 'string',
          requiresArg: true,
          describe: 'write the config here (secrets beside it); else stdout',
        })
        .option('force', {
          alias: 'yes',
          type: 'boolean',
          default: false,
          describe: 'overwrite files that exist',
        })
        .option('json', {
          type: 'boolean',
          default: false,
          describe: 'print {config, notes, secretFiles} as one JSON document',
        })
        .option('cluster', { type: 'string', default: 'raftinel', describe: 'the cluster id' })
        .option('node-id', { type: 'string', default: 'n1', describe: "this raftinel node's id" })
        .option('peers', {
          type: 'string',
          requiresArg: true,
          describe: 'the raftinel voters: id=host:port,... (default: this node alone)',
        })
        .option('listen-sentinel', {
          type: 'string',
          requiresArg: true,
          describe: "RESP listener (default: the Sentinel's bind and port)",
        })
        .option('listen-http', {
          type: 'string',
          requiresArg: true,
          describe: 'HTTP listener (default: RESP port + 1)',
        })
        .option('listen-raft', {
          type: 'string',
          requiresArg: true,
          describe: 'Raft listener (default: RESP port + 2)',
        })
        .option('sentinel-user', {
          type: 'string',
          requiresArg: true,
          describe: 'with --from: the user to AUTH as',
        })
        .option('sentinel-password-file', {
          type: 'string',
          requiresArg: true,
          describe: "with --from: a file holding the Sentinel's password",
        })
        .example(...IMPORT_EXAMPLE)
        .example(
          '$0 import-sentinel --from 10.0.0.5:26379 --peers n1=10.0.0.5:26381,n2=10.0.0.6:26381,n3=10.0.0.7:26381',
          'from a running Sentinel, for three raftinel nodes',
        ),
    async (argv) => {
      // Loaded when the command runs: the YAML writer, the config schema and ioredis are not
      // for every CLI call (`raftinel node` among them).
      const { runImport } = await import('./import-sentinel-run.js');
      process.exitCode = await runImport(argv as unknown as ImportArgs);
    },
  );
}
