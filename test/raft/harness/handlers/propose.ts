// propose <id> <data>
//   Proposes a normal entry on node id. Errors (not_leader, transfer_in_progress) are printed.
// propose-conf-change <id> type=addLearner|promote|remove id=<node>
//   Proposes a membership change; conf_change_pending and bad_conf_change are printed.
import type { ConfChange } from '../../../../src/raft/types.js';
import type { TestData } from '../../datadriven.js';
import { nodeIdArg, positional, requiredString } from '../args.js';
import type { InteractionEnv } from '../env.js';

export function handlePropose(env: InteractionEnv, d: TestData): void {
  const [id, data] = positional(d);
  if (id === undefined || data === undefined) throw new Error(`${d.pos}: usage: propose <id> <data>`);
  env.observe(id, (core) => core.propose(data));
}

export function handleProposeConfChange(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  const type = requiredString(d, 'type');
  const target = requiredString(d, 'id');
  if (type !== 'addLearner' && type !== 'promote' && type !== 'remove') {
    throw new Error(`${d.pos}: type=${type}: want addLearner, promote or remove`);
  }
  const change: ConfChange = { type, id: target };
  env.observe(id, (core) => core.proposeConfChange(change));
}
