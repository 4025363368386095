// Loading the config without keeping its loader (issue 12). The YAML parser and the zod schema
// are ~16 MiB of a node's memory once imported, for a job done once at start: the node command
// runs them in a short-lived child process (load-child.ts) and gets back the checked config, or
// the ConfigError with every mistake, exactly as loadConfig would have returned or thrown them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import { ConfigError, type ConfigErrorCode, type ConfigIssue } from './issues.js';
import type { RaftinelConfig } from './schema.js';

const CHILD = fileURLToPath(new URL('./load-child.js', import.meta.url));
/** A config is a few KiB; this only bounds a child gone wrong. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export type IsolatedOutcome =
  | { readonly ok: true; readonly config: RaftinelConfig }
  | {
      readonly ok: false;
      readonly code: ConfigErrorCode;
      readonly message: string;
      readonly issues: readonly ConfigIssue[];
      readonly file: string | null;
    };

/** As loadConfig(path): the config, or a thrown ConfigError. Relative paths resolve from the cwd. */
export function loadConfigIsolated(path: string | undefined): RaftinelConfig {
  // Node's options are not passed on, neither this process's nor NODE_OPTIONS (a profiler, an
  // inspector, a preloaded agent that prints): the child only reads a file and prints its result.
  const { NODE_OPTIONS: _nodeOptions, ...env } = process.env;
  const child = spawnSync(process.execPath, [CHILD, path ?? ''], {
    env,
    maxBuffer: MAX_OUTPUT_BYTES,
    timeout: TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.error || child.status !== 0) {
    const why =
      child.error?.message ?? `exit ${child.status ?? child.signal}: ${child.stderr.toString().trim()}`;
    throw new Error(`cannot load the config in a child process: ${why}`);
  }
  const out = deserialize(Buffer.from(child.stdout.toString(), 'base64')) as IsolatedOutcome;
  if (out.ok) return out.config;
  throw new ConfigError(out.code, out.message, out.issues, out.file);
}
