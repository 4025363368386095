// Failover after crashes (docs/design.md 4.4, 4.5, 7), with real redis-server and raftinel processes:
// (a) SIGKILL of the master under a writer, (f) a master that restarts empty inside downAfterMs,
// (j) the master's Redis and the Raft leader killed at the same instant (a whole pod lost).
// Deadlines are hang guards (ten times the expected time or more); figures go to t.diagnostic.
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { ELECTION_MS, FailoverRig, replicaOf } from '../helpers/failover-rig.js';
import type { LogEvent, RaftinelProcess } from '../helpers/raftinel-process.js';
import { redisGetNumber, redisInfo, replicaOffset } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { duplicateAcks, IncrWriter } from '../helpers/redis-writer.js';
import { sleep, waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 500;
const KEY = 'counter';

after(async () => {
  await stopAllRedis();
});

/** Where the time of a failover after the loss of the leader goes, from the nodes' logs. */
function stepsAfter(
  killedWall: number,
  newLeader: RaftinelProcess,
  survivors: readonly RaftinelProcess[],
): string {
  const ms = (e: LogEvent | undefined): string =>
    typeof e?.time === 'string' ? `${Date.parse(e.time) - killedWall} ms` : '?';
  const after = (e: LogEvent): boolean => typeof e.time === 'string' && Date.parse(e.time) >= killedWall;
  const sdown = survivors.map((n) => {
    const e = n.events().find((x) => after(x) && x.node === 'r1' && x.sdown === true);
    return `${n.id} sees r1 down at ${ms(e)}`;
  });
  const leads = newLeader.events().find((e) => after(e) && e.event === '+elected-leader');
  const odown = newLeader.events().find((e) => after(e) && e.event === '+odown');
  return `${sdown.join(', ')}; ${newLeader.id} leads at ${ms(leads)}, +odown at ${ms(odown)}`;
}

/** A started rig and a writer of INCRs to its master, `acks` of them acknowledged; both go after the test. */
async function rigUnderWrites(
  t: TestContext,
  acks: number,
): Promise<{ rig: FailoverRig; writer: IncrWriter }> {
  const rig = await FailoverRig.create();
  t.after(() => rig.destroy());
  await rig.start();
  const writer = new IncrWriter({ key: KEY, target: () => rig.masterAddress() }).start();
  t.after(() => writer.stop());
  await writer.waitAcks(acks);
  return { rig, writer };
}

test(
  '(a) SIGKILL of the master under a writer: the least-lagged replica wins, nothing acknowledged is lost, the old master returns as a replica',
  { timeout: 90_000 },
  async (t) => {
    const { rig, writer } = await rigUnderWrites(t, 200);
    const [r1, r2, r3] = rig.shard().nodes;

    const before = { r2: await replicaOffset(r2.realPort), r3: await replicaOffset(r3.realPort) };
    const killedAt = performance.now();
    await r1.kill();
    // The master is gone, so the replicas' processed offsets are final: the offsets at the kill.
    const atKill = { r2: await replicaOffset(r2.realPort), r3: await replicaOffset(r3.realPort) };
    const lastAckBeforeKill = writer.maxAcked;

    const v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 1 && x.state === 'ok',
      'failover to epoch 1 ended',
      10_000 + 10 * DOWN_AFTER_MS,
    );
    const endedMs = performance.now() - killedAt;
    const promoted = rig.redis(v.master?.id ?? '?');
    const other = promoted === r2 ? r3 : r2;
    assert.ok(promoted === r2 || promoted === r3, `a replica was promoted: ${JSON.stringify(v)}`);
    const promotedOffset = atKill[promoted.id as 'r2' | 'r3'];
    const otherOffset = atKill[other.id as 'r2' | 'r3'];
    assert.ok(
      promotedOffset >= otherOffset,
      `promoted ${promoted.id} at offset ${promotedOffset} >= ${other.id} at ${otherOffset}`,
    );

    // The writer follows discovery to the new master.
    await writer.waitAcks(100, 10_000);
    const firstAckOnNew = writer.acks.find((a) => a.by === promoted.address && a.at > killedAt);
    await writer.stop();

    // The other replica is repointed to the new master.
    await waitFor(
      'the other replica follows the new master',
      async () => (replicaOf(await other.role(), promoted) ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    const finalValue = await redisGetNumber(promoted.realPort, KEY);
    const lost = Math.max(0, writer.maxAcked - (finalValue ?? 0));
    const duplicates = duplicateAcks(writer.acks);
    const entry = (await rig.history()).find((e) => e.epoch === 1);
    t.diagnostic(
      `offsets before kill r2=${before.r2} r3=${before.r3}; at kill r2=${atKill.r2} r3=${atKill.r3}; promoted ${promoted.id}`,
    );
    t.diagnostic(
      `failover ended ${Math.round(endedMs)} ms after the kill; writes resumed ${firstAckOnNew ? Math.round(firstAckOnNew.at - killedAt) : '?'} ms after it`,
    );
    t.diagnostic(`history timeline (ms from detection): ${JSON.stringify(entry?.timeline)}`);
    t.diagnostic(
      `writer: ${writer.acks.length} acks, ${writer.errors} errors; last ack before kill ${lastAckBeforeKill}; final ${finalValue}; lost ${lost}; duplicate acks ${duplicates}`,
    );
    assert.equal(lost, 0, 'no acknowledged write lost');
    assert.equal(duplicates, 0, 'no value acknowledged twice');
    assert.equal(entry?.result, 'ended');
    assert.equal(entry?.from, 'r1');
    assert.equal(entry?.to, promoted.id);

    // The old master comes back empty (no persistence): it must become a replica of the new master.
    const restartAt = performance.now();
    await r1.restartEmpty();
    await waitFor(
      'the restarted old master replicates from the new master',
      async () => (replicaOf(await r1.role(), promoted) ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    t.diagnostic(
      `restarted r1 became a replica of ${promoted.id} in ${Math.round(performance.now() - restartAt)} ms`,
    );
    await waitFor(
      'r1 has the data',
      async () => ((await redisGetNumber(r1.realPort, KEY)) === finalValue ? true : undefined),
      { timeoutMs: 10_000 },
    );
    const after = await rig.view();
    assert.equal(after.epoch, 1, 'no further failover');
    assert.equal(after.master?.id, promoted.id);
  },
);

test(
  '(f) the master restarts empty inside downAfterMs: failed over at once to a replica that kept the history, never followed (or kept when every replica resynced)',
  { timeout: 90_000 },
  async (t) => {
    const { rig, writer } = await rigUnderWrites(t, 200);
    const [r1, r2, r3] = rig.shard().nodes;
    const offsetsBefore = { r2: await replicaOffset(r2.realPort), r3: await replicaOffset(r3.realPort) };

    const killedAt = performance.now();
    await r1.kill();
    await r1.restartEmpty();
    const restartedAt = performance.now();
    const restartedWall = Date.now();
    // Redis replicas reconnect by themselves within about a second (replicationCron), so either
    // replica may full-sync from the empty r1 before the failover reaches it: its attempt is then
    // aborted (no cooldown) and the next candidate tried. The outcome: a failover that ended,
    // or, when both replicas resynced, r1 kept as master (docs/design.md 4.5).
    const outcome = await waitFor(
      'the failover away from the empty master settled',
      async () => {
        const v = await rig.view();
        if (v.state === 'failover' || v.epoch < 1) return undefined;
        const entries = await rig.history();
        const last = entries.at(-1);
        if (last?.epoch !== v.epoch) return undefined;
        const ended = last.result === 'ended' && v.master?.id === last.to;
        const kept = last.from === 'r1' && last.to === 'r1' && v.master?.id === 'r1';
        return ended || kept ? { v, entries, entry: last, kept } : undefined;
      },
      { timeoutMs: 10_000 + 10 * DOWN_AFTER_MS },
    );
    const settledMs = performance.now() - restartedAt;
    const { v, entries, entry, kept } = outcome;
    const promoted = rig.redis(v.master?.id ?? '?');
    const resynced = [...new Set(entries.flatMap((e) => e.resynced ?? []))].sort();
    const abortedAttempts = entries.filter((e) => e.result === 'aborted' && e.from !== e.to);
    await writer.waitAcks(50, 10_000);
    await writer.stop();

    const followers = rig.shard().nodes.filter((n) => n !== promoted);
    await waitFor(
      `every other node replicates from ${promoted.id}`,
      async () => {
        const roles = await rig.roles();
        return followers.every((n) => replicaOf(roles.get(n.id), promoted)) ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    // Full syncs the empty r1 served: replicas that copied its empty data set (and, when it is
    // kept, those that follow it again afterwards).
    const syncFullFromEmpty = Number((await redisInfo(r1.realPort, 'stats')).get('sync_full'));
    const finalValue = (await redisGetNumber(promoted.realPort, KEY)) ?? 0;
    const ackedByEmpty = writer.ackedBy(r1.address, restartedAt);
    const lostAcked = writer.acks.filter((a) => a.value > finalValue).length;
    const duplicates = duplicateAcks(writer.acks);
    t.diagnostic(
      `kill+restart took ${Math.round(restartedAt - killedAt)} ms; settled ${Math.round(settledMs)} ms after the restart (downAfterMs ${DOWN_AFTER_MS}): ` +
        `${kept ? 'r1 kept' : `${promoted.id} promoted`} at epoch ${v.epoch}`,
    );
    t.diagnostic(
      `resynced from the empty master: ${resynced.join(', ') || 'none'}; attempts aborted for it: ` +
        `${abortedAttempts.map((e) => `${e.to} (${/before REPLICAOF/.test(e.reason ?? '') ? 'before' : 'after'} REPLICAOF NO ONE)`).join(', ') || 'none'}; ` +
        `full syncs served by the empty master: ${syncFullFromEmpty}`,
    );
    t.diagnostic(
      `history: ${entries.map((e) => `epoch ${e.epoch} ${e.result} ${e.from}->${e.to}${e.reason ? ` (${e.reason})` : ''}`).join('; ')}`,
    );
    t.diagnostic(`timeline of epoch ${entry.epoch}: ${JSON.stringify(entry.timeline)}`);
    t.diagnostic(`candidate report: ${JSON.stringify(entry.report)}`);
    t.diagnostic(
      `offsets before the kill r2=${offsetsBefore.r2} r3=${offsetsBefore.r3}; writer: ${writer.acks.length} acks, acked by the empty master ${ackedByEmpty.length}, ` +
        `acks above the final value ${lostAcked}, duplicate acks ${duplicates}; final ${finalValue}`,
    );
    // The node answered all along (no SDOWN): the failover came from the empty-restart rule.
    const odownEvents = rig.nodes.flatMap((n) => n.events()).filter((e) => e.event === '+odown');
    const odown = odownEvents.map((e) => String(e.reason));
    t.diagnostic(
      `+odown (${odown.join(', ')}) logged ${odownEvents.map((e) => Date.parse(String(e.time)) - restartedWall).join(', ')} ms after the restart was ready`,
    );
    assert.deepEqual(odown, ['master restarted empty'], 'detected as an empty restart');
    // Each aborted attempt was a replica found resynced, and no replica that resynced was promoted.
    assert.ok(
      abortedAttempts.every((e) => (e.resynced ?? []).includes(e.to)),
      JSON.stringify(abortedAttempts),
    );
    assert.ok(!resynced.includes(promoted.id) || kept, `${promoted.id} resynced from the empty master`);
    const after = await rig.view();
    assert.equal(after.epoch, entry.epoch, 'nothing after the outcome');
    assert.equal(after.master?.id, promoted.id);
    // Invariant 4 (docs/design.md 7): the candidate shares the failed master's history, so it holds the
    // 200+ writes acknowledged before the crash, whenever a replica kept that history. When both
    // had resynced from the empty master (rare), nothing holds them: r1 stays master, and the
    // history entry and the shard say why.
    await t.test('invariant 4: the promoted replica kept the data acknowledged before the crash', () => {
      if (!kept) {
        assert.equal(entry.result, 'ended');
        assert.equal(entry.from, 'r1');
        assert.ok(
          promoted === r2 || promoted === r3,
          `a former replica is the new master: ${JSON.stringify(v)}`,
        );
        assert.ok(
          finalValue >= 200,
          `the new master's counter ${finalValue} >= 200 (acknowledged before the crash); full syncs served by the empty master: ${syncFullFromEmpty}`,
        );
        return;
      }
      t.diagnostic('documented outcome: every replica had resynced from the empty master; r1 kept');
      assert.deepEqual(resynced, ['r2', 'r3']);
      assert.ok(
        syncFullFromEmpty >= 2,
        `both replicas copied the empty master: sync_full ${syncFullFromEmpty}`,
      );
      assert.equal(entry.result, 'aborted');
      assert.match(entry.reason ?? '', /^no replica keeps the replication history: /);
      assert.match(after.problem ?? '', /no replica keeps the replication history/);
    });
  },
);

test(
  '(j) the master and the Raft leader killed at the same instant: the failover completes',
  { timeout: 90_000 },
  async (t) => {
    const { rig, writer } = await rigUnderWrites(t, 100);
    const leader = await rig.leader();
    const [r1] = rig.shard().nodes;

    const killedAt = performance.now();
    const killedWall = Date.now();
    r1.server.kill();
    leader.signal('SIGKILL');
    await Promise.all([r1.server.exited, leader.waitExit()]);
    const guard = 10 * (DOWN_AFTER_MS + ELECTION_MS);
    const v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 1 && x.state === 'ok',
      'the failover ended',
      guard,
    );
    const endedMs = performance.now() - killedAt;
    const newLeader = await rig.leader();
    const entry = await rig.waitHistory('mymaster', 1, 5000);
    await writer.waitAcks(50, 10_000);
    await writer.stop();
    const promoted = rig.redis(v.master?.id ?? '?');
    const finalValue = (await redisGetNumber(promoted.realPort, KEY)) ?? 0;
    t.diagnostic(
      `killed r1 and leader ${leader.id}; new leader ${newLeader.id}; failover to ${promoted.id} ended ${Math.round(endedMs)} ms after the kill (guard ${guard} ms)`,
    );
    t.diagnostic(`history timeline (ms from detection): ${JSON.stringify(entry.timeline)}`);
    // The failover itself, on the new leader's clock (this host's): the view above shows it
    // later, as its first GET may go to a follower whose read waits on the dead leader until the
    // HTTP timeout.
    const failoverEndedMs = entry.at + (entry.timeline.ended ?? 0) - killedWall;
    t.diagnostic(
      `failover ended ${failoverEndedMs} ms after the kill (history entry); after the kill: ` +
        stepsAfter(
          killedWall,
          newLeader,
          rig.nodes.filter((n) => n !== leader),
        ),
    );
    t.diagnostic(
      `writer: ${writer.acks.length} acks, lost ${Math.max(0, writer.maxAcked - finalValue)}, duplicate acks ${duplicateAcks(writer.acks)}`,
    );
    assert.notEqual(newLeader.id, leader.id);
    assert.equal(entry.result, 'ended');
    assert.notEqual(promoted.id, 'r1');
    assert.equal(writer.maxAcked - finalValue <= 0, true, 'no acknowledged write lost');
    await sleep(0);
  },
);
