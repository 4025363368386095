// The chaos campaign's "one promotion per epoch" reads the Raft logs of the nodes. A leader may
// propose a second FailoverStarted for an epoch before the first commits (its candidate report
// changed in between): both are in the log, and the state machine refuses the later one. The
// 30-minute chaos run of seed 13 counted such a refused entry as a second promotion of epoch 57
// (every node's history and events show one, to r3): a false alarm. Only what the state machine
// takes counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileStorage } from '../../../src/storage/file-storage.js';
import type { Entry } from '../../../src/raft/types.js';
import { silentLogger } from '../../../src/util/log.js';
import { acceptedFailoverStarts, loggedCommands } from '../../helpers/failover-rig.js';
import type { RaftinelProcess } from '../../helpers/raftinel-process.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { failoverStarted, topologyWithMaster } from '../failover/fixtures.js';

test('a FailoverStarted refused by the state machine is in the log but is no promotion', (t) => {
  const dir = makeTempDir('accepted-starts');
  t.after(() => removeDir(dir));
  const store = FileStorage.open(dir, silentLogger());
  const state = { members: {}, topology: topologyWithMaster(), debugCount: 0, debugLast: null };
  const entry = (index: number, command: unknown): Entry => ({
    index,
    term: 2,
    kind: 'normal',
    data: JSON.stringify({ type: 'topology', command }),
  });
  store.save(
    { term: 2, vote: 'n1', commit: 12 },
    [entry(11, failoverStarted('r2')), entry(12, failoverStarted('r3'))],
    { meta: { index: 10, term: 1, conf: { voters: ['n1'], learners: [] } }, data: JSON.stringify(state) },
  );
  store.close();
  const node = { dataDir: dir } as RaftinelProcess;
  assert.deepEqual(
    loggedCommands(node).map((c) => (c.command as { to?: string }).to),
    ['r2', 'r3'],
    'both are in the log',
  );
  assert.deepEqual(acceptedFailoverStarts(node), [{ index: 11, shard: 'm', epoch: 1, to: 'r2' }]);
});
