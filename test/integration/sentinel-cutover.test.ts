// The cutover of docs/migration.md section 3, end to end, under a writer: three real
// redis-sentinel processes (quorum 2) watch a master and two replicas while an ioredis client in
// Sentinel mode INCRs a counter through them. Each host's config is imported from its running
// Sentinel (`import-sentinel --from`, the same --peers everywhere, the Sentinel's own RESP port),
// the Sentinels are stopped, three raftinel nodes start on their ports, and the client, never
// reconfigured, keeps writing; then a switchover through raftinel moves the master and the client
// follows it. Every acknowledged INCR must be in the final value: 0 acknowledged writes lost.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Redis } from 'ioredis';
import { requestJson } from '../helpers/http.js';
import { freePorts } from '../helpers/ports.js';
import { RAFTINEL_BIN } from '../helpers/raftinel-process.js';
import { redisQuery } from '../helpers/redis-query.js';
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.js';
import { runRaftinel } from '../helpers/run-cli.js';
import { sentinelClient } from '../helpers/sentinel-client.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { killTracked, spawnTracked, stopTracked } from '../helpers/tracked-spawn.js';
import { sleep, waitFor } from '../helpers/wait.js';

const SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
const KEY = 'cutover:counter';

const dirs: string[] = [];
after(async () => {
  killTracked();
  await stopAllRedis();
  for (const d of dirs) removeDir(d);
});

/** INCRs through the Sentinel endpoints until stopped; every acknowledged value is kept. */
class SentinelWriter {
  readonly acked: number[] = [];
  readonly byMaster = new Map<number, number>();
  errors = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly client: Redis) {}

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const value = await this.client.incr(KEY);
          this.acked.push(value);
          const port = this.client.stream?.remotePort ?? 0;
          this.byMaster.set(port, (this.byMaster.get(port) ?? 0) + 1);
        } catch {
          this.errors++;
          await sleep(20);
        }
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  async acksAfter(count: number, timeoutMs: number): Promise<void> {
    const target = this.acked.length + count;
    await waitFor(
      `${count} more acknowledged writes`,
      () => (this.acked.length >= target ? true : undefined),
      {
        timeoutMs,
        intervalMs: 20,
      },
    );
  }
}

test(
  'a live 3-Sentinel deployment under a writer moves to raftinel: the client follows, 0 acknowledged writes lost',
  { timeout: 180_000 },
  async (t) => {
    const dir = makeTempDir('raftinel-cutover-');
    dirs.push(dir);
    const master = await startRedis();
    const replicas: RedisServer[] = [
      await startRedis({ replicaOf: master.address }),
      await startRedis({ replicaOf: master.address }),
    ];
    assert.equal(replicas.length, 2);
    const ports = await freePorts(9); // per host: RESP (the Sentinel's, then raftinel's), HTTP, Raft
    const hosts = [0, 1, 2].map((i) => ({
      id: `n${i + 1}`,
      resp: ports[3 * i],
      http: ports[3 * i + 1],
      raft: ports[3 * i + 2],
    }));
    const sentinels = hosts.map((h) => {
      const conf = join(dir, `sentinel-${h.id}.conf`);
      writeFileSync(
        conf,
        [
          `port ${h.resp}`,
          'bind 127.0.0.1',
          'daemonize no',
          `dir ${dir}`,
          `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
          'sentinel down-after-milliseconds mymaster 2000',
          'sentinel failover-timeout mymaster 20000',
          '',
        ].join('\n'),
      );
      return spawnTracked(SENTINEL_BIN, [conf], dir);
    });
    await waitFor(
      'the Sentinels to know both replicas and each other',
      async () => {
        for (const h of hosts) {
          const r = await redisQuery(h.resp, ['SENTINEL', 'REPLICAS', 'mymaster']);
          const s = await redisQuery(h.resp, ['SENTINEL', 'SENTINELS', 'mymaster']);
          if (!Array.isArray(r) || r.length !== 2 || !Array.isArray(s) || s.length !== 2) return undefined;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    const client = sentinelClient(hosts.map((h) => ({ host: '127.0.0.1', port: h.resp })));
    const writer = new SentinelWriter(client).start();
    t.after(async () => {
      await writer.stop();
      client.disconnect();
    });
    await writer.acksAfter(200, 30_000);

    // Step 2: import on each host from its own running Sentinel.
    const peers = hosts.map((h) => `${h.id}=127.0.0.1:${h.raft}`).join(',');
    const configs: string[] = [];
    for (const h of hosts) {
      const out = join(dir, h.id, 'raftinel.yaml');
      const imported = await runRaftinel([
        'import-sentinel',
        '--from',
        `127.0.0.1:${h.resp}`,
        '--out',
        out,
        '--node-id',
        h.id,
        '--peers',
        peers,
        '--listen-sentinel',
        `127.0.0.1:${h.resp}`,
        '--listen-http',
        `127.0.0.1:${h.http}`,
        '--listen-raft',
        `127.0.0.1:${h.raft}`,
      ]);
      assert.equal(imported.code, 0, imported.stderr);
      const check = await runRaftinel(['config', 'check', out]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      configs.push(out);
    }

    // Steps 3 and 4: stop every Sentinel, then start raftinel on their ports.
    const cutAt = performance.now();
    const acksBefore = writer.acked.length;
    for (const s of sentinels) await stopTracked(s.child);
    const nodes = configs.map((c) =>
      spawnTracked(process.execPath, [RAFTINEL_BIN, 'node', '--config', c], join(c, '..')),
    );
    // Step 5: every node names the same master as before.
    await waitFor(
      'every raftinel node to publish the master the Sentinels named',
      async () => {
        for (const [i, h] of hosts.entries()) {
          if (nodes[i].child.exitCode !== null) throw new Error(`${h.id} exited: ${nodes[i].output()}`);
          const reply = await redisQuery(h.resp, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']).catch(
            () => null,
          );
          if (!Array.isArray(reply) || reply[1] !== String(master.port)) return undefined;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const publishedMs = Math.round(performance.now() - cutAt);
    await writer.acksAfter(200, 30_000);

    // The client follows a master that raftinel moves.
    const drill = await requestJson<{ ok: boolean; report: { to: string; writePauseMs: number | null } }>(
      'POST',
      `http://127.0.0.1:${hosts[0].http}/v1/shards/mymaster/switchover`,
      { body: {}, timeoutMs: 30_000 },
    );
    assert.equal(drill.status, 200, JSON.stringify(drill.body));
    assert.equal(drill.body.ok, true, JSON.stringify(drill.body));
    const promoted = drill.body.report.to;
    await writer.acksAfter(200, 30_000);
    await writer.stop();

    const reply = await redisQuery(hosts[0].resp, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']);
    assert.ok(Array.isArray(reply));
    const masterPort = Number(reply[1]);
    assert.notEqual(masterPort, master.port, 'the switchover moved the master');
    const final = Number(await redisQuery(masterPort, ['GET', KEY]));
    const maxAcked = Math.max(...writer.acked);
    const lost = writer.acked.filter((v) => v > final).length;
    t.diagnostic(
      `${writer.acked.length} writes acknowledged (${acksBefore} before the cutover), ${writer.errors} errors; ` +
        `raftinel published the master ${publishedMs} ms after the Sentinels were stopped; switchover to ${promoted} ` +
        `(write pause ${drill.body.report.writePauseMs} ms); acks by master port ${JSON.stringify([...writer.byMaster])}; ` +
        `highest acknowledged ${maxAcked}, final ${final}, lost ${lost}`,
    );
    assert.equal(lost, 0, 'no acknowledged write lost');
    assert.ok(final >= maxAcked);
    assert.ok((writer.byMaster.get(masterPort) ?? 0) > 0, 'the client wrote to the new master');
    for (const n of nodes) await stopTracked(n.child);
  },
);
