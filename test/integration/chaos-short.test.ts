// The short chaos campaign CI runs (the long ones: `npm run chaos`, test/chaos/main.ts): real
// redis-server and raftinel processes in sidecar shape, every link behind a fault proxy, three
// writers adding unique elements through the Sentinel endpoint with ioredis, and the schedule of
// seed 1, profile 'ci' (45 s of faults: the Raft leader SIGSTOPped, jittered latency and stalls on
// the raftinel-to-Redis links, a follower SIGKILLed and restarted, the leader cut from its peers,
// event-loop stalls of the leader under downAfterMs / 2, the Redis master SIGKILLed and restarted
// with its data). Asserted after healing:
// - zero acknowledged writes lost while a fault whose promise is 'none-lost' ran (every fault
//   here but the master's SIGKILL, where Redis' asynchronous replication may lose what the master
//   acknowledged last; those are counted and reported);
// - no element in the set that was never written;
// - at most one promotion per epoch, the same on every node (history and Raft logs);
// - never two writable masters for longer than downAfterMs (sampled every 100 ms);
// - every node, every RESP endpoint and the Redis topology agree on the highest epoch within 30 s.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runCampaign } from '../chaos/campaign.js';
import { markdown } from '../chaos/report.js';
import { stopAllRedis } from '../helpers/redis-server.js';

after(async () => {
  await stopAllRedis();
});

test(
  'chaos, seed 1, profile ci: no acknowledged write lost where none may be, the invariants hold',
  {
    timeout: 180_000,
  },
  async (t) => {
    const r = await runCampaign({
      seed: 1,
      faultMs: 45_000,
      profile: 'ci',
      gapMs: [2500, 4500],
      log: (line) => t.diagnostic(line),
    });
    for (const line of markdown(r).split('\n')) if (line.trim() !== '') t.diagnostic(line);
    assert.ok(r.ops.length >= 5, `the schedule ran (${r.ops.length} faults)`);
    assert.ok(r.writes.acknowledged > 1000, `writes went through (${r.writes.acknowledged} acknowledged)`);
    assert.deepEqual(r.lostUnexplained, [], 'no acknowledged write lost outside a fault that may lose it');
    assert.equal(r.writes.unexpected, 0, 'no element that was never written');
    assert.deepEqual(r.promotions.violations, [], 'one promotion per epoch');
    assert.ok(r.convergence.converged, `converged: ${r.convergence.last.join('; ')}`);
    assert.ok(
      r.maxDualMs <= r.settings.dualBoundMs,
      `two writable masters for ${Math.round(r.maxDualMs)} ms`,
    );
    assert.deepEqual(r.violations, []);
  },
);
