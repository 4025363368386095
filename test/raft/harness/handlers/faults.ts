// isolate <id>... [from=(ids)]
//   Without from=: drops every message from or to these nodes (when sent, or when delivered if
//   it was sent before the partition). With from=: cuts only the links between these nodes and
//   those (both directions), a partial partition.
// heal [ids...]
//   Ends the isolation of these nodes and the cuts touching them (default: everything).
// restart <id>
//   Rebuilds the node from its storage: whatever it had not persisted is lost, and so are its
//   role, leader and timers (it comes back a follower). Its first Ready is left to the script.
// crash-in-save <id> [after-fsyncs=1]
//   The node's next Ready dies inside its save, right after that many fsyncs (or at the end of
//   the save if it makes fewer): whatever was not fsynced is lost, nothing is sent or applied,
//   and the node restarts from its disk (the production storage over an in-memory file system).
import type { TestData } from '../../datadriven.js';
import { intArg, listArg, nodeIdArg, positional } from '../args.js';
import { describeRestart, linkKey, type InteractionEnv } from '../env.js';

export function handleIsolate(env: InteractionEnv, d: TestData): void {
  const from = listArg(d, 'from');
  for (const id of positional(d)) {
    env.node(id);
    if (!from) env.isolated.add(id);
    else for (const other of from) env.cut.add(linkKey(id, other));
  }
}

export function handleHeal(env: InteractionEnv, d: TestData): void {
  const ids = positional(d);
  if (ids.length === 0) {
    env.isolated.clear();
    env.cut.clear();
  }
  for (const id of ids) {
    env.isolated.delete(id);
    for (const key of [...env.cut]) if (key.split('|').includes(id)) env.cut.delete(key);
  }
}

export function handleRestart(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  env.restart(id);
  env.print(describeRestart(id, env.node(id).storage));
}

export function handleCrashInSave(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  env.node(id).storage.armCrash(intArg(d, 'after-fsyncs') ?? 1);
}
