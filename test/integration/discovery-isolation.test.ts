// Truthful answers (docs/design.md 5.1, 5.2): a raftinel node cut off from its peers must not vouch for
// a master it can no longer confirm. Real redis-server and raftinel processes, each node's raft
// listener behind a fault proxy: isolating a node blackholes both directions of its raft links.
// While isolated, its RESP port answers GET-MASTER-ADDR-BY-NAME with Sentinel's -IDONTKNOW error
// (clients ask the next node), HTTP /v1/shards/{name} answers 503, and `?stale=ok` answers its
// applied view with `"stale": true`. The majority meanwhile fails the master over; after the heal
// the node answers the new master on both ports.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ELECTION_MS, FailoverRig, type ShardView } from '../helpers/failover-rig.js';
import type { RaftinelProcess } from '../helpers/raftinel-process.js';
import { redisQuery, RespError, type RespValue } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 500;
/** Hang guard for every "comes to" wait: ten election timeouts. */
const GUARD_MS = 10 * ELECTION_MS;

after(async () => {
  await stopAllRedis();
});

function sentinelPort(node: RaftinelProcess): number {
  return Number(node.options.node.sentinel.split(':')[1]);
}

function getMasterAddr(node: RaftinelProcess): Promise<RespValue> {
  return redisQuery(sentinelPort(node), ['SENTINEL', 'get-master-addr-by-name', 'mymaster'], {
    timeoutMs: 1000,
  });
}

/** Blackholes every raft link of `node`, both directions. */
function isolate(rig: FailoverRig, node: RaftinelProcess): void {
  const source = rig.sourceOf(node);
  for (const [id, p] of rig.raftProxies) {
    if (id === node.id) p.cut('blackhole');
    else p.cut('blackhole', [source]);
  }
}

function healAll(rig: FailoverRig): void {
  for (const p of rig.raftProxies.values()) p.heal();
}

function describe(v: RespValue): string {
  return v instanceof RespError ? `-${v.message}` : JSON.stringify(v);
}

/** The isolated node's three answers, each waited for within the guard; returns when they took. */
async function expectUntruthfulnessRefused(
  node: RaftinelProcess,
  expectedMaster: { host: string; port: number },
): Promise<{ respMs: number; httpMs: number }> {
  const t0 = performance.now();
  const resp = await waitFor(
    `${node.id} RESP answers -IDONTKNOW`,
    async () => {
      const r = await getMasterAddr(node);
      return r instanceof RespError ? r : undefined;
    },
    { timeoutMs: GUARD_MS, intervalMs: 20 },
  );
  const respMs = performance.now() - t0;
  assert.match(resp.message, /^IDONTKNOW /, describe(resp));
  // Each request may take the rest of the guard: a reply held back counts against the node.
  const http = await waitFor(
    `${node.id} HTTP /v1/shards/mymaster answers 503`,
    async () => {
      const left = Math.max(1, Math.round(GUARD_MS - (performance.now() - t0)));
      const r = await node.get<{ error?: { code: string; message: string } }>('/v1/shards/mymaster', left);
      return r.status === 503 ? r : undefined;
    },
    { timeoutMs: GUARD_MS, intervalMs: 20 },
  );
  const httpMs = performance.now() - t0;
  assert.ok(
    httpMs <= GUARD_MS,
    `${node.id}: the 503 came ${Math.round(httpMs)} ms after the cut (guard ${GUARD_MS} ms)`,
  );
  assert.equal(http.body.error?.code, 'no_quorum', JSON.stringify(http.body));
  const stale = await node.get<ShardView & { stale?: boolean }>('/v1/shards/mymaster?stale=ok');
  assert.equal(stale.status, 200, JSON.stringify(stale.body));
  assert.equal(stale.body.stale, true, JSON.stringify(stale.body));
  assert.equal(stale.body.name, 'mymaster');
  assert.equal(
    `${stale.body.master?.host}:${stale.body.master?.port}`,
    `${expectedMaster.host}:${expectedMaster.port}`,
    'the stale view is its applied view',
  );
  // The master route too (no majority: 503), and HEAD-free GETs keep answering promptly.
  const master = await node.get<{ error?: { code: string } }>('/v1/shards/mymaster/master', 3000);
  assert.equal(master.status, 503, JSON.stringify(master.body));
  return { respMs, httpMs };
}

/** After the heal: both ports name `master` again (the current one, through the majority). */
async function expectTruthAgain(
  node: RaftinelProcess,
  master: { host: string; port: number },
): Promise<number> {
  const t0 = performance.now();
  await waitFor(
    `${node.id} RESP names ${master.host}:${master.port}`,
    async () => {
      const r = await getMasterAddr(node);
      return Array.isArray(r) && r[0] === master.host && r[1] === String(master.port) ? true : undefined;
    },
    { timeoutMs: GUARD_MS, intervalMs: 20 },
  );
  const ms = performance.now() - t0;
  const v = await node.get<ShardView & { stale?: boolean }>('/v1/shards/mymaster', 3000);
  assert.equal(v.status, 200, JSON.stringify(v.body));
  assert.equal(v.body.master?.port, master.port);
  const s = await node.get<ShardView & { stale?: boolean }>('/v1/shards/mymaster?stale=ok');
  assert.equal(s.status, 200);
  assert.equal(s.body.stale, undefined, 'a node with a fresh leader does not mark its view stale');
  return ms;
}

test(
  'an isolated node refuses to vouch for the master, and answers the current one after the heal',
  { timeout: 120_000 },
  async (t) => {
    const rig = await FailoverRig.create({ raftProxied: true });
    t.after(() => rig.destroy());
    await rig.start();
    const [r1, r2, r3] = rig.shard().nodes;
    const first = { host: r1.host, port: r1.port };

    // Every node vouches for r1 before anything happens.
    for (const n of rig.nodes) {
      const r = await getMasterAddr(n);
      assert.deepEqual(r, [r1.host, String(r1.port)], `${n.id}: ${describe(r)}`);
    }
    // Unknown names get Sentinel's null, names of Object.prototype's properties included.
    for (const name of ['nope', 'constructor', '__proto__', 'hasOwnProperty']) {
      const r = await redisQuery(sentinelPort(rig.nodes[0]), ['SENTINEL', 'get-master-addr-by-name', name], {
        timeoutMs: 1000,
      });
      assert.equal(r, null, `${name}: ${describe(r)}`);
    }

    await t.test('a follower cut off; the majority fails the master over meanwhile', async () => {
      const leader = await rig.leader();
      const follower = rig.cluster.others(leader)[0];
      isolate(rig, follower);
      const took = await expectUntruthfulnessRefused(follower, first);
      // The majority still answers, and fails the killed master over without the isolated node.
      const others = rig.cluster.others(follower);
      for (const n of others) assert.deepEqual(await getMasterAddr(n), [r1.host, String(r1.port)]);
      await r1.kill();
      const v = await waitFor(
        'the majority commits a new master',
        async () => {
          const r = await others[0].get<ShardView>('/v1/shards/mymaster', 3000);
          return r.status === 200 &&
            r.body.epoch >= 1 &&
            r.body.master &&
            r.body.master.id !== 'r1' &&
            (r.body.state === 'ok' || r.body.state === 'cooldown')
            ? r.body
            : undefined;
        },
        { timeoutMs: 20 * DOWN_AFTER_MS + 10 * ELECTION_MS, intervalMs: 20 },
      );
      const now = v.master as { host: string; port: number; id: string };
      // Still isolated: still the error, and its stale view still names the old master.
      assert.ok((await getMasterAddr(follower)) instanceof RespError);
      const stale = await follower.get<ShardView & { stale?: boolean }>('/v1/shards/mymaster?stale=ok');
      assert.equal(stale.body.stale, true);
      assert.equal(stale.body.master?.id, 'r1', 'the isolated node never learnt of the failover');
      healAll(rig);
      const healMs = await expectTruthAgain(follower, now);
      t.diagnostic(
        `${follower.id} isolated: -IDONTKNOW after ${Math.round(took.respMs)} ms, HTTP 503 after ${Math.round(took.httpMs)} ms (guard ${GUARD_MS} ms); failover to ${now.id} (epoch ${v.epoch}) by ${others.map((n) => n.id).join(',')}; after the heal it named ${now.id} within ${Math.round(healMs)} ms`,
      );
      assert.ok([r2.id, r3.id].includes(now.id));
    });

    await t.test(
      'the leader cut off: it steps down, answers the error, and follows the new leader after the heal',
      async () => {
        const leader = await rig.leader();
        const before = (await rig.view()).master as { host: string; port: number; id: string };
        const others = rig.cluster.others(leader);
        const cutAt = performance.now();
        isolate(rig, leader);
        // Watched together: when the majority has a new leader, and when the old one stops vouching.
        // Once the others agree on a new leader, the old one must not name a master any more (its
        // lease is over before any voter grants a vote).
        const [took, next] = await Promise.all([
          expectUntruthfulnessRefused(leader, before),
          rig.cluster.waitLeader({ among: others, timeoutMs: GUARD_MS }).then(async (l) => {
            const ms = performance.now() - cutAt;
            const answer = await getMasterAddr(leader);
            return { ...l, ms, answer };
          }),
        ]);
        assert.ok(
          next.answer instanceof RespError,
          `${leader.id} still named ${describe(next.answer)} after ${next.leader.id} was elected (${Math.round(next.ms)} ms after the cut)`,
        );
        // The new leader vouches once a heartbeat round under it has been acknowledged (its lease).
        const vouchedAt = performance.now();
        for (const n of others) {
          await waitFor(
            `${n.id} names ${before.id}`,
            async () => {
              const r = await getMasterAddr(n);
              return Array.isArray(r) && r[1] === String(before.port) ? true : undefined;
            },
            { timeoutMs: GUARD_MS, intervalMs: 10 },
          );
        }
        const vouchMs = performance.now() - vouchedAt;
        healAll(rig);
        const healMs = await expectTruthAgain(leader, before);
        t.diagnostic(
          `leader ${leader.id} isolated: -IDONTKNOW after ${Math.round(took.respMs)} ms, HTTP 503 after ${Math.round(took.httpMs)} ms (guard ${GUARD_MS} ms); ${next.leader.id} led term ${next.term} ${Math.round(next.ms)} ms after the cut (the majority vouched again ${Math.round(vouchMs)} ms later); after the heal ${leader.id} named ${before.id} within ${Math.round(healMs)} ms`,
        );
      },
    );
  },
);
