// raftinel and Redis in containers, driven through testcontainers (docs/design.md 9): three pods,
// each a Redis container and its raftinel sidecar container, on the host's network (no bridge:
// every listener on 127.0.0.1, free ports). Images are local (test/helpers/docker-engine.ts);
// the reaper is off because its image cannot be pulled, so every container is removed here.
//
// A writer using ioredis in Sentinel mode INCRs a counter. The master's pod (Redis and sidecar)
// is killed at one instant: a replica is promoted by the two other nodes, the writer follows it,
// and no acknowledged INCR is lost (no value acknowledged twice, the final counter at least the
// highest acknowledged). Then the restart cases of deploy/docker-compose.yml: the old master's
// container started again comes back a replica of the new master, and a replica's container
// restarted follows the new master too (its config file, rewritten by raftinel, says so).
//
// Skips with one line when no engine can run (no dockerd, not root).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { StartedTestContainer } from 'testcontainers';
import {
  acquireEngine,
  killContainers,
  localImages,
  startContainer,
  type Engine,
} from '../helpers/docker-engine.js';
import { freePort } from '../helpers/ports.js';
import { redisQuery, redisRole } from '../helpers/redis-query.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

// No reaper (its image cannot be pulled); the host is this machine (testcontainers would look
// for it on the bridge network, which the engine here does not have).
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';

const SHARD = 'mymaster';
const KEY = 'counter';
const DOWN_AFTER_MS = 1000;
/** Hang guards: ten times what each step takes here or more. */
const START_MS = 60_000;
const FAILOVER_MS = 60_000;

interface Pod {
  readonly id: string;
  readonly redisPort: number;
  readonly ports: { sentinel: number; http: number; raft: number };
  redis?: StartedTestContainer;
  raftinel?: StartedTestContainer;
}

let engine: Engine | null = null;
const containers: StartedTestContainer[] = [];
let workDir = '';

before(async () => {
  engine = await acquireEngine();
});

after(async () => {
  for (const c of containers) await c.stop({ timeout: 1 }).catch(() => undefined);
  if (workDir) removeDir(workDir);
  await engine?.release();
});

function raftinelConfig(pods: readonly Pod[], self: Pod): string {
  const peers = pods.map((p) => `  - { id: n${p.id}, raft: 127.0.0.1:${p.ports.raft} }`).join('\n');
  const nodes = pods.map((p) => `      - { id: r${p.id}, host: 127.0.0.1, port: ${p.redisPort} }`).join('\n');
  return `cluster: containers
node:
  id: n${self.id}
  dataDir: /var/lib/raftinel
  listen: { sentinel: 127.0.0.1:${self.ports.sentinel}, http: 127.0.0.1:${self.ports.http}, raft: 127.0.0.1:${self.ports.raft} }
  announce: { host: 127.0.0.1 }
raft: { tickMs: 50, electionTicks: 10, heartbeatTicks: 1 }
peers:
${peers}
defaults:
  downAfterMs: ${DOWN_AFTER_MS}
  pingIntervalMs: 100
shards:
  - name: ${SHARD}
    nodes:
${nodes}
    initialMaster: r${pods[0].id}
sidecar: { redis: r${self.id} }
log: { level: info }
`;
}

async function masterPort(pods: readonly Pod[], except: number): Promise<number | undefined> {
  for (const p of pods) {
    if (p.redisPort === except) continue;
    const role = await redisRole(p.redisPort).catch(() => undefined);
    if (role?.role === 'master') return p.redisPort;
  }
  return undefined;
}

async function followsMaster(port: number, master: number): Promise<true | undefined> {
  const info = String(await redisQuery(port, ['INFO', 'replication']));
  return info.includes(`master_port:${master}`) && info.includes('master_link_status:up') ? true : undefined;
}

test('containers: a pod (Redis + sidecar) killed together fails over with no acknowledged write lost; restarted containers follow the new master', async (t) => {
  assert.ok(engine);
  if (engine.skip !== null) {
    t.skip(`no Docker engine: ${engine.skip}`);
    return;
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const images = localImages();
  workDir = makeTempDir('raftinel-containers-');

  const pods: Pod[] = [];
  for (const id of ['1', '2', '3']) {
    pods.push({
      id,
      redisPort: await freePort(),
      ports: { sentinel: await freePort(), http: await freePort(), raft: await freePort() },
    });
  }
  for (const pod of pods) {
    const redisDir = join(workDir, `r${pod.id}`);
    const nodeDir = join(workDir, `n${pod.id}`);
    mkdirSync(redisDir);
    mkdirSync(join(nodeDir, 'data'), { recursive: true });
    chmodSync(join(nodeDir, 'data'), 0o777);
    // The compose file's scheme: a writable config file, no --replicaof, raftinel sets roles.
    writeFileSync(
      join(redisDir, 'redis.conf'),
      `port ${pod.redisPort}\nbind 127.0.0.1\nprotected-mode no\nappendonly yes\ndir /data\n`,
    );
    writeFileSync(join(nodeDir, 'raftinel.yaml'), raftinelConfig(pods, pod));
    pod.redis = await new GenericContainer(images.base)
      .withNetworkMode('host')
      .withBindMounts([{ source: redisDir, target: '/data' }])
      .withCommand(['redis-server', '/data/redis.conf'])
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .withStartupTimeout(START_MS)
      .start();
    containers.push(pod.redis);
  }
  for (const pod of pods) {
    const nodeDir = join(workDir, `n${pod.id}`);
    pod.raftinel = await new GenericContainer(images.raftinel)
      .withNetworkMode('host')
      .withEnvironment({ RAFTINEL_HEALTH_URL: `http://127.0.0.1:${pod.ports.http}/livez` })
      .withBindMounts([
        { source: join(nodeDir, 'raftinel.yaml'), target: '/etc/raftinel/raftinel.yaml', mode: 'ro' },
        { source: join(nodeDir, 'data'), target: '/var/lib/raftinel' },
      ])
      .withWaitStrategy(Wait.forLogMessage(/raftinel node started/))
      .withStartupTimeout(START_MS)
      .start();
    containers.push(pod.raftinel);
  }
  const [p1, p2, p3] = pods;
  await waitFor(
    'bootstrap: r2 and r3 replicate from r1',
    async () =>
      ((await followsMaster(p2.redisPort, p1.redisPort)) &&
        (await followsMaster(p3.redisPort, p1.redisPort))) ||
      undefined,
    { timeoutMs: START_MS, intervalMs: 100 },
  );

  // The writer: ioredis in Sentinel mode over the three RESP ports.
  const client = new Redis({
    sentinels: pods.map((p) => ({ host: '127.0.0.1', port: p.ports.sentinel })),
    name: SHARD,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    sentinelRetryStrategy: () => 100,
    retryStrategy: () => 100,
    connectTimeout: 1000,
    commandTimeout: 1000,
  });
  client.on('error', () => undefined);
  const acks: number[] = [];
  let errors = 0;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      try {
        acks.push(await client.incr(KEY));
      } catch {
        errors++;
      }
      await sleep(5);
    }
  })();
  try {
    await waitFor('writes through the sentinel client', () => (acks.length >= 50 ? true : undefined), {
      timeoutMs: START_MS,
    });

    // The master's pod dies at one instant.
    const killedAt = performance.now();
    assert.ok(p1.redis && p1.raftinel);
    killContainers([p1.redis.getId(), p1.raftinel.getId()]);
    const before = acks.length;
    const promoted = await waitFor('a replica promoted', () => masterPort(pods, p1.redisPort), {
      timeoutMs: FAILOVER_MS,
      intervalMs: 50,
    });
    const promotedMs = Math.round(performance.now() - killedAt);
    await waitFor('writes on the new master', () => (acks.length >= before + 50 ? true : undefined), {
      timeoutMs: FAILOVER_MS,
    });
    const resumedMs = Math.round(performance.now() - killedAt);
    const other = pods.find((p) => p !== p1 && p.redisPort !== promoted);
    assert.ok(other);
    await waitFor(
      'the other replica follows the new master',
      () => followsMaster(other.redisPort, promoted),
      {
        timeoutMs: FAILOVER_MS,
      },
    );
    writing = false;
    await writer;

    const final = Number(await redisQuery(promoted, ['GET', KEY]));
    const max = Math.max(...acks);
    const duplicates = acks.length - new Set(acks).size;
    t.diagnostic(
      `pod kill: promoted after ${promotedMs} ms, writes again after ${resumedMs} ms; ${acks.length} acks, ${errors} errors, max ${max}, final ${final}`,
    );
    assert.equal(duplicates, 0, 'no value acknowledged twice (a lost write is re-issued as the same value)');
    assert.ok(final >= max, `final counter ${final} >= highest acknowledged ${max}`);

    // The old master's containers start again: r1 says master in its config and is turned into a
    // replica of the new master.
    startContainer(p1.redis.getId());
    startContainer(p1.raftinel.getId());
    await waitFor('r1 back as a replica of the new master', () => followsMaster(p1.redisPort, promoted), {
      timeoutMs: FAILOVER_MS,
      intervalMs: 100,
    });

    // A replica's container restarts: it must come back following the new master, not r1.
    assert.ok(other.redis);
    await other.redis.restart({ timeout: 1 });
    await waitFor(
      'the restarted replica follows the new master',
      () => followsMaster(other.redisPort, promoted),
      {
        timeoutMs: FAILOVER_MS,
        intervalMs: 100,
      },
    );
    const role = await redisRole(other.redisPort);
    assert.equal(role.role, 'slave', 'the restarted replica is a replica');
  } finally {
    writing = false;
    await writer;
    client.disconnect();
  }
});
