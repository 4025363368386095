// What the CLI prints and how it ends. Human mode: lines on stdout, warnings and errors on
// stderr. --json mode: exactly one JSON document on stdout and nothing on stderr, errors
// included (as {"error": {code, message}}), so that a script never has to parse two streams.
import { colorWanted, paint, type Style } from './table.js';

/** Exit codes (docs/design.md 6): 0 ok, 1 failed, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An expected failure: its message is for the operator, one line, no stack trace. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    readonly code: string = 'failed',
  ) {
    super(message);
  }
}

export class Output {
  readonly color: boolean;
  private jsonWritten = false;
  private readonly startedAt = performance.now();

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.color = !json && colorWanted(stdout);
  }

  /** A line of the human output (nothing in --json mode). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(text + '\n');
  }

  /** A line stamped with the seconds since the command started (live progress). */
  progress(text: string): void {
    const at = ((performance.now() - this.startedAt) / 1000).toFixed(2).padStart(6);
    this.line(`${this.paint(`[${at}s]`, 'dim')} ${text}`);
  }

  /** A warning on stderr (dropped in --json mode, which keeps stderr empty). */
  warn(text: string): void {
    if (!this.json) this.stderr.write(`raftinel: ${text}\n`);
  }

  paint(text: string, style: Style | null | undefined): string {
    return paint(text, style, this.color);
  }

  /** The one JSON document of a --json run. */
  document(value: unknown): void {
    if (this.jsonWritten) throw new Error('a second JSON document');
    this.jsonWritten = true;
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** Reports an error as this mode wants it and returns the exit code. */
  fail(err: unknown): number {
    const cli = err instanceof CliError ? err : null;
    const message = cli ? cli.message : `internal error: ${err instanceof Error ? err.message : String(err)}`;
    const code = cli ? cli.code : 'internal';
    if (this.json) {
      // A document already printed (status before a late failure) stays the only one.
      if (!this.jsonWritten) this.document({ error: { code, message } });
    } else {
      this.stderr.write(`raftinel: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    }
    return cli ? cli.exitCode : EXIT_FAILED;
  }
}
