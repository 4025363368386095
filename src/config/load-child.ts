// The child side of load-isolated.ts: loads and checks one config file, writes the outcome to
// stdout (v8-serialized, base64) and exits. Run by the node command, never by hand.
import { serialize } from 'node:v8';
import { ConfigError, type ConfigErrorCode } from './issues.js';
import { loadConfig } from './load.js';
import type { IsolatedOutcome } from './load-isolated.js';

function outcome(path: string | undefined): IsolatedOutcome {
  try {
    return { ok: true, config: loadConfig(path) };
  } catch (err) {
    if (err instanceof ConfigError)
      return {
        ok: false,
        code: err.code as ConfigErrorCode,
        message: err.message,
        issues: err.issues,
        file: err.file,
      };
    throw err;
  }
}

process.stdout.write(serialize(outcome(process.argv[2] || undefined)).toString('base64'));
