// Leadership moves to a node that reaches the candidate (docs/design.md 4.4): the best replica
// is cut from the Raft leader only (its probes and commands dropped at r3's fault proxy), the
// master is SIGKILLed. The other raftinel nodes reach r3, so r3 stays the chosen candidate; the
// leader, unable to promote it, hands leadership to one of them, which promotes r3, rather than
// giving r3 up for r2 (the replica raftinel prefers less).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';
import { stopAllRedis } from '../helpers/redis-server.js';

const DOWN_AFTER_MS = 1000;

after(async () => {
  await stopAllRedis();
});

test(
  'a candidate only the leader cannot reach is promoted by the node leadership moves to',
  { timeout: 120_000 },
  async (t) => {
    const rig = await FailoverRig.create({
      proxied: true,
      defaults: { downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 20_000 },
      // r3 is preferred (lower priority wins, as Sentinel's replica-priority).
      nodeExtras: (_s, id) => (id === 'r3' ? { priority: 50 } : {}),
    });
    t.after(() => rig.destroy());
    await rig.start();
    const leader = await rig.leader();
    const r3 = rig.redis('r3');
    r3.proxy?.cut('drop', [rig.sourceOf(leader)]);
    try {
      await rig.redis('r1').kill();
      const v = await rig.waitFailoverFrom('r1', 40_000);
      const transfers = leader.events(0).filter((e) => e.event === 'leadership-transfer');
      t.diagnostic(
        `old leader ${leader.id}; promoted ${v.master?.id} at epoch ${v.epoch}; transfers asked: ${transfers.map((e) => String(e.to)).join(', ')}`,
      );
      assert.equal(v.master?.id, 'r3', `the preferred replica r3 is promoted\n${await rig.dump()}`);
      assert.ok(transfers.length >= 1, `the old leader handed leadership over\n${leader.tail(40)}`);
      const now = await rig.leader();
      assert.notEqual(now.id, leader.id, 'another node leads now');
    } finally {
      r3.proxy?.heal();
    }
  },
);
