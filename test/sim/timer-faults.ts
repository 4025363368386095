// Timer weather, a simulator fault class on for every seed: the ways a real process's sense of
// time goes wrong without it crashing or losing a link.
// - Timer lateness: every timer of a node fires late by a random 0..lateMaxMs, lateMaxMs drawn
//   per node in 0..25 ms (Node's timers are never early, but a busy or throttled event loop runs
//   them late; an interval restarts from when its callback ran, so lateness accumulates).
// - Clock-rate drift: each node's monotonic clock runs at its own rate within
//   ±MAX_CLOCK_DRIFT (src/runtime/lease.ts, the bound the lease is derived under), for its
//   timers and its clock reads alike. cluster.ts draws the rate; this module states the range.
// - Event-loop stalls: now and then a node runs nothing (timers, sockets) for 5-300 ms, a GC
//   pause or a blocking call; what came due runs when it resumes.
// Draws come from a stream of their own (seed-derived), so they shift no other fault stream.
import { MAX_CLOCK_DRIFT } from '../../src/runtime/lease.js';
import type { NodeId } from '../../src/raft/types.js';
import { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

/** A clock rate within the stated drift bound, from one uniform draw in [0, 1). */
export function driftedRate(u: number): number {
  return 1 + (2 * u - 1) * MAX_CLOCK_DRIFT;
}

export interface TimerWeather {
  /** Per node: the most a timer of that node fires late, in sim ms. */
  readonly lateMaxMs: ReadonlyMap<NodeId, number>;
  /** Sim ms between two stalls of some node, or null when this seed has no stalls. */
  readonly stallGapMs: readonly [number, number] | null;
  readonly stallMs: readonly [number, number];
}

export class TimerFaults {
  private readonly draws: Prng;
  private readonly perNode = new Map<NodeId, { lateMaxMs: number; steady: boolean; prng: Prng }>();
  private readonly stallGapMs: readonly [number, number] | null;
  private readonly stallMs: readonly [number, number];
  stalls = 0;

  constructor(seed: number) {
    this.draws = new Prng((seed ^ 0x71e5ca7e) >>> 0);
    this.stallGapMs = this.draws.chance(0.6)
      ? this.draws.pick([
          [50, 400],
          [200, 1500],
        ] as const)
      : null;
    this.stallMs = this.draws.pick([
      [5, 60],
      [20, 300],
    ] as const);
  }

  /** The lateness of each timer firing of node `id` (stable per node across restarts). */
  lateness(id: NodeId): () => number {
    let node = this.perNode.get(id);
    if (!node) {
      const prng = this.draws.fork();
      // A third of the nodes run on time: lateness differing between nodes is the hard case.
      // Half the late ones are steadily late (a loaded host), the others jitter.
      node = { lateMaxMs: prng.chance(0.33) ? 0 : prng.int(1, 25), steady: prng.chance(0.5), prng };
      this.perNode.set(id, node);
    }
    const { lateMaxMs, steady, prng } = node;
    return () => (lateMaxMs === 0 ? 0 : lateMaxMs * (steady ? 0.8 + 0.2 * prng.float() : prng.float()));
  }

  /** Stalls a random live node now and then until `until` (sim ms). */
  scheduleStalls(
    sched: Scheduler,
    until: number,
    live: () => readonly NodeId[],
    stall: (id: NodeId, ms: number) => void,
  ): void {
    const gap = this.stallGapMs;
    if (gap === null) return;
    const loop = (): void => {
      if (sched.now >= until) return;
      const ids = live();
      if (ids.length > 0) {
        this.stalls++;
        stall(this.draws.pick(ids), this.draws.int(this.stallMs[0], this.stallMs[1]));
      }
      sched.at(sched.now + this.draws.int(gap[0], gap[1]), loop, true);
    };
    sched.at(this.draws.int(gap[0], gap[1]), loop, true);
  }

  describe(): string {
    const late = [...this.perNode].map(([id, n]) => `${id}:${n.lateMaxMs}${n.steady ? 's' : ''}`).join(',');
    const stalls = this.stallGapMs
      ? `stalls ${this.stallMs[0]}-${this.stallMs[1]}ms every ${this.stallGapMs[0]}-${this.stallGapMs[1]}ms`
      : 'no stalls';
    return `timers late up to [${late}] ms, drift ±${MAX_CLOCK_DRIFT * 100}%, ${stalls}`;
  }
}
