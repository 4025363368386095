// Sentinel parity with real processes (docs/design.md 4.3, 5.1): three redis-server and three
// raftinel nodes. A replica whose own replica-priority is 0 (CONFIG SET on the Redis node, not in
// raftinel's config) is never promoted, though it would win the tie; clients subscribed to a
// follower get +odown and to the leader +elected-leader; the o_down flag is gone once the new
// master is published, so redis-py finds it on every node; every node logged +slave and +sentinel
// at start; RESET and IS-MASTER-DOWN-BY-ADDR answer redis-cli as Sentinel does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { FailoverRig, type HistoryView } from '../helpers/failover-rig.js';
import { redisQuery } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { sleep, waitFor } from '../helpers/wait.js';

const hasPython = spawnSync('/usr/bin/python3', ['-c', 'import redis']).status === 0;

after(async () => {
  await stopAllRedis();
});

function respPort(sentinel: string): number {
  return Number(sentinel.slice(sentinel.lastIndexOf(':') + 1));
}

test(
  'replica-priority 0 from INFO, events on every node, o_down cleared at Promoted',
  { timeout: 120_000 },
  async (t) => {
    const rig = await FailoverRig.create({ defaults: { downAfterMs: 1000 } });
    t.after(() => rig.destroy());
    await rig.start();
    const [r1, r2, r3] = rig.shard().nodes;
    const nodes = rig.nodes;
    // At start every node met the replicas and the other nodes: +slave and +sentinel (logged as
    // published; a subscriber cannot be there before the process starts).
    const logged = (n: (typeof nodes)[number], event: string) => n.events().filter((e) => e.event === event);
    for (const n of nodes) {
      for (const event of ['+slave', '+sentinel']) {
        await waitFor(
          `${n.id} to log ${event} twice`,
          () => (logged(n, event).length >= 2 ? true : undefined),
          {
            timeoutMs: 20_000,
          },
        );
      }
      assert.deepEqual(
        logged(n, '+slave')
          .map((e) => String(e.msg))
          .sort(),
        [r2, r3]
          .map((r) => `+slave slave 127.0.0.1:${r.port} 127.0.0.1 ${r.port} @ mymaster 127.0.0.1 ${r1.port}`)
          .sort(),
      );
    }

    // r2 would win a tie (same offset and priority, lower id); its own replica-priority says never.
    assert.equal(await redisQuery(r2.port, ['CONFIG', 'SET', 'replica-priority', '0']), 'OK');
    const leader = await rig.leader();
    const follower = nodes.find((n) => n !== leader)!;
    await waitFor(
      "the leader's report rejects r2 for its replica-priority",
      async () => {
        const rep = await rig.get<{ rows: { id: string; reason: string }[] }>(
          '/v1/shards/mymaster/candidates',
        );
        return rep.rows.find((r) => r.id === 'r2')?.reason.includes('replica-priority 0') ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );

    const seen: Record<string, string[]> = {};
    const subscribers: Redis[] = [];
    for (const n of [leader, follower]) {
      const sub = new Redis({
        host: '127.0.0.1',
        port: respPort(n.options.node.sentinel),
        lazyConnect: true,
        // Teardown stops the nodes first; a subscriber must not retry them.
        retryStrategy: () => null,
      });
      sub.on('error', () => undefined);
      subscribers.push(sub);
      seen[n.id] = [];
      sub.on('pmessage', (_p: string, channel: string, message: string) =>
        seen[n.id].push(`${channel} ${message}`),
      );
      await sub.connect();
      await sub.psubscribe('*');
    }
    t.after(() => subscribers.forEach((s) => s.disconnect()));

    // During the failover, no node may flag the new master o_down: poll SENTINEL MASTER on all.
    let odownOnNewMaster = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        for (const n of nodes) {
          const reply = await redisQuery(respPort(n.options.node.sentinel), [
            'SENTINEL',
            'MASTER',
            'mymaster',
          ]).catch(() => null);
          if (!Array.isArray(reply)) continue;
          const field = (k: string) => String(reply[reply.indexOf(k) + 1]);
          if (field('port') === String(r3.port) && field('flags').includes('o_down')) odownOnNewMaster++;
        }
        await sleep(20);
      }
    })();

    await r1.kill();
    const history = await waitFor(
      'the failover to end',
      async () => {
        const h = await rig.get<HistoryView>('/v1/shards/mymaster/history');
        return h.entries.find((e) => e.result === 'ended');
      },
      { timeoutMs: 40_000, intervalMs: 200 },
    );
    polling = false;
    await poller;
    assert.equal(history.to, 'r3', 'r2 was never a candidate');
    assert.match(
      history.report.rows.find((r) => r.id === 'r2')?.reason ?? '',
      /replica-priority 0 in its own INFO/,
    );
    assert.equal(odownOnNewMaster, 0, 'o_down is cleared at Promoted');

    await waitFor(
      'the events reached the subscribers',
      () =>
        seen[follower.id].some((m) => m.startsWith('+odown master mymaster')) &&
        seen[leader.id].some((m) => m.startsWith('+elected-leader master mymaster'))
          ? true
          : undefined,
      { timeoutMs: 10_000 },
    );
    assert.match(
      seen[follower.id].find((m) => m.startsWith('+odown')) ?? '',
      new RegExp(`^\\+odown master mymaster 127\\.0\\.0\\.1 ${r1.port} #quorum \\d+/\\d+$`),
    );
    assert.equal(
      seen[leader.id].find((m) => m.startsWith('+elected-leader')),
      `+elected-leader master mymaster 127.0.0.1 ${r1.port}`,
    );

    if (hasPython) {
      const ports = nodes.map((n) => respPort(n.options.node.sentinel));
      const script = [
        'import sys',
        'from redis.sentinel import Sentinel',
        'for p in sys.argv[1:]:',
        '    print(Sentinel([("127.0.0.1", int(p))], socket_timeout=5).discover_master("mymaster"))',
      ].join('\n');
      const r = spawnSync('/usr/bin/python3', ['-c', script, ...ports.map(String)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.stderr, '');
      assert.equal(
        r.stdout,
        `('127.0.0.1', ${r3.port})\n`.repeat(3),
        'redis-py finds the new master on every node',
      );
    } else {
      t.diagnostic('python3-redis not installed: the redis-py check was skipped');
    }

    const cli = (...args: string[]) =>
      spawnSync('redis-cli', ['-p', String(respPort(follower.options.node.sentinel)), ...args], {
        encoding: 'utf8',
      }).stdout;
    assert.equal(cli('SENTINEL', 'RESET', '*'), '1\n');
    assert.equal(
      cli('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', String(r3.port), '0', '*'),
      '0\n*\n0\n',
    );
    assert.equal(
      cli('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', 'x', '0', '*'),
      'ERR value is not an integer or out of range\n\n',
    );
  },
);
