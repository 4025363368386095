// The info-level trace of observation changes (issue 12): each change is a debug line, and at
// info a summary at most once per interval, so that a fleet of 1000 shards flapping through a
// network blip writes a few lines, not thousands. The first change after a quiet interval is
// summarised at once (an operator watching the log sees the start of trouble without delay).
import type { RedisObservation } from '../failover/types.js';

export const SUMMARY_INTERVAL_MS = 10_000;

export interface ChangeSummaryLine {
  readonly changes: number;
  readonly sdown: number;
  readonly unreachable: number;
  readonly overMs: number;
  /** Up to five `shard/node` names among the changed, as examples. */
  readonly examples: readonly string[];
}

export class ChangeSummary {
  private changes = 0;
  private sdown = 0;
  private unreachable = 0;
  private examples: string[] = [];
  private since: number | null = null;
  private lastLineAt = -Infinity;

  constructor(private readonly intervalMs = SUMMARY_INTERVAL_MS) {}

  /** Counts one change; returns the summary line to log now, if one is due. */
  noted(obs: RedisObservation, now: number): ChangeSummaryLine | null {
    this.changes++;
    if (obs.sdown) this.sdown++;
    if (!obs.reachable) this.unreachable++;
    if (this.examples.length < 5) this.examples.push(`${obs.shard}/${obs.node}`);
    this.since ??= now;
    return this.due(now);
  }

  /** The pending summary if the interval since the last line has passed (call on a timer too). */
  due(now: number): ChangeSummaryLine | null {
    if (this.changes === 0 || now - this.lastLineAt < this.intervalMs) return null;
    const line = {
      changes: this.changes,
      sdown: this.sdown,
      unreachable: this.unreachable,
      overMs: Math.round(now - (this.since ?? now)),
      examples: this.examples,
    };
    this.changes = this.sdown = this.unreachable = 0;
    this.examples = [];
    this.since = null;
    this.lastLineAt = now;
    return line;
  }
}
