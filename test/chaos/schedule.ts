// The nemesis schedule of a chaos campaign (docs/design.md 9), drawn from one seed: the same seed
// and the same options give the same schedule, printed before the run. Targets are roles
// ("the Redis master", "the Raft leader"), resolved to processes when the fault starts, so the
// schedule does not depend on what the cluster did; the resolution is part of the report.
//
// Faults run one at a time: a fault for `durationMs`, then everything it did is undone (processes
// resumed or restarted, links healed), then a quiet gap, so every lost write can be laid next to
// the fault that was running when it was acknowledged.
import { Prng } from '../sim/prng.js';

export type RedisRole = 'master' | 'replica';
export type RaftRole = 'leader' | 'follower';
/** 'data': the Redis node restarts from its AOF; 'empty': its files are deleted first. */
export type Restart = 'data' | 'empty';
/** A link fault: silent (bytes held, as a pulled cable) or dead (connections reset at once). */
export type LinkMode = 'blackhole' | 'drop';

export type Fault =
  /** SIGKILL of a Redis node, restarted after the fault's duration. */
  | { readonly kind: 'kill-redis'; readonly target: RedisRole; readonly restart: Restart }
  /** SIGSTOP of a Redis node, SIGCONT after the duration. */
  | { readonly kind: 'stop-redis'; readonly target: RedisRole }
  /** SIGKILL of a raftinel node, restarted (same data dir) after the duration. */
  | { readonly kind: 'kill-raftinel'; readonly target: RaftRole }
  /** SIGSTOP of a raftinel node for the whole duration (often longer than an election timeout). */
  | { readonly kind: 'stop-raftinel'; readonly target: RaftRole }
  /** Event-loop stalls: SIGSTOP of a raftinel node for `stallMs` (< downAfterMs / 2), `gapMs` apart. */
  | {
      readonly kind: 'stall-raftinel';
      readonly target: RaftRole;
      readonly stallMs: number;
      readonly gapMs: number;
    }
  /** A Redis node and its sidecar raftinel node SIGKILLed at one instant, both restarted. */
  | { readonly kind: 'pod-loss'; readonly target: 'master' | 'leader'; readonly restart: Restart }
  /**
   * A raftinel node cut from its peers: 'both' ways, 'in' (it hears nothing, its messages go out)
   * or 'out' (its messages are lost, it hears the others).
   */
  | {
      readonly kind: 'isolate-raftinel';
      readonly target: RaftRole;
      readonly direction: 'both' | 'in' | 'out';
    }
  /**
   * Raftinel nodes cut from one Redis node: 'one' raftinel node (any, its sidecar included) or
   * the 'majority' (the two that are not its sidecar: only the sidecar still reaches it). 'both'
   * directions or 'replies' only (the commands arrive, the answers are lost).
   */
  | {
      readonly kind: 'cut-redis';
      readonly target: RedisRole;
      readonly observers: 'one' | 'majority';
      readonly direction: 'both' | 'replies';
      readonly mode: LinkMode;
    }
  /**
   * A whole pod (a Redis node and its sidecar) cut from the other pods, Raft and replication
   * alike; the clients still reach it (the case the sidecar's fence is for).
   */
  | { readonly kind: 'isolate-pod'; readonly target: 'master' | 'leader' }
  /** Jittered latency and short stalls on every raftinel-to-Redis link. */
  | {
      readonly kind: 'latency';
      readonly ms: number;
      readonly jitterMs: number;
      readonly stallMs: number;
    };

export type FaultKind = Fault['kind'];

/**
 * What the campaign promises about acknowledged writes while a fault runs: 'none-lost' where
 * the Redis master keeps its data and stays reachable by a majority (raftinel's own faults,
 * replicas, a minority's links, latency); 'bounded' where Redis' asynchronous replication or a
 * split brain can lose what the master acknowledged last (the master killed and restarted with
 * its data, stopped, cut from the majority, or its pod isolated); 'any' where the master
 * restarts without its data: if it is back before a failover, its replicas resync from it by
 * themselves and every write is gone (raftinel then keeps it, docs/design.md 4.5).
 */
export type LossPromise = 'none-lost' | 'bounded' | 'any';

export interface Op {
  readonly index: number;
  /** Planned start, ms after the campaign's start. */
  readonly atMs: number;
  readonly durationMs: number;
  readonly fault: Fault;
  /** A uniform draw in [0, 1) that picks among the processes a role resolves to. */
  readonly pick: number;
}

export type Profile = 'all' | 'safe' | 'ci';

/** The kinds of the 'safe' and 'ci' profiles, in the order the schedule draws from. */
const SAFE_KINDS: readonly FaultKind[] = [
  'kill-redis',
  'stop-redis',
  'kill-raftinel',
  'stop-raftinel',
  'stall-raftinel',
  'isolate-raftinel',
  'cut-redis',
  'latency',
];

/**
 * The kinds of a profile: 'safe' only faults whose promise is 'none-lost'; 'ci' (the short
 * campaign in CI) the same kinds, except that a killed Redis node may be the master, so that the
 * run has real failovers.
 */
export const PROFILE_KINDS: Readonly<Record<Profile, readonly FaultKind[]>> = {
  all: [
    'kill-redis',
    'stop-redis',
    'kill-raftinel',
    'stop-raftinel',
    'stall-raftinel',
    'pod-loss',
    'isolate-raftinel',
    'cut-redis',
    'isolate-pod',
    'latency',
  ],
  safe: SAFE_KINDS,
  ci: SAFE_KINDS,
};

export interface ScheduleOptions {
  readonly seed: number;
  /** Length of the fault phase in ms (the last fault ends before it). */
  readonly faultMs: number;
  readonly profile: Profile;
  readonly downAfterMs: number;
  /** Quiet time between two faults. */
  readonly gapMs?: readonly [number, number];
}

export function promiseOf(f: Fault): LossPromise {
  switch (f.kind) {
    case 'kill-redis':
      if (f.target === 'master' && f.restart === 'empty') return 'any';
      return f.target === 'master' ? 'bounded' : 'none-lost';
    case 'stop-redis':
      return f.target === 'master' ? 'bounded' : 'none-lost';
    case 'cut-redis':
      return f.target === 'master' && f.observers === 'majority' ? 'bounded' : 'none-lost';
    case 'pod-loss':
      return f.restart === 'empty' ? 'any' : 'bounded';
    case 'isolate-pod':
      return 'bounded';
    default:
      return 'none-lost';
  }
}

function draw(
  rng: Prng,
  kind: FaultKind,
  profile: Profile,
  downAfterMs: number,
): { fault: Fault; durationMs: number } {
  const redisRole = (): RedisRole =>
    profile !== 'all' ? 'replica' : rng.pick(['master', 'replica'] as const);
  const raftRole = (): RaftRole => rng.pick(['leader', 'follower'] as const);
  const restart = (): Restart => rng.pick(['data', 'empty'] as const);
  switch (kind) {
    case 'kill-redis':
      return {
        fault: {
          kind,
          target: profile === 'ci' ? rng.pick(['master', 'replica'] as const) : redisRole(),
          restart: restart(),
        },
        durationMs: rng.int(500, 6000),
      };
    case 'stop-redis':
      return { fault: { kind, target: redisRole() }, durationMs: rng.int(300, 4000) };
    case 'kill-raftinel':
      return { fault: { kind, target: raftRole() }, durationMs: rng.int(500, 6000) };
    case 'stop-raftinel':
      return { fault: { kind, target: raftRole() }, durationMs: rng.int(300, 5000) };
    case 'stall-raftinel':
      return {
        fault: {
          kind,
          target: raftRole(),
          stallMs: rng.int(100, Math.floor(downAfterMs / 2) - 50),
          gapMs: rng.int(300, 1000),
        },
        durationMs: rng.int(3000, 6000),
      };
    case 'pod-loss':
      return {
        fault: { kind, target: rng.pick(['master', 'leader'] as const), restart: restart() },
        durationMs: rng.int(1000, 6000),
      };
    case 'isolate-raftinel':
      return {
        fault: { kind, target: raftRole(), direction: rng.pick(['both', 'in', 'out'] as const) },
        durationMs: rng.int(1000, 8000),
      };
    case 'cut-redis':
      return {
        fault: {
          kind,
          target: rng.pick(['master', 'replica'] as const),
          observers: profile !== 'all' ? 'one' : rng.pick(['one', 'majority'] as const),
          direction: rng.pick(['both', 'replies'] as const),
          mode: rng.pick(['blackhole', 'drop'] as const),
        },
        durationMs: rng.int(1000, 8000),
      };
    case 'isolate-pod':
      return {
        fault: { kind, target: rng.pick(['master', 'leader'] as const) },
        durationMs: rng.int(2000, 8000),
      };
    case 'latency':
      return {
        fault: { kind, ms: 200, jitterMs: 100, stallMs: rng.int(100, 200) },
        durationMs: rng.int(3000, 8000),
      };
  }
}

/** The schedule of a seed; the same arguments always give the same ops. */
export function makeSchedule(options: ScheduleOptions): Op[] {
  const rng = new Prng(options.seed);
  const kinds = PROFILE_KINDS[options.profile];
  const [gapLo, gapHi] = options.gapMs ?? [3000, 6000];
  const ops: Op[] = [];
  let at = 2000; // writes flow for a while before the first fault
  for (;;) {
    const kind = rng.pick(kinds);
    const { fault, durationMs } = draw(rng.fork(), kind, options.profile, options.downAfterMs);
    if (at + durationMs > options.faultMs) break;
    ops.push({ index: ops.length, atMs: at, durationMs, fault, pick: rng.float() });
    at += durationMs + rng.int(gapLo, gapHi);
  }
  return ops;
}

/** One line per fault: what `--seed` replays. */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'kill-redis':
      return `SIGKILL redis ${f.target}, restart ${f.restart === 'data' ? 'with data' : 'empty'}`;
    case 'stop-redis':
      return `SIGSTOP redis ${f.target}`;
    case 'kill-raftinel':
      return `SIGKILL raftinel ${f.target}, restart`;
    case 'stop-raftinel':
      return `SIGSTOP raftinel ${f.target}`;
    case 'stall-raftinel':
      return `event-loop stalls of raftinel ${f.target}: ${f.stallMs} ms every ${f.stallMs + f.gapMs} ms`;
    case 'pod-loss':
      return `pod loss (${f.target}'s redis + sidecar SIGKILLed), restart ${f.restart === 'data' ? 'with data' : 'empty'}`;
    case 'isolate-raftinel':
      return `raftinel ${f.target} cut from its peers (${f.direction === 'both' ? 'both ways' : f.direction === 'in' ? 'hears nothing' : 'sends nothing'})`;
    case 'cut-redis':
      return `${f.observers === 'one' ? 'one raftinel node' : 'the majority (not the sidecar)'} cut from redis ${f.target} (${f.direction === 'both' ? 'both ways' : 'replies lost'}, ${f.mode})`;
    case 'isolate-pod':
      return `${f.target}'s pod (redis + sidecar) isolated; clients still reach it`;
    case 'latency':
      return `round trips ${f.ms} ± ${f.jitterMs} ms longer and ${f.stallMs} ms stalls on raftinel-to-redis links`;
  }
}

export function formatSchedule(ops: readonly Op[]): string {
  return ops
    .map(
      (o) =>
        `#${String(o.index).padStart(2, '0')} +${(o.atMs / 1000).toFixed(1)}s for ${(o.durationMs / 1000).toFixed(1)}s  ${describeFault(o.fault)}  [${promiseOf(o.fault)}]`,
    )
    .join('\n');
}
