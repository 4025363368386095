// add-nodes <n> [voters=(1,2,3)] [election=10] [heartbeat=1] [timeouts=(10,15,...)]
//           [max-batch=N] [max-inflight=N] [storage-bug=hardStateApart]
//
// Adds n nodes, numbered after the existing ones. Nodes listed in voters are bootstrapped as
// src/runtime/raft-runtime.ts does it: entry 1/1 is the conf change {bootstrap, voters} and the
// hard state is {term 1, commit 1}. The others start empty and join through a conf change.
// Without voters=, the first add-nodes bootstraps all its nodes. timeouts= gives each new node's
// randomized election timeout (default: election, i.e. random() = 0). Each node then handles
// its first Ready silently, applying entry 1, as RaftRuntime.start() does. Each node persists
// through the production storage (harness/storage.ts); storage-bug= sets a test-only storage
// bug switch (src/storage/bugs.ts) on the new nodes.
import type { ConfChange, Entry } from '../../../../src/raft/types.js';
import type { TestData } from '../../datadriven.js';
import type { StorageBugs } from '../../../../src/storage/bugs.js';
import { intArg, listArg, positional, stringArg, toInt } from '../args.js';
import type { InteractionEnv, NodeOptions } from '../env.js';
import { NodeStorage } from '../storage.js';
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
  const storageBug = stringArg(d, 'storage-bug') as keyof StorageBugs | undefined;
  if (storageBug !== undefined && storageBug !== 'hardStateApart') {
    throw new Error(`${d.pos}: unknown storage-bug ${storageBug}`);
  }
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
    const storage = new NodeStorage(storageBug ? { [storageBug]: true } : {});
    if (voters.includes(id)) bootstrap(storage, voters);
    const log = storage.entries.map(fmtEntry).join(', ');
    env.addNode(id, storage, options);
    // Like RaftRuntime.start(): apply what is committed on disk before anything else.
    env.silently(() => env.processReady(id));
    const conf = fmtConf(env.node(id).core.conf);
    env.print(`${id}: ${fmtHardState(storage.hardState)} Log:[${log}] Conf:${conf} Timeout:${timeoutTicks}`);
  });
}

function bootstrap(storage: NodeStorage, voters: readonly string[]): void {
  const change: ConfChange = { type: 'bootstrap', voters: [...voters] };
  const first: Entry = { index: 1, term: 1, kind: 'conf', data: JSON.stringify(change) };
  storage.save({ term: 1, vote: null, commit: 1 }, [first]);
}
