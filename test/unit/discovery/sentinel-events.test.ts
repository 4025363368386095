// The Sentinel event texts (sentinel-events.ts) as Sentinel writes them: clients parse them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  engineEventMessage,
  masterMessage,
  replicaMessage,
  selectedReplicaMessage,
  switchMasterMessage,
} from '../../../src/discovery/sentinel-events.js';
import { topologyWithMaster } from '../failover/fixtures.js';

const a = { host: '10.0.0.1', port: 6379 };
const b = { host: '10.0.0.2', port: 6380 };

test('Sentinel event texts', () => {
  assert.equal(switchMasterMessage('m', a, b), 'm 10.0.0.1 6379 10.0.0.2 6380');
  assert.equal(switchMasterMessage('m', null, b), 'm ? 0 10.0.0.2 6380');
  assert.equal(replicaMessage(b, 'm', a), 'slave 10.0.0.2:6380 10.0.0.2 6380 @ m 10.0.0.1 6379');
  assert.equal(selectedReplicaMessage(b, 'm'), 'slave 10.0.0.2:6380 10.0.0.2 6380 @ m');
  assert.equal(masterMessage('m'), 'master m');
  const topo = topologyWithMaster();
  assert.equal(
    engineEventMessage('+odown', 'm', { observers: ['n1', 'n2'] }, topo),
    'master m h-r1 6379 #quorum 2',
  );
  assert.equal(
    engineEventMessage('+slave-reconf-sent', 'm', { host: 'h-r2', port: 6379 }, topo),
    'slave h-r2:6379 h-r2 6379 @ m h-r1 6379',
  );
});
