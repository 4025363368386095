// One production RaftRuntime on the simulator's parts (scheduler clock, storage, a transport that
// only records), for regression tests that drive a node by hand: what it sends is in `sent`,
// `deliver` hands it a message and lets its deferred work run.
import type { Message, NodeId } from '../../src/raft/types.js';
import { RaftRuntime } from '../../src/runtime/raft-runtime.js';
import { silentLogger } from '../../src/util/log.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimStorage } from './sim-storage.js';

export interface LoneNode {
  readonly sched: Scheduler;
  readonly sent: Message[];
  /** Starts a process of the node on the shared storage (a restart: a new process, new randomness). */
  start(): RaftRuntime;
  deliver(m: Message): void;
}

export function loneNode(id: NodeId, seed: number, voters: readonly NodeId[] = ['n1', 'n2', 'n3']): LoneNode {
  const sched = new Scheduler();
  const storage = new SimStorage();
  const sent: Message[] = [];
  let handler: ((m: Message) => void) | null = null;
  let incarnation = 0;
  return {
    sched,
    sent,
    start: () => {
      const mine = ++incarnation;
      const random = new Prng(seed + mine - 1);
      const runtime = new RaftRuntime({
        id,
        timing: { tickMs: 50, electionTicks: 10, heartbeatTicks: 1, snapshotEntries: 1000 },
        storage,
        transport: {
          send: (m) => sent.push(m),
          onMessage: (h) => {
            handler = h;
          },
          setMembers: () => {},
          close: async () => {},
        },
        // Only the current process's timers fire: an earlier one's are dead with it.
        clock: sched.clockFor(() => incarnation === mine),
        stateMachine: { apply: () => undefined, snapshot: () => '', restore: () => {} },
        random: () => random.float(),
        logger: silentLogger(),
        bootstrap: { voters: [...voters] },
      });
      runtime.start();
      return runtime;
    },
    deliver: (m) => {
      handler?.(m);
      sched.runUntil(sched.now + 1, () => {});
    },
  };
}
