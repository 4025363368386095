// isolate <id>... [from=(ids)]
//   Without from=: drops every message from or to these nodes (when sent, or when delivered if
//   it was sent before the partition). With from=: cuts only the links between these nodes and
//   those (both directions), a partial partition.
// heal [ids...]
//   Ends the isolation of these nodes and the cuts touching them (default: everything).
// restart <id> [from=backup|empty] [abstain=true]
//   Rebuilds the node from its storage: whatever it had not persisted is lost, and so are its
//   role, leader and timers (it comes back a follower). Its first Ready is left to the script.
//   from=backup: the data dir is first replaced by the copy `backup <id>` took; from=empty: it
//   is wiped. abstain=true: the node neither votes nor campaigns (RaftConfig.abstain, what
//   node.bootstrap: existing does for a node that starts empty).
// backup <id>
//   Copies the node's data dir as it is now, for a later `restart <id> from=backup`.
// crash-in-save <id> [after-fsyncs=1]
//   The node's next Ready dies inside its save, right after that many fsyncs (or at the end of
//   the save if it makes fewer): whatever was not fsynced is lost, nothing is sent or applied,
//   and the node restarts from its disk (the production storage over an in-memory file system).
import type { TestData } from '../../datadriven.js';
import { intArg, listArg, nodeIdArg, positional, stringArg } from '../args.js';
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
  const from = stringArg(d, 'from');
  if (from === 'backup') {
    const backup = env.backups.get(id);
    if (!backup) throw new Error(`${d.pos}: no backup of ${id}`);
    env.node(id).storage.replaceWith(backup);
  } else if (from === 'empty') {
    env.node(id).storage.replaceWith(null);
  } else if (from !== undefined) {
    throw new Error(`${d.pos}: from= is backup or empty`);
  }
  env.restart(id, stringArg(d, 'abstain') === 'true');
  env.print(describeRestart(id, env.node(id).storage));
}

export function handleBackup(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  env.backups.set(id, env.node(id).storage.copy());
}

export function handleCrashInSave(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  env.node(id).storage.armCrash(intArg(d, 'after-fsyncs') ?? 1);
}
