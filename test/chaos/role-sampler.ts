// The omniscient observer of a chaos campaign: every `intervalMs` it asks each Redis node,
// directly on its own port (past the fault proxies), for ROLE, and each node that says master
// for one small write (SET chaos:probe:<id>) with a short deadline: a master counts as writable
// only when that write is acknowledged in time (a fenced master, paused with CLIENT PAUSE WRITE,
// blocks it; a stopped one answers nothing). Rounds in which two or more nodes are writable
// masters form the split-brain windows the invariant bounds.
import { redisQuery } from '../helpers/redis-query.js';
import { sleep } from '../helpers/wait.js';

export interface SampledNode {
  readonly id: string;
  /** The port redis-server itself listens on (not a proxy). */
  readonly port: () => number;
}

export interface Round {
  /** ms since the campaign's start. */
  readonly at: number;
  /** Per node: 'master', 'slave', or 'down' (no answer in time). */
  readonly roles: Readonly<Record<string, string>>;
  readonly writable: readonly string[];
}

export interface DualWindow {
  readonly from: number;
  readonly to: number;
  readonly ms: number;
  readonly nodes: readonly string[];
}

export class RoleSampler {
  readonly rounds: Round[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly nodes: readonly SampledNode[],
    private readonly t0: number,
    private readonly intervalMs = 100,
    private readonly deadlineMs = 250,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async sample(n: SampledNode): Promise<{ role: string; writable: boolean }> {
    try {
      const role = await redisQuery(n.port(), ['ROLE'], { timeoutMs: this.deadlineMs });
      if (!Array.isArray(role)) return { role: 'down', writable: false };
      const name = String(role[0]);
      if (name !== 'master') return { role: name, writable: false };
      const w = await redisQuery(n.port(), ['SET', `chaos:probe:${n.id}`, '1'], { timeoutMs: this.deadlineMs }).catch(
        () => null,
      );
      return { role: name, writable: w === 'OK' };
    } catch {
      return { role: 'down', writable: false };
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const at = performance.now() - this.t0;
      const results = await Promise.all(this.nodes.map((n) => this.sample(n)));
      const roles: Record<string, string> = {};
      const writable: string[] = [];
      this.nodes.forEach((n, i) => {
        roles[n.id] = results[i].role;
        if (results[i].writable) writable.push(n.id);
      });
      this.rounds.push({ at, roles, writable });
      await sleep(Math.max(0, at + this.intervalMs - (performance.now() - this.t0)));
    }
  }
}

/**
 * Windows of consecutive rounds with two or more writable masters; each lasts from its first
 * such round to the first round after it without (the sampling interval is the resolution).
 */
export function dualWindows(rounds: readonly Round[]): DualWindow[] {
  const out: DualWindow[] = [];
  let start: number | null = null;
  let nodes = new Set<string>();
  for (const r of rounds) {
    if (r.writable.length >= 2) {
      if (start === null) {
        start = r.at;
        nodes = new Set();
      }
      for (const n of r.writable) nodes.add(n);
    } else if (start !== null) {
      out.push({ from: start, to: r.at, ms: r.at - start, nodes: [...nodes].sort() });
      start = null;
    }
  }
  const last = rounds[rounds.length - 1];
  if (start !== null && last) out.push({ from: start, to: last.at, ms: last.at - start, nodes: [...nodes].sort() });
  return out;
}

/** The longest gap between two rounds: the sampler's worst resolution in the run. */
export function worstRoundGap(rounds: readonly Round[]): number {
  let worst = 0;
  for (let i = 1; i < rounds.length; i++) worst = Math.max(worst, rounds[i].at - rounds[i - 1].at);
  return worst;
}
