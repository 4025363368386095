// Failover benchmark: raftinel beside Redis Sentinel, in the same run, with the same down-after.
//
// (1) SIGKILL of the master under a back-to-back INCR writer that finds the master as a
//     Sentinel client does (SENTINEL GET-MASTER-ADDR-BY-NAME against the 3 RESP ports, ROLE
//     check, re-resolving on every error): time from the SIGKILL to the first acknowledged write
//     on the new master, time until every live replica replicates from the new master with its
//     link up, and acknowledged writes lost (the new master's counter against the highest value
//     acknowledged before).
// (2) The stalled master: SIGSTOP of the master for 3 x down-after, then SIGCONT, with the same
//     resolving writer plus a stale client that keeps writing to the old master's address (a
//     pool that never re-resolves): the two-master window (SIGCONT until the old master answers
//     ROLE slave) and the writes the old master acknowledged after the SIGSTOP that the new
//     master does not have (lost).
//
// Every run starts from scratch: 3 redis-server (one master, two replicas) and either 3
// `raftinel node` processes (sidecar-free, pingIntervalMs 100) or 3 `redis-sentinel` processes
// (quorum 2). Nothing here asserts a timing; numbers are for reading, on a shared machine.
//
//   node dist/bench/failover/run.js [--runs 10] [--down-after 1000,5000] [--stall-runs 3]
//                                   [--systems raftinel,sentinel] [--cases kill,stall]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { DemoWriter } from '../../src/cli/demo/writer.js';
import { FailoverRig } from '../../test/helpers/failover-rig.js';
import { freePort } from '../../test/helpers/ports.js';
import { trackChild } from '../../test/helpers/raftinel-process.js';
import { redisGetNumber, redisQuery, redisRole } from '../../test/helpers/redis-query.js';
import { RedisServer, REDIS_SERVER_BIN, stopAllRedis } from '../../test/helpers/redis-server.js';
import { IncrWriter } from '../../test/helpers/redis-writer.js';
import { makeTempDir, removeDir } from '../../test/helpers/temp.js';
import { sleep, waitFor } from '../../test/helpers/wait.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
const SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
const SHARD = 'mymaster';
const KEY = 'counter';
const STALE_KEY = 'stale';
const HOST = '127.0.0.1';

type System = 'raftinel' | 'sentinel';
type Case = 'kill' | 'stall';

interface Options {
  runs: number;
  stallRuns: number;
  downAfter: number[];
  systems: System[];
  cases: Case[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      'stall-runs': { type: 'string', default: '3' },
      'down-after': { type: 'string', default: '1000,5000' },
      systems: { type: 'string', default: 'raftinel,sentinel' },
      cases: { type: 'string', default: 'kill,stall' },
    },
  });
  const count = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number >= 0, got ${v}`);
    return n;
  };
  const list = <T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T[] => {
    const items = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const i of items)
      if (!allowed.includes(i as T)) throw new Error(`--${name}: ${i} is not one of ${allowed.join(', ')}`);
    return items as T[];
  };
  const downAfter = (values['down-after'] ?? '').split(',').map((s) => Number(s.trim()));
  for (const d of downAfter)
    if (!Number.isInteger(d) || d < 100) throw new Error(`--down-after: ${d} is not an integer >= 100`);
  return {
    runs: count('runs', values.runs),
    stallRuns: count('stall-runs', values['stall-runs']),
    downAfter,
    systems: list('systems', values.systems, ['raftinel', 'sentinel'] as const),
    cases: list('cases', values.cases, ['kill', 'stall'] as const),
  };
}

// ---------------------------------------------------------------------------------------------
// One setup: 3 Redis nodes (index 0 is the master) and 3 RESP ports that answer the Sentinel protocol.

interface Setup {
  readonly system: System;
  readonly redis: readonly RedisServer[];
  readonly respPorts: readonly number[];
  destroy(): Promise<void>;
}

async function raftinelSetup(downAfterMs: number): Promise<Setup> {
  const rig = await FailoverRig.create({ defaults: { downAfterMs, pingIntervalMs: 100 } });
  try {
    await rig.start();
  } catch (err) {
    await rig.destroy();
    throw err;
  }
  return {
    system: 'raftinel',
    redis: rig.shard().nodes.map((n) => n.server),
    respPorts: rig.nodes.map((n) => Number(n.options.node.sentinel.split(':')[1])),
    destroy: () => rig.destroy(),
  };
}

async function linkUp(replicas: readonly RedisServer[]): Promise<void> {
  await Promise.all(
    replicas.map((r) =>
      waitFor(
        `replica ${r.port} link up`,
        async () => ((await redisRole(r.port)).state === 'connected' ? true : undefined),
        {
          timeoutMs: 15_000,
        },
      ),
    ),
  );
}

/** SENTINEL MASTER <name> as a field map. */
async function sentinelMaster(port: number): Promise<Map<string, string>> {
  const r = await redisQuery(port, ['SENTINEL', 'MASTER', SHARD], { timeoutMs: 1000 });
  const out = new Map<string, string>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) out.set(String(r[i]), String(r[i + 1]));
  return out;
}

async function sentinelSetup(downAfterMs: number): Promise<Setup> {
  const dir = makeTempDir('raftinel-bench-sentinel-');
  const redis: RedisServer[] = [];
  const children: ChildProcess[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
          }),
      ),
    );
    await Promise.all(redis.map((r) => r.stop()));
    // BENCH_SENTINEL_LOGS=<dir>: keep each run's sentinel logs there (to read what Sentinel did).
    const keep = process.env.BENCH_SENTINEL_LOGS;
    if (keep) {
      const to = join(keep, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
      mkdirSync(to, { recursive: true });
      for (let i = 1; i <= 3; i++)
        if (existsSync(join(dir, `sentinel-${i}.log`)))
          copyFileSync(join(dir, `sentinel-${i}.log`), join(to, `sentinel-${i}.log`));
    }
    removeDir(dir);
  };
  try {
    const master = await RedisServer.start();
    redis.push(master);
    for (let i = 0; i < 2; i++) redis.push(await RedisServer.start({ replicaOf: master.address }));
    await linkUp(redis.slice(1));
    const ports: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const port = await freePort();
      ports.push(port);
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          'protected-mode no',
          'daemonize no',
          `dir ${dir}`,
          `logfile ${join(dir, `sentinel-${i}.log`)}`,
          `sentinel monitor ${SHARD} ${HOST} ${master.port} 2`,
          `sentinel down-after-milliseconds ${SHARD} ${downAfterMs}`,
          `sentinel parallel-syncs ${SHARD} 1`,
          '',
        ].join('\n'),
      );
      const child = spawn(SENTINEL_BIN, [conf], { stdio: 'ignore', cwd: dir });
      trackChild(child);
      children.push(child);
    }
    // Ready when every sentinel knows both replicas and both other sentinels.
    await Promise.all(
      ports.map((p) =>
        waitFor(
          `sentinel ${p} sees 2 replicas and 2 other sentinels`,
          async () => {
            const m = await sentinelMaster(p);
            return m.get('num-slaves') === '2' &&
              m.get('num-other-sentinels') === '2' &&
              m.get('flags') === 'master'
              ? true
              : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 100 },
        ),
      ),
    );
    return { system: 'sentinel', redis, respPorts: ports, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

function setup(system: System, downAfterMs: number): Promise<Setup> {
  return system === 'raftinel' ? raftinelSetup(downAfterMs) : sentinelSetup(downAfterMs);
}

// ---------------------------------------------------------------------------------------------
// The cases.

interface KillRun {
  readonly system: System;
  readonly downAfterMs: number;
  readonly run: number;
  /** SIGKILL -> a RESP port names the new master, ms. */
  readonly publishedMs: number | null;
  /** SIGKILL -> first INCR acknowledged by the new master, ms. */
  readonly firstWriteMs: number | null;
  /** SIGKILL -> every live replica replicates from the new master, link up, ms. */
  readonly repointedMs: number | null;
  readonly lost: number;
  readonly acked: number;
  readonly writerErrors: number;
  readonly error?: string;
}

interface StallRun {
  readonly system: System;
  readonly downAfterMs: number;
  readonly run: number;
  readonly stallMs: number;
  /** SIGSTOP -> a RESP port names the new master, ms. */
  readonly publishedMs: number | null;
  /** SIGSTOP -> first INCR acknowledged by the new master (the resolving writer), ms. */
  readonly firstWriteMs: number | null;
  /** SIGCONT -> the old master answers ROLE slave, ms. */
  readonly twoMasterWindowMs: number | null;
  /** Writes the old master acknowledged to the stale client after the SIGSTOP. */
  readonly staleAckedByOld: number;
  /** ... of which the new master does not have (lost). */
  readonly staleLost: number;
  /** Acknowledged writes of the resolving writer lost. */
  readonly resolverLost: number;
  readonly error?: string;
}

/** Polls the replicas' ROLE until one is master and every other live one replicates from it, link up. */
async function waitRepointed(
  replicas: readonly RedisServer[],
  since: number,
  timeoutMs: number,
): Promise<number> {
  return waitFor(
    'every replica repointed to the new master',
    async () => {
      const roles = await Promise.all(replicas.map((r) => redisRole(r.port, 500)));
      const masters = replicas.filter((_, i) => roles[i].role === 'master');
      if (masters.length !== 1) return undefined;
      const m = masters[0];
      const ok = roles.every(
        (v, i) =>
          replicas[i] === m || (v.role === 'slave' && v.masterPort === m.port && v.state === 'connected'),
      );
      return ok ? performance.now() - since : undefined;
    },
    { timeoutMs, intervalMs: 5 },
  );
}

/**
 * When the RESP ports first name another master than `old` (SENTINEL GET-MASTER-ADDR-BY-NAME on
 * each port every 10 ms, one persistent connection per port): the server side of the switch,
 * apart from any client's timeouts.
 */
class PublicationWatch {
  private readonly clients: Redis[];
  private stopped = false;
  private loop: Promise<void> | null = null;
  publishedAt: number | null = null;

  constructor(ports: readonly number[]) {
    this.clients = ports.map((port) => {
      const c = new Redis({
        host: HOST,
        port,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 500,
        commandTimeout: 500,
        retryStrategy: () => 50,
      });
      c.on('error', () => undefined);
      return c;
    });
  }

  start(old: string): this {
    this.loop = (async () => {
      while (!this.stopped && this.publishedAt === null) {
        await Promise.all(
          this.clients.map(async (c) => {
            try {
              if (c.status === 'wait') await c.connect();
              const r = await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SHARD);
              if (Array.isArray(r) && r.length === 2 && `${String(r[0])}:${String(r[1])}` !== old)
                this.publishedAt ??= performance.now();
            } catch {
              // a port that does not answer now is asked again on the next round
            }
          }),
        );
        await sleep(10);
      }
    })();
    return this;
  }

  async wait(timeoutMs: number): Promise<number | null> {
    await waitFor('the new master published', () => (this.publishedAt !== null ? true : undefined), {
      timeoutMs,
      intervalMs: 5,
    }).catch(() => undefined);
    return this.publishedAt;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    for (const c of this.clients) c.disconnect();
  }
}

/** The first acknowledgement by another address than `old` after `since`, as ms after `since`. */
async function waitFirstWrite(
  writer: DemoWriter,
  old: string,
  since: number,
  timeoutMs: number,
): Promise<number> {
  return waitFor(
    'first acknowledged write on the new master',
    () => {
      const s = writer.segments.find((x) => x.firstAt > since && x.by !== old);
      return s ? s.firstAt - since : undefined;
    },
    { timeoutMs, intervalMs: 5 },
  );
}

async function waitAcked(writer: DemoWriter, n: number, timeoutMs: number): Promise<void> {
  const goal = writer.acked + n;
  await waitFor(
    `${n} more acknowledged writes (last error: ${writer.lastError})`,
    () => (writer.acked >= goal ? true : undefined),
    {
      timeoutMs,
      intervalMs: 10,
    },
  );
}

/** Lost acknowledged writes: per connection, and the new master's final counter against the highest ack. */
async function resolverLost(
  writer: DemoWriter,
  since: number,
  newMasterPort: number | null,
): Promise<number> {
  let lost = writer.lostSince(since);
  if (newMasterPort !== null) {
    const final = (await redisGetNumber(newMasterPort, KEY).catch(() => null)) ?? 0;
    lost = Math.max(lost, writer.maxValue - final);
  }
  return lost;
}

function portOf(address: string): number {
  return Number(address.split(':')[1]);
}

async function killRun(system: System, downAfterMs: number, run: number): Promise<KillRun> {
  const s = await setup(system, downAfterMs);
  const writer = new DemoWriter(s.respPorts, SHARD, KEY);
  const watch = new PublicationWatch(s.respPorts);
  const guard = 20 * downAfterMs + 30_000;
  try {
    writer.start();
    await waitAcked(writer, 500, 15_000);
    await sleep(300);
    const [master, ...replicas] = s.redis;
    const old = `${HOST}:${master.port}`;
    watch.start(old);
    const killedAt = performance.now();
    master.kill();
    const [firstWriteMs, repointedMs, publishedAt] = await Promise.all([
      waitFirstWrite(writer, old, killedAt, guard),
      waitRepointed(replicas, killedAt, guard),
      watch.wait(guard),
    ]);
    await waitAcked(writer, 200, 10_000);
    await writer.stop();
    const newAddr = writer.current?.by ?? null;
    const lost = await resolverLost(writer, killedAt, newAddr ? portOf(newAddr) : null);
    const publishedMs = publishedAt === null ? null : publishedAt - killedAt;
    return {
      system,
      downAfterMs,
      run,
      publishedMs,
      firstWriteMs,
      repointedMs,
      lost,
      acked: writer.acked,
      writerErrors: writer.errors,
    };
  } catch (err) {
    await writer.stop();
    return {
      system,
      downAfterMs,
      run,
      publishedMs: null,
      firstWriteMs: null,
      repointedMs: null,
      lost: 0,
      acked: writer.acked,
      writerErrors: writer.errors,
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    await watch.stop();
    await s.destroy();
  }
}

async function stallRun(system: System, downAfterMs: number, run: number): Promise<StallRun> {
  const s = await setup(system, downAfterMs);
  const [master, ...replicas] = s.redis;
  const old = `${HOST}:${master.port}`;
  const writer = new DemoWriter(s.respPorts, SHARD, KEY);
  const watch = new PublicationWatch(s.respPorts);
  // A client whose pool never re-resolves: it keeps writing to the old master's address.
  const stale = new IncrWriter({
    key: STALE_KEY,
    target: async () => ({ host: HOST, port: master.port }),
    commandTimeoutMs: 300,
  });
  const stallMs = 3 * downAfterMs;
  const guard = 20 * downAfterMs + 60_000;
  try {
    writer.start();
    stale.start();
    await waitAcked(writer, 500, 15_000);
    await stale.waitAcks(200, 15_000);
    await sleep(300);
    watch.start(old);
    const stoppedAt = performance.now();
    master.pause();
    await watch.wait(stallMs);
    await sleep(Math.max(0, stoppedAt + stallMs - performance.now()));
    const contAt = performance.now();
    master.resume();
    const publishedAt = await watch.wait(guard);
    const twoMasterWindowMs =
      publishedAt === null
        ? null
        : await waitFor(
            'the old master reports role slave',
            async () =>
              (await redisRole(master.port, 2000)).role === 'slave' ? performance.now() - contAt : undefined,
            { timeoutMs: guard, intervalMs: 2 },
          );
    const firstWriteMs = await waitFirstWrite(writer, old, stoppedAt, guard).catch(() => null);
    await waitRepointed([...replicas, master], stoppedAt, guard).catch(() => null);
    await sleep(300);
    await Promise.all([writer.stop(), stale.stop()]);
    const newAddr = writer.current?.by ?? null;
    const newPort = newAddr && newAddr !== old ? portOf(newAddr) : null;
    const staleOnNew =
      newPort !== null ? ((await redisGetNumber(newPort, STALE_KEY).catch(() => null)) ?? 0) : 0;
    const ackedByOld = stale.ackedBy(old, stoppedAt);
    return {
      system,
      downAfterMs,
      run,
      stallMs,
      publishedMs: publishedAt === null ? null : publishedAt - stoppedAt,
      firstWriteMs,
      twoMasterWindowMs,
      staleAckedByOld: ackedByOld.length,
      staleLost: newPort === null ? 0 : ackedByOld.filter((a) => a.value > staleOnNew).length,
      resolverLost: await resolverLost(writer, stoppedAt, newPort),
    };
  } catch (err) {
    master.resume();
    await Promise.all([writer.stop(), stale.stop()]);
    return {
      system,
      downAfterMs,
      run,
      stallMs,
      publishedMs: null,
      firstWriteMs: null,
      twoMasterWindowMs: null,
      staleAckedByOld: 0,
      staleLost: 0,
      resolverLost: 0,
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    await watch.stop();
    await s.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Summaries and the table.

interface Stat {
  readonly n: number;
  readonly median: number | null;
  readonly max: number | null;
}

function stat(values: readonly (number | null)[]): Stat {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, median: null, max: null };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { n: v.length, median: Math.round(median), max: Math.round(v[v.length - 1]) };
}

interface KillSummary {
  readonly system: System;
  readonly downAfterMs: number;
  readonly runs: number;
  readonly failed: number;
  readonly published: Stat;
  readonly firstWrite: Stat;
  readonly repointed: Stat;
  readonly lostTotal: number;
  readonly lostMax: number;
  /** Median first write minus down-after. */
  readonly aboveDownAfterMs: number | null;
}

interface StallSummary {
  readonly system: System;
  readonly downAfterMs: number;
  readonly runs: number;
  readonly failed: number;
  readonly published: Stat;
  readonly firstWrite: Stat;
  readonly twoMasterWindow: Stat;
  readonly staleAckedByOld: Stat;
  readonly staleLost: Stat;
  readonly resolverLostTotal: number;
}

function summarizeKill(runs: readonly KillRun[]): KillSummary {
  const r0 = runs[0];
  const firstWrite = stat(runs.map((r) => r.firstWriteMs));
  return {
    system: r0.system,
    downAfterMs: r0.downAfterMs,
    runs: runs.length,
    failed: runs.filter((r) => r.error !== undefined).length,
    published: stat(runs.map((r) => r.publishedMs)),
    firstWrite,
    repointed: stat(runs.map((r) => r.repointedMs)),
    lostTotal: runs.reduce((n, r) => n + r.lost, 0),
    lostMax: runs.reduce((n, r) => Math.max(n, r.lost), 0),
    aboveDownAfterMs: firstWrite.median === null ? null : firstWrite.median - r0.downAfterMs,
  };
}

function summarizeStall(runs: readonly StallRun[]): StallSummary {
  const r0 = runs[0];
  return {
    system: r0.system,
    downAfterMs: r0.downAfterMs,
    runs: runs.length,
    failed: runs.filter((r) => r.error !== undefined).length,
    published: stat(runs.map((r) => r.publishedMs)),
    firstWrite: stat(runs.map((r) => r.firstWriteMs)),
    twoMasterWindow: stat(runs.map((r) => r.twoMasterWindowMs)),
    staleAckedByOld: stat(runs.map((r) => r.staleAckedByOld)),
    staleLost: stat(runs.map((r) => r.staleLost)),
    resolverLostTotal: runs.reduce((n, r) => n + r.resolverLost, 0),
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

const ms = (s: Stat): string => (s.median === null ? '-' : `${s.median} / ${s.max}`);

function killTable(sums: readonly KillSummary[]): string {
  const rows: string[][] = [
    [
      'down-after',
      'system',
      'runs',
      'published ms (median / max)',
      'first write ms (median / max)',
      'repointed ms (median / max)',
      'above down-after',
      'lost (total, max)',
      'failed',
    ],
  ];
  for (const s of sums) {
    rows.push([
      `${s.downAfterMs} ms`,
      s.system,
      String(s.firstWrite.n),
      ms(s.published),
      ms(s.firstWrite),
      ms(s.repointed),
      s.aboveDownAfterMs === null ? '-' : `${s.aboveDownAfterMs} ms`,
      `${s.lostTotal}, ${s.lostMax}`,
      String(s.failed),
    ]);
  }
  return table(rows);
}

function stallTable(sums: readonly StallSummary[]): string {
  const rows: string[][] = [
    [
      'down-after',
      'system',
      'runs',
      'published ms (median / max)',
      'first write ms (median / max)',
      'two-master window ms (median / max)',
      'stale acks by old master (median / max)',
      'lost (median / max)',
      'resolver lost',
      'failed',
    ],
  ];
  for (const s of sums) {
    rows.push([
      `${s.downAfterMs} ms`,
      s.system,
      String(s.runs - s.failed),
      ms(s.published),
      ms(s.firstWrite),
      ms(s.twoMasterWindow),
      ms(s.staleAckedByOld),
      ms(s.staleLost),
      String(s.resolverLostTotal),
      String(s.failed),
    ]);
  }
  return table(rows);
}

function ratios(
  sums: readonly KillSummary[],
): { downAfterMs: number; ratio: number | null; targetMet: boolean | null }[] {
  const out: { downAfterMs: number; ratio: number | null; targetMet: boolean | null }[] = [];
  for (const d of [...new Set(sums.map((s) => s.downAfterMs))]) {
    const r = sums.find((s) => s.downAfterMs === d && s.system === 'raftinel');
    const q = sums.find((s) => s.downAfterMs === d && s.system === 'sentinel');
    const ra = r?.aboveDownAfterMs ?? null;
    const qa = q?.aboveDownAfterMs ?? null;
    out.push({
      downAfterMs: d,
      ratio: ra !== null && qa !== null && qa > 0 ? Math.round((ra / qa) * 1000) / 1000 : null,
      targetMet: ra === null ? null : ra <= 150,
    });
  }
  return out;
}

function version(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const machine = {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    kernel: `${os.type()} ${os.release()}`,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    redisServer: version(REDIS_SERVER_BIN),
    redisSentinel: version(SENTINEL_BIN),
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  const started = Date.now();
  const log = (line: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
  };
  const killRuns: KillRun[] = [];
  const stallRuns: StallRun[] = [];
  const fmt = (x: number | null): string => (x === null ? '-' : `${Math.round(x)} ms`);
  for (const d of options.downAfter) {
    // Alternate the systems run by run, so that load drift on the shared machine hits both alike.
    if (options.cases.includes('kill')) {
      for (let i = 1; i <= options.runs; i++) {
        for (const system of options.systems) {
          const r = await killRun(system, d, i);
          killRuns.push(r);
          log(
            `kill  ${system.padEnd(8)} down-after ${d} run ${i}: published ${fmt(r.publishedMs)}, first write ${fmt(r.firstWriteMs)}, repointed ${fmt(r.repointedMs)}, lost ${r.lost}${r.error ? `, ERROR ${r.error}` : ''}`,
          );
        }
      }
    }
    if (options.cases.includes('stall')) {
      for (let i = 1; i <= options.stallRuns; i++) {
        for (const system of options.systems) {
          const r = await stallRun(system, d, i);
          stallRuns.push(r);
          log(
            `stall ${system.padEnd(8)} down-after ${d} run ${i}: published ${fmt(r.publishedMs)}, first write ${fmt(r.firstWriteMs)}, two-master window ${fmt(r.twoMasterWindowMs)}, ` +
              `stale acks by old master ${r.staleAckedByOld} (lost ${r.staleLost}), resolver lost ${r.resolverLost}${r.error ? `, ERROR ${r.error}` : ''}`,
          );
        }
      }
    }
  }
  await stopAllRedis();

  const group = <T extends { system: System; downAfterMs: number }>(runs: readonly T[]): T[][] => {
    const out: T[][] = [];
    for (const d of options.downAfter)
      for (const s of options.systems) {
        const g = runs.filter((r) => r.downAfterMs === d && r.system === s);
        if (g.length > 0) out.push(g);
      }
    return out;
  };
  const killSums = group(killRuns).map(summarizeKill);
  const stallSums = group(stallRuns).map(summarizeStall);
  const ratioRows = ratios(killSums);

  const out: string[] = [];
  out.push(`machine: ${machine.nproc} x ${machine.cpuModel}, ${machine.kernel}, node ${machine.node}`);
  out.push(`redis: ${machine.redisServer}`);
  out.push(`load average at start: ${machine.loadAvgAtStart.join(' ')}`);
  if (killSums.length > 0) {
    out.push('');
    out.push(
      'SIGKILL of the master under a back-to-back INCR writer (Sentinel-protocol client); ms from the SIGKILL',
    );
    out.push(
      '(published: a RESP port names the new master; first write: acknowledged by it; repointed: every live replica linked to it)',
    );
    out.push(killTable(killSums));
    for (const r of ratioRows) {
      out.push(
        `down-after ${r.downAfterMs} ms: time above down-after, raftinel / Sentinel = ${r.ratio ?? '-'}; ` +
          `target down-after + 150 ms median: ${r.targetMet === null ? '-' : r.targetMet ? 'met' : 'NOT met'}`,
      );
    }
  }
  if (stallSums.length > 0) {
    out.push('');
    out.push(
      'stalled master: SIGSTOP for 3 x down-after, then SIGCONT; a resolving writer and a stale client on the old address',
    );
    out.push(
      '(published, first write: ms from the SIGSTOP; two-master window: ms from the SIGCONT until the old master reports role slave;',
    );
    out.push(
      ' lost: writes the old master acknowledged to the stale client after the SIGSTOP that the new master lacks)',
    );
    out.push(stallTable(stallSums));
  }
  const text = out.join('\n');
  process.stdout.write(text + '\n');

  const result = {
    benchmark: 'failover',
    date: new Date().toISOString(),
    options,
    machine: { ...machine, loadAvgAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    durationS: Math.round((Date.now() - started) / 1000),
    kill: { summary: killSums, ratios: ratioRows, runs: killRuns },
    stall: { summary: stallSums, runs: stallRuns },
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `failover-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`results: ${file}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAllRedis();
  process.exit(1);
});
