// tick <id> [n]          ticks node id n times (default 1)
// tick-election <id>...  ticks each electionTicks times (a follower with the default timeout
//                        campaigns; one with a longer timeout only sees its lease run out)
// tick-heartbeat <id>    ticks it heartbeatTicks times (a leader sends one round of heartbeats)
// campaign <id>          ticks it until it leaves the follower role (its election timeout ran out)
//
// Ticks only print role, term and leader changes; messages wait in the node's next Ready.
import type { TestData } from '../../datadriven.js';
import { nodeIdArg, positional, toInt } from '../args.js';
import type { InteractionEnv } from '../env.js';

export function handleTick(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  const count = positional(d)[1];
  tickN(env, id, count === undefined ? 1 : toInt(d, count, 'a tick count'));
}

export function handleTickElection(env: InteractionEnv, d: TestData): void {
  nodeIdArg(d);
  for (const id of positional(d)) tickN(env, id, env.node(id).options.electionTicks);
}

export function handleTickHeartbeat(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  tickN(env, id, env.node(id).options.heartbeatTicks);
}

export function handleCampaign(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  const n = env.node(id);
  if (n.core.role !== 'follower') {
    env.print(`${id} is a ${n.core.role}, not a follower: use tick-election`);
    return;
  }
  for (let i = 0; i < 2 * n.options.electionTicks; i++) {
    env.observe(id, (core) => core.tick());
    if (n.core.role !== 'follower') return;
  }
  env.print(`${id} did not campaign (not a voter, or a snapshot is pending)`);
}

function tickN(env: InteractionEnv, id: string, n: number): void {
  for (let i = 0; i < n; i++) env.observe(id, (core) => core.tick());
}
