// transfer-leadership from=<id> to=<id>
//   Asks leader `from` to hand over to `to` (TimeoutNow once `to` has the whole log).
// read-index <id> [read=<n>]
//   Asks node id for a linearizable read; the answer comes back as a ReadState of that read id
//   (default: 1, 2, 3... in the order of the file).
import type { TestData } from '../../datadriven.js';
import { intArg, nodeIdArg, requiredString } from '../args.js';
import type { InteractionEnv } from '../env.js';

export function handleTransferLeadership(env: InteractionEnv, d: TestData): void {
  const from = requiredString(d, 'from');
  const to = requiredString(d, 'to');
  env.observe(from, (core) => core.transferLeadership(to));
}

export function handleReadIndex(env: InteractionEnv, d: TestData): void {
  const id = nodeIdArg(d);
  const readId = intArg(d, 'read') ?? env.nextReadId;
  env.nextReadId = readId + 1;
  env.print(`ReadId:${readId}`);
  env.observe(id, (core) => core.readIndex(readId));
}
