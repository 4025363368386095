import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  masterDetails,
  odownMessage,
  replicaMessage,
  SENTINEL_EVENTS,
  sentinelDetails,
  switchMasterMessage,
} from '../../../src/discovery/resp/index.js';

const m = { host: '127.0.0.1', port: 16379 };
const r = { host: '127.0.0.1', port: 16380 };

test("the event names are docs/design.md 5.1's list, each once", () => {
  assert.equal(new Set(SENTINEL_EVENTS).size, SENTINEL_EVENTS.length);
  assert.equal(SENTINEL_EVENTS.length, 19);
  for (const name of SENTINEL_EVENTS) assert.match(name, /^[+-][a-z-]+$/);
});

test("messages in Sentinel's formats (as captured from redis-sentinel 7.0)", () => {
  assert.equal(masterDetails('mymaster', m), 'master mymaster 127.0.0.1 16379');
  assert.equal(
    replicaMessage(r, 'mymaster', m),
    'slave 127.0.0.1:16380 127.0.0.1 16380 @ mymaster 127.0.0.1 16379',
  );
  assert.equal(
    sentinelDetails('c'.repeat(40), { host: '10.0.0.2', port: 26379 }, 'mymaster', m),
    `sentinel ${'c'.repeat(40)} 10.0.0.2 26379 @ mymaster 127.0.0.1 16379`,
  );
  assert.equal(odownMessage('mymaster', m, 2, 2), 'master mymaster 127.0.0.1 16379 #quorum 2/2');
  assert.equal(switchMasterMessage('mymaster', m, r), 'mymaster 127.0.0.1 16379 127.0.0.1 16380');
});
