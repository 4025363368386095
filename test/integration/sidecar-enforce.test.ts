// The sidecar enforces the committed log on its own Redis (docs/design.md 4.6), with real
// redis-server and `raftinel node` processes in sidecar mode (n<i> next to r<i>):
// - stray master: the leader and the other follower lose r1 (the fault proxy drops their
//   connections; r1's sidecar n1 and the replication links still reach it), so the majority fails
//   over; r1's own sidecar demotes it, where before it stayed a writable master as long as the
//   fault lasted (only the leader demoted a stray master);
// - the fence outlives its sidecar and a restart of Redis: n1 loses its Raft majority (n2 and n3
//   SIGSTOPped) and fences r1; n1 is SIGKILLed: r1 still refuses writes after 3 x fenceAfterMs
//   (a CLIENT PAUSE would have run out); r1 is killed and restarted from its config file: it
//   comes back refusing writes with no sidecar running; n1 restarted and the others resumed, the
//   fence is lifted only once the log is confirmed (a ReadIndex round), r1 then taking writes if
//   it is the committed master, and refusing them as a replica otherwise.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig, replicaOf, type RigRedis, type ShardView } from '../helpers/failover-rig.js';
import { redisQuery, RespError } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 1000;
/** The derived default (0.8 x downAfterMs). */
const FENCE_AFTER_MS = 800;

after(async () => {
  await stopAllRedis();
});

/** A write straight to the Redis port: 'OK', or the error reply's text. */
async function write(port: number): Promise<string> {
  const reply = await redisQuery(port, ['SET', 'fence-probe', String(Date.now())], { timeoutMs: 2000 });
  return reply instanceof RespError ? reply.message : String(reply);
}

/**
 * The shard with no failover in flight and r1 in the role the log gives it, unchanged across
 * two reads 2 x downAfterMs apart (a failover started meanwhile shows as a new epoch).
 */
async function settledView(rig: FailoverRig, r1: RigRedis): Promise<ShardView> {
  const agreed = async (): Promise<ShardView | undefined> => {
    const v = await rig.view();
    if (v.master === null || !(v.state === 'ok' || v.state === 'cooldown') || v.paused) return undefined;
    const role = await r1.role().catch(() => undefined);
    const master = rig.redis(v.master.id);
    const fits =
      v.master.id === 'r1' ? typeof role === 'object' && role.role === 'master' : replicaOf(role, master);
    return fits ? v : undefined;
  };
  return waitFor(
    'a settled shard whose log and r1 agree',
    async () => {
      const first = await agreed();
      if (!first) return undefined;
      await sleep(2 * DOWN_AFTER_MS);
      const second = await agreed();
      return second?.epoch === first.epoch ? second : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  ).catch(async (err: unknown) => assert.fail(`${String(err)}\n${await rig.dump()}`));
}

test(
  'stray master: the majority cannot reach r1 but its sidecar can; after the failover the sidecar demotes r1',
  { timeout: 120_000 },
  async (t) => {
    const rig = await FailoverRig.create({
      proxied: true,
      sidecars: {},
      defaults: { downAfterMs: DOWN_AFTER_MS },
    });
    t.after(() => rig.destroy());
    await rig.start();
    const n1 = rig.cluster.node('n1');
    if ((await rig.leader()) === n1) {
      // The leader reaching r1 would demote it itself (docs/design.md 4.5): hand leadership over.
      n1.signal('SIGTERM');
      await n1.waitExit();
      n1.start();
      await n1.waitReady();
    }
    const leader = await rig.leader();
    assert.notEqual(leader.id, 'n1');
    const r1 = rig.redis('r1');
    await waitFor(
      'n1 sees r1 its primary',
      async () => ((await n1.get('/primary')).status === 200 ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    const from = n1.lines.length;
    const others = rig.nodes.filter((n) => n !== n1);
    r1.proxy?.cut(
      'drop',
      others.map((n) => rig.sourceOf(n)),
    );
    try {
      const cutAt = performance.now();
      const v = await rig.waitView(
        'mymaster',
        (x) => x.epoch >= 1 && x.master !== null && x.master.id !== 'r1',
        'failover away from r1',
        20_000,
      );
      const publishedAt = performance.now();
      const master = rig.redis(v.master?.id ?? '?');
      const demotedAt = await waitFor(
        'r1 a replica of the new master',
        async () => (replicaOf(await r1.role(), master) ? performance.now() : undefined),
        { timeoutMs: 15_000, intervalMs: 20 },
      ).catch(async (err: unknown) => assert.fail(`${String(err)}\n${await rig.dump()}`));
      const demotions = await n1.waitForEvents(
        "n1's sidecar logs the demotion of r1",
        from,
        (e) => e.event === '+convert-to-slave' && e.component === 'sidecar' && e.node === 'r1',
      );
      assert.equal(demotions.length, 1, `n1's sidecar demoted r1\n${n1.tail(40)}`);
      assert.equal(demotions[0].msg, 'local Redis is a master the log does not name: demoted');
      assert.match(await write(r1.realPort), /^READONLY/);
      t.diagnostic(
        `leader ${leader.id}; failover to ${master.id} published ${Math.round(publishedAt - cutAt)} ms after the cut; r1 demoted by its sidecar ${Math.round(demotedAt - publishedAt)} ms after the publication`,
      );
    } finally {
      r1.proxy?.heal();
    }
  },
);

test(
  'the fence outlives a SIGKILLed sidecar and a restart of Redis; it is lifted only once the log is confirmed',
  { timeout: 120_000 },
  async (t) => {
    const confDir = makeTempDir('raftinel-redis-conf-');
    const rig = await FailoverRig.create({
      sidecars: {},
      defaults: { downAfterMs: DOWN_AFTER_MS },
      redisConfigDir: confDir,
    });
    t.after(async () => {
      await rig.destroy();
      removeDir(confDir);
    });
    await rig.start();
    const [n1, n2, n3] = ['n1', 'n2', 'n3'].map((id) => rig.cluster.node(id));
    const r1 = rig.redis('r1');
    assert.equal(await write(r1.realPort), 'OK');
    const from = n1.lines.length;
    n2.signal('SIGSTOP');
    n3.signal('SIGSTOP');
    try {
      const stoppedAt = performance.now();
      await n1.waitForLog('+fence', (e) => e.event === '+fence', 10 * FENCE_AFTER_MS);
      const fencedMs = Math.round(performance.now() - stoppedAt);
      assert.match(await write(r1.realPort), /^NOREPLICAS/);
      await n1.kill();
      await sleep(3 * FENCE_AFTER_MS);
      assert.match(await write(r1.realPort), /^NOREPLICAS/, 'the fence outlived its sidecar');
      await r1.kill();
      await r1.restartEmpty();
      assert.match(await write(r1.realPort), /^NOREPLICAS/, 'the restarted Redis came back fenced');
      n1.start();
      n2.signal('SIGCONT');
      n3.signal('SIGCONT');
      const lifted = await n1
        .waitForLog('-fence', (e) => e.event === '-fence', 30_000)
        .catch(async (err: unknown) => assert.fail(`${String(err)}\n${await rig.dump()}`));
      // r1 came back empty, so the leader may fail over once n2 and n3 run again; its demotion
      // of r1 kills client connections. The write is judged on a settled shard, whatever it is.
      const v = await settledView(rig, r1);
      const reply = await write(r1.realPort);
      if (v.master?.id === 'r1') assert.equal(reply, 'OK');
      else assert.match(reply, /^READONLY/);
      t.diagnostic(
        `+fence ${fencedMs} ms after n2 and n3 stopped (fenceAfterMs ${FENCE_AFTER_MS}); writes refused after the sidecar's SIGKILL and after r1's restart; -fence by n1 for master ${String(lifted.master)}; the committed master is ${v.master?.id} (epoch ${v.epoch}); a write to r1 now: ${reply}; n1 logged ${n1.events(from).filter((e) => e.event === '+fence').length} +fence`,
      );
    } finally {
      n2.signal('SIGCONT');
      n3.signal('SIGCONT');
    }
  },
);
