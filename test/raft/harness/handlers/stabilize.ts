// stabilize [ids...]
//   Handles Readies and delivers messages among the given nodes (default: all) until nothing
//   is left to do. Each round: every node handles its Ready, then every node receives the
//   messages queued for it (etcd-io/raft's stabilize).
// process-ready <id>...
//   Handles one Ready of each node given: persist, send (queue), apply, advance.
// deliver-msgs [ids...] [drop=(ids)] [type=MsgX]
//   Drops the queued messages addressed to the drop= nodes, then delivers those addressed to
//   the given nodes. With neither, delivers to every node. With type=, only messages of that
//   type are dropped or delivered; the others stay queued (a delayed message).
import type { TestData } from '../../datadriven.js';
import { listArg, positional, stringArg } from '../args.js';
import type { InteractionEnv } from '../env.js';

const maxRounds = 1000;

export function handleStabilize(env: InteractionEnv, d: TestData): void {
  const ids = selected(env, d);
  for (let round = 0; round < maxRounds; round++) {
    let busy = false;
    for (const id of ids) if (env.processReady(id)) busy = true;
    for (const id of ids) if (env.deliver(id)) busy = true;
    if (!busy) return;
  }
  throw new Error(`${d.pos}: no quiescence after ${maxRounds} rounds`);
}

export function handleProcessReady(env: InteractionEnv, d: TestData): void {
  for (const id of selected(env, d)) {
    if (!env.processReady(id)) env.print(`> ${id} has no Ready`);
  }
}

export function handleDeliverMsgs(env: InteractionEnv, d: TestData): void {
  const drop = listArg(d, 'drop');
  const type = stringArg(d, 'type');
  if (drop) env.drop(drop, type);
  const ids = positional(d);
  const to = ids.length > 0 ? ids : drop ? [] : env.ids();
  for (const id of to) env.deliver(id, type);
}

function selected(env: InteractionEnv, d: TestData): string[] {
  const ids = positional(d);
  for (const id of ids) env.node(id);
  return ids.length > 0 ? ids : env.ids();
}
