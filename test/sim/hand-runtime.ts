// One RaftRuntime driven by hand, for tests of what a single node does with messages and time:
// its clock moves and its tick timer fires only when the test says so, and what it sends is kept.
import type { Message, NodeId } from '../../src/raft/types.js';
import type { Cancel, Clock } from '../../src/runtime/ports.js';
import { RaftRuntime } from '../../src/runtime/raft-runtime.js';
import { silentLogger } from '../../src/util/log.js';
import { SimStorage } from './sim-storage.js';

/** A clock whose periodic timer fires only when the test says so. */
export class HandClock implements Clock {
  t = 0;
  private ticking: (() => void) | null = null;
  now(): number {
    return this.t;
  }
  every(_ms: number, fn: () => void): Cancel {
    this.ticking = fn;
    return () => (this.ticking = null);
  }
  after(): Cancel {
    return () => {};
  }
  defer(fn: () => void): void {
    fn();
  }
  fire(): void {
    this.ticking?.();
  }
}

export const HAND_TICK_MS = 50;

export interface HandNode {
  readonly runtime: RaftRuntime;
  readonly clock: HandClock;
  /** Everything the node sent, oldest first (tests may empty it). */
  readonly sent: Message[];
  deliver(m: Message): void;
  /** Moves the clock one tick period on and fires the timer, `n` times. */
  tick(n?: number): void;
}

/** Node `id` of a cluster of `voters` (electionTicks 10, heartbeatTicks 1), started. */
export function handNode(id: NodeId, voters: readonly NodeId[]): HandNode {
  const clock = new HandClock();
  const sent: Message[] = [];
  let deliver: (m: Message) => void = () => {};
  const runtime = new RaftRuntime({
    id,
    timing: { tickMs: HAND_TICK_MS, electionTicks: 10, heartbeatTicks: 1, snapshotEntries: 1000 },
    storage: new SimStorage(),
    transport: {
      send: (m) => sent.push(m),
      onMessage: (h) => (deliver = h),
      setMembers: () => {},
      close: async () => {},
    },
    clock,
    stateMachine: { apply: () => undefined, snapshot: () => '', restore: () => {} },
    random: () => 0.99,
    logger: silentLogger(),
    bootstrap: { voters: [...voters] },
  });
  runtime.start();
  return {
    runtime,
    clock,
    sent,
    deliver: (m) => deliver(m),
    tick: (n = 1) => {
      for (let i = 0; i < n; i++) {
        clock.t += HAND_TICK_MS;
        clock.fire();
      }
    },
  };
}
