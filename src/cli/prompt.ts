// Confirmation before a command that changes who the master is or who votes (patronictl's way:
// show what will happen, ask "[y/N]", anything but yes aborts). --force (alias --yes) skips the
// question; without a terminal to ask on, the command refuses unless --force was given, so
// that a script never blocks on a prompt nobody sees, nor goes ahead because stdin was empty.
import { createInterface } from 'node:readline';
import { CliError, EXIT_FAILED, EXIT_USAGE } from './output.js';

export interface ConfirmOptions {
  /** --force / --yes. */
  readonly force: boolean;
  /** --json: stderr must stay empty, so the question cannot be asked. */
  readonly json: boolean;
  /** What the command would do, for the refusal message ("fail over mymaster to r2"). */
  readonly action: string;
  readonly stdin?: NodeJS.ReadStream;
  readonly stderr?: NodeJS.WriteStream;
}

/**
 * Throws (usage error) at once when a prompt would be needed but cannot be shown. Commands call
 * it before any network request, so that the refusal does not depend on the cluster's state.
 */
export function requireConfirmable(options: ConfirmOptions): void {
  if (options.force) return;
  const stdin = options.stdin ?? process.stdin;
  if (stdin.isTTY !== true) {
    throw new CliError(
      `refusing to ${options.action} without confirmation: stdin is not a terminal; add --force (or --yes) to go ahead`,
      EXIT_USAGE,
      'confirmation_needed',
    );
  }
  if (options.json) {
    throw new CliError(
      `refusing to ${options.action}: --json cannot ask for confirmation; add --force (or --yes)`,
      EXIT_USAGE,
      'confirmation_needed',
    );
  }
}

/** Asks `question [y/N]` on the terminal; resolves when confirmed, throws CliError otherwise. */
export async function confirm(question: string, options: ConfirmOptions): Promise<void> {
  requireConfirmable(options);
  if (options.force) return;
  const rl = createInterface({
    input: options.stdin ?? process.stdin,
    output: options.stderr ?? process.stderr,
    terminal: true,
  });
  try {
    const answer = await new Promise<string | null>((resolve) => {
      rl.once('close', () => resolve(null)); // Ctrl-D: no
      rl.once('SIGINT', () => rl.close()); // Ctrl-C: no (readline would only pause without this)
      rl.question(`${question} [y/N]: `, (a) => resolve(a));
    });
    if (answer === null || !/^\s*y(es)?\s*$/i.test(answer)) {
      throw new CliError(`aborted: did not ${options.action}`, EXIT_FAILED, 'aborted');
    }
  } finally {
    rl.close();
  }
}
