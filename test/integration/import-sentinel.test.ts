// `raftinel import-sentinel` against a real redis-sentinel (docs/migration.md): a Sentinel on a
// free loopback port monitors real redis-servers; the config imported from it (--from, and from
// its rewritten sentinel.conf with auth-pass, --config) starts a raftinel node that publishes
// the same master on its Sentinel port. Every process is started and stopped by PID.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePorts } from '../helpers/ports.js';
import { RAFTINEL_BIN } from '../helpers/raftinel-process.js';
import { redisQuery } from '../helpers/redis-query.js';
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.js';
import { runRaftinel } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { killTracked, spawnTracked, stopTracked } from '../helpers/tracked-spawn.js';
import { waitFor } from '../helpers/wait.js';

const SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
const PASSWORD = 'import-test-secret';

const dirs: string[] = [];
after(async () => {
  killTracked();
  await stopAllRedis();
  for (const d of dirs) removeDir(d);
});

function tempDir(): string {
  const d = makeTempDir('raftinel-import-');
  dirs.push(d);
  return d;
}

/** A master and two replicas, optionally with a password. */
async function redisGroup(password?: string): Promise<RedisServer[]> {
  const auth = password !== undefined ? { requirePass: password, args: ['--masterauth', password] } : {};
  const master = await startRedis(auth);
  const replicas = [
    await startRedis({ ...auth, replicaOf: master.address }),
    await startRedis({ ...auth, replicaOf: master.address }),
  ];
  return [master, ...replicas];
}

/** A redis-sentinel monitoring `master`, once it has found both replicas. */
async function startSentinel(dir: string, master: RedisServer, password?: string) {
  const [port] = await freePorts(1);
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds mymaster 4000',
      'sentinel failover-timeout mymaster 45000',
      'sentinel parallel-syncs mymaster 2',
      ...(password !== undefined ? [`sentinel auth-pass mymaster ${password}`] : []),
      '',
    ].join('\n'),
  );
  const sentinel = spawnTracked(SENTINEL_BIN, [conf], dir);
  await waitFor(
    'the Sentinel to know both replicas',
    async () => {
      const replicas = await redisQuery(port, ['SENTINEL', 'REPLICAS', 'mymaster']);
      return Array.isArray(replicas) && replicas.length === 2 ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  // Sentinel rewrites its file (known-replica lines) when it finds a replica.
  await waitFor(
    'known-replica lines in sentinel.conf',
    () => ((readFileSync(conf, 'utf8').match(/known-replica/g) ?? []).length === 2 ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return { port, conf, child: sentinel.child, output: sentinel.output };
}

/** Starts `raftinel node` from a config file and waits until it publishes `master`. */
async function raftinelPublishes(
  config: string,
  sentinelPort: number,
  master: RedisServer,
): Promise<ChildProcess> {
  const node = spawnTracked(process.execPath, [RAFTINEL_BIN, 'node', '--config', config], join(config, '..'));
  await waitFor(
    `raftinel to publish ${master.port}`,
    async () => {
      if (node.child.exitCode !== null) throw new Error(`raftinel exited: ${node.output()}`);
      const reply = await redisQuery(sentinelPort, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']);
      return Array.isArray(reply) && reply[1] === String(master.port) ? reply : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return node.child;
}

test('usage errors exit 2 with one line; an unreachable Sentinel is a failure (1) saying why', async () => {
  const none = await runRaftinel(['import-sentinel']);
  assert.equal(none.code, 2);
  assert.equal(
    none.stderr,
    'raftinel: give --config FILE or --from HOST:PORT (see raftinel import-sentinel --help)\n',
  );
  const bad = await runRaftinel(['import-sentinel', '--from', 'nohostport', '--json']);
  assert.equal(bad.code, 2);
  assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'usage');
  const [port] = await freePorts(1);
  const refused = await runRaftinel(['import-sentinel', '--from', `127.0.0.1:${port}`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot read the Sentinel at 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
});

/** import-sentinel's --listen-* flags: the written config's listeners on free loopback ports. */
function listenFlags(sentinel: number, http: number, raft: number): string[] {
  return [
    '--listen-sentinel',
    `127.0.0.1:${sentinel}`,
    '--listen-http',
    `127.0.0.1:${http}`,
    '--listen-raft',
    `127.0.0.1:${raft}`,
  ];
}

describe('import-sentinel against a real redis-sentinel', () => {
  test('--from a running Sentinel: raftinel started from the written config publishes the same master', async () => {
    const dir = tempDir();
    const [master, r2, r3] = await redisGroup();
    const sentinel = await startSentinel(dir, master);
    const [listenSentinel, listenHttp, listenRaft] = await freePorts(3);
    const out = join(dir, 'raftinel.yaml');
    const imported = await runRaftinel([
      'import-sentinel',
      '--from',
      `127.0.0.1:${sentinel.port}`,
      '--out',
      out,
      ...listenFlags(listenSentinel, listenHttp, listenRaft),
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      imported.stderr,
      /mapped +sentinel down-after-milliseconds \(mymaster\) -> shards\[0\]\.downAfterMs: 4000 ms/,
    );
    assert.match(imported.stderr, /NOT MAPPED sentinel auth-pass: a running Sentinel never shows it/);
    const text = readFileSync(out, 'utf8');
    for (const r of [master, r2, r3]) assert.match(text, new RegExp(`port: ${r.port}\\b`));
    assert.match(text, /failoverTimeoutMs: 45000/);
    assert.match(text, /parallelSyncs: 2/);

    const node = await raftinelPublishes(out, listenSentinel, master);
    const replicas = await redisQuery(listenSentinel, ['SENTINEL', 'REPLICAS', 'mymaster']);
    assert.ok(Array.isArray(replicas));
    assert.deepEqual(
      replicas.map((r) => (Array.isArray(r) ? Number(r[r.indexOf('port') + 1]) : 0)).sort(),
      [r2.port, r3.port].sort(),
    );
    await stopTracked(node);
    await stopTracked(sentinel.child);
  });

  test('--config of the rewritten sentinel.conf with auth-pass: the secret is written 0600 and never printed', async () => {
    const dir = tempDir();
    const [master] = await redisGroup(PASSWORD);
    const sentinel = await startSentinel(dir, master, PASSWORD);
    await stopTracked(sentinel.child); // the migration reads the file Sentinel left behind
    const [listenSentinel, listenHttp, listenRaft] = await freePorts(3);
    const out = join(dir, 'raftinel', 'raftinel.yaml');
    const args = [
      'import-sentinel',
      '--config',
      sentinel.conf,
      '--out',
      out,
      ...listenFlags(listenSentinel, listenHttp, listenRaft),
    ];
    const imported = await runRaftinel(args);
    assert.equal(imported.code, 0, imported.stderr);
    const secretFile = join(dir, 'raftinel', 'mymaster.redis.pass');
    assert.equal(readFileSync(secretFile, 'utf8').trim(), PASSWORD);
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    for (const shown of [imported.stdout, imported.stderr, readFileSync(out, 'utf8')])
      assert.ok(!shown.includes(PASSWORD), 'the password is never printed');
    assert.match(imported.stderr, /known-replica \(mymaster\) -> shards\[0\]\.nodes/);
    assert.match(imported.stderr, /NOT MAPPED sentinel myid/);

    const again = await runRaftinel(args);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /would overwrite .*raftinel\.yaml.*\(give --force\)/);

    const json = await runRaftinel([...args, '--force', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, '');
    const report = JSON.parse(json.stdout) as { secretFiles: { path: string }[]; notes: unknown[] };
    assert.deepEqual(
      report.secretFiles.map((s) => s.path),
      ['./mymaster.redis.pass'],
    );
    assert.ok(!json.stdout.includes(PASSWORD));

    const node = await raftinelPublishes(out, listenSentinel, master);
    await stopTracked(node);
  });
});
