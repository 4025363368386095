// What `raftinel demo` prints. On a terminal: one live status line rewritten in place under the
// scrolling step lines (with \r and spaces, no escape codes) and a little colour unless NO_COLOR
// is set. Anywhere else (a pipe, a log file, CI): plain lines only, and the status becomes one
// stamped line a second, so that a captured run still shows how the writes went.
import { colorWanted, paint, type Style } from '../table.js';

export class Printer {
  /** Whether the status line is rewritten in place (a terminal, not TERM=dumb). */
  readonly live: boolean;
  readonly color: boolean;
  private readonly started = performance.now();
  /** The status text currently drawn on a live terminal, or null. */
  private shown: string | null = null;
  private muted = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.live = stream.isTTY === true;
    this.color = colorWanted(stream);
  }

  /** How often the demo refreshes the status: in place often, as plain lines once a second. */
  get statusIntervalMs(): number {
    return this.live ? 200 : 1000;
  }

  /** Seconds since the demo started, as every stamped line shows them. */
  stamp(): string {
    return `[${((performance.now() - this.started) / 1000).toFixed(2).padStart(6)}s]`;
  }

  line(text = ''): void {
    if (this.muted) return;
    this.clearStatus();
    this.stream.write(`${text}\n`);
    this.redrawStatus();
  }

  step(text: string): void {
    this.line(`${this.paint(this.stamp(), 'dim')} ${text}`);
  }

  /** An outcome worth seeing at a glance. */
  good(text: string): void {
    this.line(this.paint(text, 'green'));
  }

  bad(text: string): void {
    this.line(this.paint(text, 'red'));
  }

  heading(text: string): void {
    this.line(this.paint(text, 'bold'));
  }

  paint(text: string, style: Style): string {
    return paint(text, style, this.color);
  }

  /** The live status: rewritten in place on a terminal, a stamped plain line otherwise. */
  status(text: string): void {
    if (this.muted) return;
    if (!this.live) {
      this.step(text);
      return;
    }
    // A line wider than the terminal would wrap, and \r would then rewrite only its last row.
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const full = `${this.stamp()} ${text}`;
    const next = full.length > width ? full.slice(0, width) : full;
    // Spaces over what a longer previous status left on the line.
    const pad = ' '.repeat(Math.max(0, (this.shown?.length ?? 0) - next.length));
    this.shown = next;
    this.stream.write(`\r${this.paint(next, 'cyan')}${pad}`);
  }

  /** Removes the live status line for good (before the final lines). */
  endStatus(): void {
    this.clearStatus();
    this.shown = null;
  }

  /** Nothing more is printed: a signal is tearing the demo down and the main flow may still fail noisily. */
  mute(): void {
    this.endStatus();
    this.muted = true;
  }

  /** Printing again after mute(), for the signal handler's own last line. */
  unmute(): void {
    this.muted = false;
  }

  private clearStatus(): void {
    if (this.live && this.shown !== null) this.stream.write(`\r${' '.repeat(this.shown.length)}\r`);
  }

  private redrawStatus(): void {
    if (this.live && this.shown !== null) this.stream.write(this.paint(this.shown, 'cyan'));
  }
}
