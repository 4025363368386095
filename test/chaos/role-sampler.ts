// The omniscient observer of a chaos campaign: every `intervalMs` it asks each Redis node,
// directly on its own port (past the fault proxies), for ROLE, and each node that says master
// for one small write (SET chaos:probe:<id>) with a short deadline: a master counts as writable
// only when that write is acknowledged in time (a fenced master, paused with CLIENT PAUSE WRITE,
// blocks it; a stopped one answers nothing). Spans in which two or more nodes are writable
// masters are the split-brain windows the invariant bounds.
import { redisQuery } from '../helpers/redis-query.js';
import { sleep } from '../helpers/wait.js';

export interface SampledNode {
  readonly id: string;
  /** The port redis-server itself listens on (not a proxy). */
  readonly port: () => number;
}

export interface Sample {
  /** ms since the campaign's start, when the answer (or the deadline) came. */
  readonly at: number;
  readonly node: string;
  /** 'master', 'slave', or 'down' (no answer in time). */
  readonly role: string;
  readonly writable: boolean;
}

export interface DualWindow {
  readonly from: number;
  readonly to: number;
  readonly ms: number;
  readonly nodes: readonly string[];
}

export class RoleSampler {
  readonly samples: Sample[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly nodes: readonly SampledNode[],
    private readonly t0: number,
    private readonly intervalMs = 100,
    private readonly deadlineMs = 250,
  ) {}

  /** One loop per node, so that a stopped or paused node does not slow the others' sampling. */
  start(): void {
    this.loops = this.nodes.map((n) => this.run(n));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** The node that was last seen as a writable master, if any. */
  lastWritable(): string | null {
    for (let i = this.samples.length - 1; i >= 0; i--)
      if (this.samples[i].writable) return this.samples[i].node;
    return null;
  }

  private async sample(n: SampledNode): Promise<{ role: string; writable: boolean }> {
    try {
      const role = await redisQuery(n.port(), ['ROLE'], { timeoutMs: this.deadlineMs });
      if (!Array.isArray(role)) return { role: 'down', writable: false };
      const name = String(role[0]);
      if (name !== 'master') return { role: name, writable: false };
      const w = await redisQuery(n.port(), ['SET', `chaos:probe:${n.id}`, '1'], {
        timeoutMs: this.deadlineMs,
      }).catch(() => null);
      return { role: name, writable: w === 'OK' };
    } catch {
      return { role: 'down', writable: false };
    }
  }

  private async run(n: SampledNode): Promise<void> {
    while (!this.stopped) {
      const began = performance.now();
      const r = await this.sample(n);
      this.samples.push({ at: performance.now() - this.t0, node: n.id, ...r });
      await sleep(Math.max(0, began + this.intervalMs - performance.now()));
    }
  }
}

/**
 * Spans in which two or more nodes were writable masters: each node counts as what its latest
 * sample said, from that sample until its next one (the sampling interval is the resolution).
 */
export function dualWindows(samples: readonly Sample[]): DualWindow[] {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const writable = new Map<string, boolean>();
  const out: DualWindow[] = [];
  let start: number | null = null;
  let nodes = new Set<string>();
  for (const s of sorted) {
    writable.set(s.node, s.writable);
    const now = [...writable].filter(([, w]) => w).map(([n]) => n);
    if (now.length >= 2) {
      if (start === null) {
        start = s.at;
        nodes = new Set();
      }
      for (const n of now) nodes.add(n);
    } else if (start !== null) {
      out.push({ from: start, to: s.at, ms: s.at - start, nodes: [...nodes].sort() });
      start = null;
    }
  }
  const last = sorted[sorted.length - 1];
  if (start !== null && last)
    out.push({ from: start, to: last.at, ms: last.at - start, nodes: [...nodes].sort() });
  return out;
}

/** The longest time between two samples of one node: the sampler's worst resolution in the run. */
export function worstSampleGap(samples: readonly Sample[]): number {
  const lastAt = new Map<string, number>();
  let worst = 0;
  for (const s of samples) {
    const prev = lastAt.get(s.node);
    if (prev !== undefined) worst = Math.max(worst, s.at - prev);
    lastAt.set(s.node, s.at);
  }
  return worst;
}
