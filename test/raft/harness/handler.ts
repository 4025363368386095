// Dispatches one datadriven command to its handler and returns what it printed. The syntax of
// each command is documented at the top of its handler file.
import type { TestData } from '../datadriven.js';
import { handleAddNodes } from './handlers/add-nodes.js';
import {
  handleBackup,
  handleCrashInSave,
  handleHeal,
  handleIsolate,
  handleRestart,
} from './handlers/faults.js';
import {
  handleCheckCommitted,
  handleCompact,
  handleLease,
  handleRaftLog,
  handleStatus,
} from './handlers/inspect.js';
import { handleReadIndex, handleTransferLeadership } from './handlers/leadership.js';
import { handlePropose, handleProposeConfChange } from './handlers/propose.js';
import { handleDeliverMsgs, handleProcessReady, handleStabilize } from './handlers/stabilize.js';
import { handleCampaign, handleTick, handleTickElection, handleTickHeartbeat } from './handlers/tick.js';
import type { InteractionEnv } from './env.js';

type Handler = (env: InteractionEnv, d: TestData) => void;

const handlers: Record<string, Handler> = {
  'add-nodes': handleAddNodes, // add-nodes <n> [voters=(..)] [election=] [heartbeat=] [timeouts=(..)] [storage-bug=]
  campaign: handleCampaign, // campaign <id>
  tick: handleTick, // tick <id> [n]
  'tick-election': handleTickElection, // tick-election <id>...
  'tick-heartbeat': handleTickHeartbeat, // tick-heartbeat <id>
  stabilize: handleStabilize, // stabilize [ids...]
  'process-ready': handleProcessReady, // process-ready <id>...
  'deliver-msgs': handleDeliverMsgs, // deliver-msgs [ids...] [drop=(ids)] [type=MsgX]
  propose: handlePropose, // propose <id> <data>
  'propose-conf-change': handleProposeConfChange, // propose-conf-change <id> type= id=
  'transfer-leadership': handleTransferLeadership, // transfer-leadership from= to=
  'read-index': handleReadIndex, // read-index <id> [read=<n>]
  compact: handleCompact, // compact <id> <index>
  status: handleStatus, // status [ids...]
  lease: handleLease, // lease [ids...]
  'raft-log': handleRaftLog, // raft-log <id>
  isolate: handleIsolate, // isolate <id>... [from=(ids)]
  heal: handleHeal, // heal [ids...]
  restart: handleRestart, // restart <id> [from=backup|empty] [abstain=true]
  backup: handleBackup, // backup <id>
  'crash-in-save': handleCrashInSave, // crash-in-save <id> [after-fsyncs=1]
  'check-committed': handleCheckCommitted, // check-committed
};

export function handle(env: InteractionEnv, d: TestData): string {
  const h = handlers[d.cmd];
  if (!h) throw new Error(`${d.pos}: unknown command ${d.cmd}`);
  h(env, d);
  return env.takeOutput();
}
