// status [ids...]   term, vote, role, leader, commit, applied, last, conf, progress, data
// lease [ids...]    the leader's lease, and how many ticks ago the quorum-acknowledged heartbeat
//                   it rests on was sent (the runtime times the same round in ms: src/runtime/lease.ts)
// raft-log <id>     the node's log (in memory, including entries not yet persisted)
// check-committed   State Machine Safety across the nodes: for every index two nodes both count
//                   as committed, the same entry (same term); prints each disagreement
// compact <id> <index>
//   Compacts the node's log up to index (at most its applied index) into a snapshot of its
//   state machine, persisted at once (as the runtime does), and prints the log left.
import type { TestData } from '../../datadriven.js';
import { nodeIdArg, positional, toInt } from '../args.js';
import { snapshotData, type InteractionEnv } from '../env.js';
import { fmtEntry, fmtStatus } from '../format.js';

export function handleStatus(env: InteractionEnv, d: TestData): void {
  const ids = positional(d);
  for (const id of ids.length > 0 ? ids : env.ids()) {
    const n = env.node(id);
    for (const line of fmtStatus(
      n.core.status(),
      n.applied.map((a) => a.data),
    ))
      env.print(line);
  }
}

export function handleLease(env: InteractionEnv, d: TestData): void {
  const ids = positional(d);
  for (const id of ids.length > 0 ? ids : env.ids()) {
    const ago = env.node(id).core.ticksSinceQuorumAck();
    env.print(`${id}: ${ago === null ? 'no lease' : `lease, quorum acknowledged ${ago} ticks ago`}`);
  }
}

export function handleCheckCommitted(env: InteractionEnv): void {
  const ids = env.ids();
  let bad = 0;
  for (const [i, a] of ids.entries()) {
    for (const b of ids.slice(i + 1)) {
      const ca = env.node(a).core;
      const cb = env.node(b).core;
      const upTo = Math.min(ca.status().commit, cb.status().commit);
      for (let index = 1; index <= upTo; index++) {
        const ta = ca.termAt(index);
        const tb = cb.termAt(index);
        if (ta === undefined || tb === undefined || ta === tb) continue;
        env.print(`VIOLATION index ${index} committed as ${ta}/${index} on ${a} and ${tb}/${index} on ${b}`);
        bad++;
      }
    }
  }
  if (bad === 0) env.print('committed entries agree');
}

export function handleRaftLog(env: InteractionEnv, d: TestData): void {
  printLog(env, nodeIdArg(d));
}

export function handleCompact(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  const index = toInt(d, positional(d)[1], 'an index');
  const n = env.node(id);
  const snapshot = n.core.compact(index, snapshotData(n, index));
  n.storage.save(null, [], snapshot);
  printLog(env, id);
}

function printLog(env: InteractionEnv, id: string): void {
  const core = env.node(id).core;
  const s = core.status();
  if (s.snapshotIndex > 0) env.print(`snapshot ${core.termAt(s.snapshotIndex)}/${s.snapshotIndex}`);
  if (s.lastIndex === s.snapshotIndex) env.print('log is empty');
  for (let i = s.snapshotIndex + 1; i <= s.lastIndex; i++) {
    const e = core.entryAt(i);
    env.print(e ? fmtEntry(e) : `missing entry ${i}`);
  }
}
