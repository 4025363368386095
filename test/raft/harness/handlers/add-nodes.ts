// add-nodes <n> [voters=(1,2,3)] [election=10] [heartbeat=1] [timeouts=(10,15,...)]
//           [max-batch=N] [max-inflight=N]
//
// Adds n nodes, numbered after the existing ones. Nodes listed in voters are bootstrapped as
// src/runtime/raft-runtime.ts does it: entry 1/1 is the conf change {bootstrap, voters} and the
// hard state is {term 1, commit 1}. The others start empty and join through a conf change.
// Without voters=, the first add-nodes bootstraps all its nodes. timeouts= gives each new node's
// randomized election timeout (default: election, i.e. random() = 0). Each node then handles
// its first Ready silently, applying entry 1, as RaftRuntime.start() does.
import type { ConfChange, Entry } from '../../../../src/raft/types.js';
import type { TestData } from '../../datadriven.js';
import { intArg, listArg, positional, toInt } from '../args.js';
import type { InteractionEnv, NodeOptions, NodeStorage } from '../env.js';
import { fmtConf, fmtEntry, fmtHardState } from '../format.js';

export function handleAddNodes(env: InteractionEnv, d: TestData): void {
  const n = toInt(d, positional(d)[0], 'a node count');
  const first = env.nodes.size + 1;
  const ids = Array.from({ length: n }, (_, i) => String(first + i));
  const voters = listArg(d, 'voters') ?? (env.nodes.size === 0 ? ids : []);
  const electionTicks = intArg(d, 'election') ?? 10;
  const heartbeatTicks = intArg(d, 'heartbeat') ?? 1;
  const timeouts = listArg(d, 'timeouts')?.map((t) => toInt(d, t, 'timeouts'));
  const maxBatchEntries = intArg(d, 'max-batch');
  const maxInflight = intArg(d, 'max-inflight');
  ids.forEach((id, i) => {
    const timeoutTicks = timeouts?.[i] ?? electionTicks;
    if (timeoutTicks < electionTicks || timeoutTicks >= 2 * electionTicks) {
      throw new Error(`${d.pos}: timeout ${timeoutTicks} is outside [election, 2*election)`);
    }
    const options: NodeOptions = {
      electionTicks,
      heartbeatTicks,
      timeoutTicks,
      ...(maxBatchEntries !== undefined ? { maxBatchEntries } : {}),
      ...(maxInflight !== undefined ? { maxInflight } : {}),
    };
    const storage: NodeStorage = voters.includes(id) ? bootstrapped(voters) : empty();
    const log = storage.entries.map(fmtEntry).join(', ');
    env.addNode(id, storage, options);
    // Like RaftRuntime.start(): apply what is committed on disk before anything else.
    env.silently(() => env.processReady(id));
    const conf = fmtConf(env.node(id).core.conf);
    env.print(`${id}: ${fmtHardState(storage.hardState)} Log:[${log}] Conf:${conf} Timeout:${timeoutTicks}`);
  });
}

function bootstrapped(voters: readonly string[]): NodeStorage {
  const change: ConfChange = { type: 'bootstrap', voters: [...voters] };
  const first: Entry = { index: 1, term: 1, kind: 'conf', data: JSON.stringify(change) };
  return { hardState: { term: 1, vote: null, commit: 1 }, snapshot: null, entries: [first] };
}

function empty(): NodeStorage {
  return { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [] };
}
