// Sidecar mode on loopback (docs/design.md 4.6, 5.2): three redis-server processes (r1 the master, r2
// and r3 its replicas) and three `raftinel node` processes, n<i> in sidecar mode next to r<i>.
// Every Redis address is behind a fault proxy (FailoverRig `proxied`), which is what lets these
// tests hold one replication link or some raftinel nodes' connections without touching a process.
// Asserted:
// - the Patroni-style routes answer for the sidecar's own Redis: GET/HEAD /primary 200 only on
//   the master's sidecar (else 503 not_primary), /replica 200 only on the replicas' sidecars
//   (else 503 not_replica), also for HTTP/1.0 requests without a Host header (HAProxy checks);
// - /replica?lag=N compares the lag with N: 503 while the replica lags by more than N, 200 with
//   a larger N, 200 with the small N again once it has caught up;
// - a replica's Redis that restarts empty and without REPLICAOF (so as a master) is made a
//   replica of the committed master again, with no failover (in practice the leader's
//   reconciliation, docs/design.md 4.5, gets there first); and when no other node can reach that
//   Redis, its own sidecar does it (4.6: "keep a freshly restarted local Redis as a replica of
//   the committed master").
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FailoverRig, replicaOf, type RigRedis } from '../helpers/failover-rig.js';
import { requestJson, type JsonReply } from '../helpers/http.js';
import type { LogEvent, RaftinelProcess } from '../helpers/raftinel-process.js';
import { redisQuery, redisRole } from '../helpers/redis-query.js';
import { waitFor } from '../helpers/wait.js';

/** Bytes of the one write the held replica misses: far above the small threshold below. */
const LAG_WRITE_BYTES = 64 * 1024;
const SMALL_LAG = 1024;
const LARGE_LAG = 16 * LAG_WRITE_BYTES;
/** The shipped default (docs/design.md 6a). */
const DOWN_AFTER_MS = 5000;

interface HealthBody {
  readonly role?: string;
  readonly node?: string;
  readonly shard?: string;
  readonly lagBytes?: number | null;
  readonly error?: { readonly code: string; readonly message: string };
}

function health(node: RaftinelProcess, path: string, method = 'GET'): Promise<JsonReply<HealthBody>> {
  return requestJson<HealthBody>(method, node.httpUrl + path);
}

/** An HTTP/1.0 request without a Host header, as HAProxy's `option httpchk` sends it: the status code. */
function http10Status(node: RaftinelProcess, path: string): Promise<number> {
  const [host, port] = node.options.node.http.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) });
    let data = '';
    socket.setTimeout(2000, () => socket.destroy(new Error(`no answer to HTTP/1.0 ${path}`)));
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(data);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`not an HTTP answer: ${JSON.stringify(data.slice(0, 200))}`));
    });
  });
}

describe('sidecar mode: health routes and a restarted local Redis', { timeout: 120_000 }, () => {
  let rig: FailoverRig;
  /** n<i> runs next to r<i>. */
  const sidecarOf = (redis: RigRedis): RaftinelProcess => rig.cluster.node(`n${redis.localId.slice(1)}`);
  const failWithDump = async (err: unknown): Promise<never> =>
    assert.fail(`${err instanceof Error ? err.message : String(err)}\n${await rig.dump()}`);

  before(async () => {
    rig = await FailoverRig.create({
      proxied: true,
      sidecars: {},
      // No failover is wanted here, and the proxies run in this test process: with the rig's
      // usual 500 ms, one stall of this process on a loaded machine silences every Redis node
      // at once and a real failover follows. Sidecar answers do not depend on downAfterMs.
      defaults: { downAfterMs: DOWN_AFTER_MS },
    });
    await rig.start();
  });

  after(async () => {
    await rig?.destroy();
  });

  /** Every way a load balancer asks one sidecar: GET, HEAD, and HTTP/1.0 without Host. */
  async function askSidecar(n: RaftinelProcess) {
    return {
      primary: await health(n, '/primary'),
      replica: await health(n, '/replica'),
      headPrimary: await health(n, '/primary', 'HEAD'),
      headReplica: await health(n, '/replica', 'HEAD'),
      http10Primary: await http10Status(n, '/primary'),
      http10Replica: await http10Status(n, '/replica'),
    };
  }

  test('GET and HEAD /primary and /replica answer for each sidecar’s own Redis', async () => {
    const [r1, r2, r3] = rig.shard().nodes;
    const expected: [RigRedis, number, number][] = [
      [r1, 200, 503],
      [r2, 503, 200],
      [r3, 503, 200],
    ];
    // Each sidecar answers from its own probes: wait for one round of answers in which every
    // sidecar has seen its Redis (and, on replicas, the master too: until then lagBytes is null).
    const answers = await waitFor(
      'every sidecar reports its own Redis',
      async () => {
        const all = await Promise.all(expected.map(([redis]) => askSidecar(sidecarOf(redis))));
        const settled = expected.every(
          ([, primary, replica], i) =>
            all[i].primary.status === primary &&
            all[i].replica.status === replica &&
            (replica !== 200 || typeof all[i].replica.body.lagBytes === 'number'),
        );
        return settled ? all : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    ).catch(failWithDump);

    expected.forEach(([redis, primaryStatus, replicaStatus], i) => {
      const n = sidecarOf(redis).id;
      const a = answers[i];
      if (primaryStatus === 200) {
        assert.deepEqual(a.primary.body, { role: 'primary', node: redis.id, shard: 'mymaster' });
        assert.equal(a.replica.body.error?.code, 'not_replica', JSON.stringify(a.replica.body));
      } else {
        assert.equal(a.primary.body.error?.code, 'not_primary', JSON.stringify(a.primary.body));
        assert.equal(a.replica.body.role, 'replica');
        assert.equal(a.replica.body.node, redis.id);
      }
      // HEAD: the same status, no body; HAProxy's HTTP/1.0 check without Host: the same status.
      assert.deepEqual(
        [a.headPrimary.status, a.headPrimary.body, a.headReplica.status, a.headReplica.body],
        [primaryStatus, null, replicaStatus, null],
        `${n} HEAD`,
      );
      assert.deepEqual([a.http10Primary, a.http10Replica], [primaryStatus, replicaStatus], `${n} HTTP/1.0`);
    });
  });

  test('/replica?lag=N: 503 while the replica lags by more than N, 200 with a larger N, 200 again once caught up', async (t) => {
    const r1 = rig.redis('r1');
    const r2 = rig.redis('r2');
    const n2 = sidecarOf(r2);
    const n3 = sidecarOf(rig.redis('r3'));
    // How to make a replica lag, deterministically: hold its replication link (r2's connection
    // to r1's proxy, told apart by r2's bind-source-addr) and write a known number of bytes to
    // the master. r2 keeps answering its sidecar's probes and keeps its link "connected" (Redis
    // waits repl-timeout, 60 s, before it calls a silent master gone), so the sidecar sees a
    // reachable, linked replica whose processed offset stays LAG_WRITE_BYTES or more behind the
    // master's until the link is let go. SIGSTOP of r2 would not do: a stopped replica answers
    // no probe, so the sidecar reports it unreachable (503 for any N) rather than lagging, and
    // after SIGCONT it drains the buffered stream in its first event-loop rounds, before or
    // after answering the next ROLE, so whether any lag is ever seen is up to timing.
    assert.ok(r1.proxy && r2.sourceAddress);
    r1.proxy.cut('blackhole', [r2.sourceAddress]);
    try {
      const reply = await redisQuery(r1.realPort, ['SET', 'sidecar-lag', 'x'.repeat(LAG_WRITE_BYTES)]);
      assert.equal(reply, 'OK');
      const lagging = await waitFor(
        `${n2.id} sees r2 linked and ${LAG_WRITE_BYTES} bytes behind`,
        async () => {
          const r = await health(n2, '/replica');
          return r.status === 200 && (r.body.lagBytes ?? 0) >= LAG_WRITE_BYTES ? r.body : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      ).catch(failWithDump);
      const role = await redisRole(r2.realPort);
      assert.ok(replicaOf(role, r1), `r2 still a linked replica of r1: ${JSON.stringify(role)}`);

      // Both thresholds against the same frozen lag, in one round of answers.
      const held = await waitFor(
        `${n2.id}: ?lag=${SMALL_LAG} refused and ?lag=${LARGE_LAG} accepted`,
        async () => {
          const a = {
            small: await health(n2, `/replica?lag=${SMALL_LAG}`),
            large: await health(n2, `/replica?lag=${LARGE_LAG}`),
            headSmall: (await health(n2, `/replica?lag=${SMALL_LAG}`, 'HEAD')).status,
            headLarge: (await health(n2, `/replica?lag=${LARGE_LAG}`, 'HEAD')).status,
          };
          return a.small.status === 503 && a.large.status === 200 ? a : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      ).catch(failWithDump);
      assert.equal(held.small.body.error?.code, 'not_replica');
      assert.match(held.small.body.error?.message ?? '', new RegExp(`within ${SMALL_LAG} bytes`));
      assert.ok((held.large.body.lagBytes ?? 0) >= LAG_WRITE_BYTES, JSON.stringify(held.large.body));
      assert.deepEqual([held.headSmall, held.headLarge], [503, 200], 'HEAD');
      // The other replica's link was not held: it is within the small threshold.
      await waitFor(
        `${n3.id} /replica?lag=${SMALL_LAG} 200`,
        async () => ((await health(n3, `/replica?lag=${SMALL_LAG}`)).status === 200 ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 50 },
      ).catch(failWithDump);
      t.diagnostic(
        `r2 lag seen by its sidecar while held: ${lagging.lagBytes} bytes (write of ${LAG_WRITE_BYTES})`,
      );
    } finally {
      r1.proxy.heal();
    }
    const healedAt = performance.now();
    const caughtUp = await waitFor(
      `${n2.id} /replica?lag=${SMALL_LAG} 200 after the heal`,
      async () => {
        const r = await health(n2, `/replica?lag=${SMALL_LAG}`);
        return r.status === 200 ? r.body : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    ).catch(failWithDump);
    assert.ok((caughtUp.lagBytes ?? Infinity) <= SMALL_LAG, JSON.stringify(caughtUp));
    t.diagnostic(
      `r2 back within ${SMALL_LAG} bytes (${caughtUp.lagBytes} bytes) ${Math.round(performance.now() - healedAt)} ms after the link was let go`,
    );
  });

  /** Kills a replica's redis-server by PID and starts it again on its port: empty, no REPLICAOF. */
  async function restartAsMaster(redis: RigRedis): Promise<void> {
    await redis.kill();
    await redis.restartEmpty();
  }

  /** The +convert-to-slave lines for `redis` logged by `node` since line `from`. */
  function conversions(node: RaftinelProcess, redis: RigRedis, from: number): LogEvent[] {
    return node.events(from).filter((e) => e.event === '+convert-to-slave' && e.node === redis.id);
  }

  async function assertNoFailover(): Promise<void> {
    const view = await rig.waitView('mymaster', (v) => v.state === 'ok', 'state ok', 10_000);
    assert.equal(view.epoch, 0, JSON.stringify(view));
    assert.equal(view.master?.id, 'r1');
    assert.deepEqual(await rig.history(), [], 'no failover or switchover in the history');
  }

  test('a replica’s Redis restarted empty as a master is made a replica of the committed master again; no failover', async (t) => {
    const r1 = rig.redis('r1');
    const r3 = rig.redis('r3');
    const from = new Map(rig.nodes.map((n) => [n.id, n.lines.length]));
    const restartedAt = performance.now();
    await restartAsMaster(r3);
    await waitFor(
      'r3 a replica of r1 again',
      async () => (replicaOf(await r3.role(), r1) ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 20 },
    ).catch(failWithDump);
    const replicaAfterMs = Math.round(performance.now() - restartedAt);
    // Someone demoted it (it came back a master): the leader's reconciliation (4.5) or r3's sidecar (4.6).
    const logged = (): { id: string; lines: LogEvent[] }[] =>
      rig.nodes
        .map((n) => ({ id: n.id, lines: conversions(n, r3, from.get(n.id) ?? 0) }))
        .filter((x) => x.lines.length > 0);
    const byNode = await waitFor(
      'a +convert-to-slave for r3 logged',
      () => {
        const found = logged();
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    ).catch(failWithDump);
    await assertNoFailover();
    t.diagnostic(
      `r3 a linked replica of r1 ${replicaAfterMs} ms after its restart; +convert-to-slave logged by ${byNode
        .map((x) => `${x.id} (${x.lines.map((e) => `${String(e.component)}: ${String(e.msg)}`).join('; ')})`)
        .join(', ')}`,
    );
  });

  test('when the leader cannot reach it, the sidecar alone keeps its restarted Redis a replica of the committed master', async (t) => {
    const r1 = rig.redis('r1');
    const leader = await rig.leader();
    // A replica whose sidecar is not the leader: the leader's reconciliation demotes a restarted
    // node too (4.5; it is what acts first in the test above), so it must not reach this one.
    const target = [rig.redis('r2'), rig.redis('r3')].find((r) => sidecarOf(r) !== leader);
    assert.ok(target?.proxy);
    const sidecar = sidecarOf(target);
    // The sidecar knows the process it will see restart (its run id): it reports it a replica.
    await waitFor(
      `${sidecar.id} reports ${target.id} a replica`,
      async () => ((await health(sidecar, '/replica')).status === 200 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 50 },
    ).catch(failWithDump);
    const from = new Map(rig.nodes.map((n) => [n.id, n.lines.length]));
    // Every node but the sidecar's is cut off from the target, so that a leadership change
    // during the test cannot hand the demotion to another node's reconciliation either.
    const others = rig.nodes.filter((n) => n !== sidecar);
    target.proxy.cut(
      'drop',
      others.map((n) => rig.sourceOf(n)),
    );
    try {
      const restartedAt = performance.now();
      await restartAsMaster(target);
      await waitFor(
        `${target.id} a replica of r1 again`,
        async () => (replicaOf(await target.role(), r1) ? true : undefined),
        { timeoutMs: 15_000, intervalMs: 20 },
      ).catch((err: unknown) =>
        failWithDump(
          `${err instanceof Error ? err.message : String(err)}\n--- ${sidecar.id} about ${target.id} since the cut:\n${sidecar.lines
            .slice(from.get(sidecar.id) ?? 0)
            .filter((l) => l.includes(`"${target.id}"`) || l.includes('"component":"sidecar"'))
            .slice(-60)
            .join('\n')}`,
        ),
      );
      const replicaAfterMs = Math.round(performance.now() - restartedAt);
      const bySidecar = await sidecar.waitForEvents(
        `${sidecar.id} logs the demotion of ${target.id}`,
        from.get(sidecar.id) ?? 0,
        (e) => e.event === '+convert-to-slave' && e.node === target.id,
      );
      assert.equal(bySidecar.length, 1, `${sidecar.id} logs one +convert-to-slave\n${sidecar.tail(40)}`);
      assert.equal(bySidecar[0].component, 'sidecar');
      assert.equal(bySidecar[0].msg, 'restarted local Redis kept a replica');
      assert.equal(bySidecar[0].master, 'r1');
      // No other node could have done it: none of their commands to the target (REPLICAOF and the
      // like log 'redis operation done' at info; read-only INSPECT at debug) succeeded.
      for (const n of others) {
        const ops: LogEvent[] = n
          .events(from.get(n.id) ?? 0)
          .filter((e) => e.msg === 'redis operation done' && e.node === target.id && e.ok === true);
        assert.deepEqual(ops, [], `${n.id} reached ${target.id} through the cut`);
      }
      await assertNoFailover();
      t.diagnostic(
        `leader ${leader.id} and ${others.length - 1} other node(s) cut off from ${target.id}; ${sidecar.id}'s sidecar made it a linked replica of r1 ${replicaAfterMs} ms after its restart`,
      );
    } finally {
      target.proxy.heal();
    }
  });
});
