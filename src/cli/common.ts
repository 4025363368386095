// What every operator command shares (docs/design.md 6): --endpoint, --token-file (or
// RAFTINEL_TOKEN), --json, --force/--yes where a prompt exists, and one wrapper that turns the
// command's outcome into output and an exit code.
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { ApiClient, DEFAULT_ENDPOINT, parseEndpoints } from './client.js';
import { CliError, EXIT_USAGE, Output } from './output.js';

export interface CommonArgs {
  readonly endpoint?: string | string[];
  readonly 'token-file'?: string;
  readonly json?: boolean;
}

export interface ForceArgs {
  readonly force?: boolean;
}

export interface Ctx {
  readonly client: ApiClient;
  readonly out: Output;
  readonly json: boolean;
  readonly force: boolean;
}

const GROUP = 'Connection and output:';

export function withCommon<T>(y: Argv<T>) {
  return y
    .option('endpoint', {
      type: 'string',
      requiresArg: true,
      describe:
        'HTTP base URL(s) of raftinel nodes, comma-separated; the CLI finds a live one and the leader',
      defaultDescription: `$RAFTINEL_ENDPOINT, else ${DEFAULT_ENDPOINT}`,
      group: GROUP,
    })
    .option('token-file', {
      type: 'string',
      requiresArg: true,
      describe: 'file holding the admin token (else $RAFTINEL_TOKEN)',
      group: GROUP,
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print one JSON document on stdout, nothing on stderr',
      group: GROUP,
    });
}

export function withForce<T>(y: Argv<T>) {
  return y.option('force', {
    alias: 'yes',
    type: 'boolean',
    default: false,
    describe: 'do not ask for confirmation (needed when stdin is not a terminal)',
  });
}

/** The admin token: --token-file wins over RAFTINEL_TOKEN; surrounding whitespace is dropped. */
export function readToken(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new CliError(`cannot read --token-file ${file} (${why})`, EXIT_USAGE, 'usage');
    }
    const token = text.trim();
    if (token === '') throw new CliError(`--token-file ${file} is empty`, EXIT_USAGE, 'usage');
    return token;
  }
  const fromEnv = env.RAFTINEL_TOKEN?.trim();
  return fromEnv ? fromEnv : null;
}

export function endpointsOf(
  value: string | string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const given = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (given.length > 0) return parseEndpoints(given);
  return parseEndpoints([env.RAFTINEL_ENDPOINT?.trim() || DEFAULT_ENDPOINT]);
}

/**
 * Runs one command: builds the client from the common options, reports any failure the way
 * the output mode wants it, and sets the exit code (the process then ends by itself).
 */
export async function runCli(
  argv: CommonArgs & ForceArgs,
  command: (ctx: Ctx) => Promise<number | void>,
): Promise<void> {
  const json = argv.json === true;
  const out = new Output(json);
  try {
    const client = new ApiClient({
      endpoints: endpointsOf(argv.endpoint),
      token: readToken(argv['token-file']),
    });
    const code = await command({ client, out, json, force: argv.force === true });
    process.exitCode = code ?? 0;
  } catch (err) {
    process.exitCode = out.fail(err);
  }
}

/** A usage error found after parsing (a combination yargs cannot express). */
export function usage(message: string): CliError {
  return new CliError(message, EXIT_USAGE, 'usage');
}

/** Shard and node names go into URL paths. */
export function seg(name: string): string {
  return encodeURIComponent(name);
}
