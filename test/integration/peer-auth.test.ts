// Peer authentication (docs/design.md 2 "Peer transport", 5.2): an outsider that reaches a
// Raft port on loopback and claims a made-up node id can neither order a forwarded admin action
// nor count towards ODOWN; with a cluster secret it cannot even finish the handshake.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';
import { postJson } from '../helpers/http.js';
import { RaftinelCluster } from '../helpers/raftinel-cluster.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { sleep, waitFor } from '../helpers/wait.js';

after(async () => {
  await stopAllRedis();
});

const DOWN_AFTER_MS = 500;

function sdownReport(node: string) {
  return {
    shard: 'mymaster',
    node,
    sdown: true,
    unsure: false,
    reachable: false,
    role: 'unknown',
    masterHost: null,
    masterPort: null,
    linkUp: null,
    linkDownMs: null,
    offset: null,
    replId: null,
    replId2: null,
    runId: null,
    restartedFrom: null,
    error: 'timeout',
    lastOkAgoMs: 5000,
    probeRttMs: null,
  };
}

test(
  'a made-up node id gets neither a forwarded failover nor a vote towards ODOWN',
  { timeout: 90_000 },
  async (t) => {
    const rig = await FailoverRig.create({ defaults: { downAfterMs: DOWN_AFTER_MS } });
    t.after(() => rig.destroy());
    await rig.start();
    const leader = await rig.leader();
    const address = leader.options.node.raft;
    const cluster = rig.cluster.name;
    const from = leader.lines.length;
    const dropped = (peer: string, kind: string) =>
      leader.waitForLog(
        `${peer}'s ${kind} dropped`,
        (e) => e.event === 'peer-frame-dropped' && e.peer === peer && e.kind === kind,
      );

    // (a) A forwarded `failover --to r2 --allow-data-loss` from an id that is no member.
    const intruder = new RawPeer({ address, cluster, listenerId: leader.id });
    t.after(() => intruder.close());
    assert.equal(
      (await intruder.hello('intruder')).kind,
      'hello-ok',
      'loopback without a secret: the handshake itself passes',
    );
    intruder.send('fwd', {
      id: 1,
      method: 'POST',
      path: '/v1/shards/mymaster/failover',
      query: '',
      body: { to: 'r2', allowDataLoss: true },
    });
    await dropped('intruder', 'fwd');

    // (b) Two made-up observers report the healthy master down, for 3 x downAfterMs.
    const fakes = ['fake1', 'fake2'].map((nodeId) => ({
      nodeId,
      peer: new RawPeer({ address, cluster, listenerId: leader.id }),
    }));
    t.after(() => fakes.forEach((f) => f.peer.close()));
    for (const f of fakes) assert.equal((await f.peer.hello(f.nodeId)).kind, 'hello-ok');
    const until = performance.now() + 3 * DOWN_AFTER_MS;
    while (performance.now() < until) {
      for (const f of fakes) f.peer.send('obs', { observations: [sdownReport('r1')] });
      await sleep(100);
    }
    await dropped('fake1', 'obs');
    const view = await rig.view();
    assert.equal(view.master?.id, 'r1', await rig.dump());
    assert.equal(view.epoch, 0);
    const events = leader.events(from);
    assert.ok(!events.some((e) => e.event === 'audit'), 'no admin request was run');
    assert.ok(!events.some((e) => e.event === '+odown'), 'no ODOWN');
  },
);

test(
  'with a cluster secret: the nodes talk, an outsider claiming a member id is refused',
  { timeout: 60_000 },
  async (t) => {
    const secret = 'a cluster secret of 32 bytes ok!';
    const c = await RaftinelCluster.create({ peerSecret: secret });
    t.after(() => c.destroy());
    await c.start();
    const { leader } = await c.waitLeader();
    assert.equal((await leader.propose('with-secret')).status, 200, 'the cluster commits');
    const victim = c.others(leader)[0];
    const target = { address: leader.options.node.raft, cluster: c.name, listenerId: leader.id };
    const outsider = new RawPeer(target);
    t.after(() => outsider.close());
    assert.equal((await outsider.hello(victim.id)).kind, 'hello-ok');
    await waitFor('the refusal', () => (outsider.isClosed ? true : undefined), { timeoutMs: 5000 });
    assert.equal(outsider.received[1]?.kind, 'hello-reject');
    await leader.waitForLog(
      'the refusal logged',
      (e) => e.event === 'peer-rejected' && e.reason === 'auth-mismatch' && e.claimed === victim.id,
    );
    const holder = new RawPeer(target);
    t.after(() => holder.close());
    await holder.hello(victim.id, { secret: Buffer.from(secret) });
    await sleep(300);
    assert.equal(holder.isClosed, false, 'a holder of the secret is accepted');
    assert.ok(!leader.lines.some((l) => l.includes(secret)), 'the secret is never logged');
  },
);

test(
  'admin settings that differ between a follower and the leader: the forwarded request is refused',
  { timeout: 60_000 },
  async (t) => {
    const c = await RaftinelCluster.create({ adminTokenOf: (i) => (i === 1 ? undefined : `token-of-n${i}`) });
    t.after(() => c.destroy());
    await c.start();
    const { leader } = await c.waitLeader();
    await Promise.all(c.nodes.map((n) => n.waitReady()));
    for (const follower of c.others(leader)) {
      const token = follower.id === 'n1' ? undefined : `token-of-${follower.id}`;
      const r = await postJson<{ error?: { code: string; message: string } }>(
        `${follower.httpUrl}/v1/shards/mymaster/pause`,
        {},
        { headers: token ? { authorization: `Bearer ${token}` } : {}, timeoutMs: 10_000 },
      );
      assert.equal(r.status, 409, `${follower.id} -> ${leader.id}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error?.code, 'admin_mismatch');
      assert.match(r.body.error?.message ?? '', /admin/);
    }
    await leader.waitForLog('the mismatch logged', (e) => e.event === 'admin-settings-mismatch');
    assert.ok(!leader.events().some((e) => e.event === 'audit'), 'nothing ran on the leader');
  },
);
