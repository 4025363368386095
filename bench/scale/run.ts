// Scale benchmark (issue 12): raftinel beside Redis Sentinel in one run, 3 monitor nodes each,
// the same down-after, at 1, 100, 1000 (and 3000) shards. Per setup: CPU (from /proc/<pid>/stat
// over an idle window) and RSS of every monitor node, Raft commit latency (raftinel), and the
// failover of one shard while all are monitored: SIGKILL of its real redis-server master -> a
// RESP port names the new master (published) -> the first INCR acknowledged by it (first write).
//
// Shard 0 is always real (a redis-server master and two replicas); the others are served by one
// light fleet process (fleet.ts), the same fleet for both systems. Each system runs alone on a
// fresh setup, one after the other, so that neither measures the other. Nothing here asserts a
// timing; the figures are for reading, with the load average they were taken under.
//
//   node dist/bench/scale/run.js [--shards 1,100,1000] [--systems raftinel,sentinel]
//                                [--idle-seconds 20] [--down-after 1000] [--proposals 100]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DemoWriter } from '../../src/cli/demo/writer.js';
import { requestJson } from '../../test/helpers/http.js';
import { freePort } from '../../test/helpers/ports.js';
import { RaftinelCluster } from '../../test/helpers/raftinel-cluster.js';
import { trackChild, type ShardConfig } from '../../test/helpers/raftinel-process.js';
import { redisQuery, redisRole } from '../../test/helpers/redis-query.js';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { makeTempDir, removeDir } from '../../test/helpers/temp.js';
import { sleep, waitFor } from '../../test/helpers/wait.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
const FLEET = fileURLToPath(new URL('./fleet.js', import.meta.url));
const SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
const HOST = '127.0.0.1';
const KEY = 'counter';

type System = 'raftinel' | 'sentinel';

interface Options {
  shards: number[];
  systems: System[];
  idleSeconds: number;
  downAfterMs: number;
  proposals: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      shards: { type: 'string', default: '1,100,1000' },
      systems: { type: 'string', default: 'raftinel,sentinel' },
      'idle-seconds': { type: 'string', default: '20' },
      'down-after': { type: 'string', default: '1000' },
      proposals: { type: 'string', default: '100' },
    },
  });
  const whole = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be a whole number >= ${min}, got ${v}`);
    return n;
  };
  const systems = (values.systems ?? '').split(',').map((s) => s.trim());
  for (const s of systems)
    if (s !== 'raftinel' && s !== 'sentinel') throw new Error(`--systems: ${s} is not raftinel or sentinel`);
  return {
    shards: (values.shards ?? '').split(',').map((s) => whole('shards', s.trim(), 1)),
    systems: systems as System[],
    idleSeconds: whole('idle-seconds', values['idle-seconds'], 1),
    downAfterMs: whole('down-after', values['down-after'], 100),
    proposals: whole('proposals', values.proposals, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// /proc readings.

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime in clock ticks, from /proc/<pid>/stat (fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

interface Usage {
  readonly cpuPercent: number;
  readonly rssMiB: number;
}

/** CPU % of one core and RSS of each pid over `seconds` of idle time. */
async function usage(pids: readonly number[], seconds: number): Promise<Usage[]> {
  const hz = clockTicksPerSecond();
  const before = pids.map(cpuTicks);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => ({
    cpuPercent: Math.round(((cpuTicks(pid) - before[i]) / hz / elapsed) * 10000) / 100,
    rssMiB: Math.round((rssKiB(pid) / 1024) * 10) / 10,
  }));
}

// ---------------------------------------------------------------------------------------------
// The Redis side: one real shard, the rest from the fleet.

/** Shards per fleet process: one Node process answering for more fell behind (and looked down). */
const SHARDS_PER_FLEET = 250;

interface RedisSide {
  readonly real: RedisServer[];
  readonly fleet: { master: number; replicas: number[] }[];
  readonly fleetPids: number[];
  destroy(): Promise<void>;
}

async function startFleet(shards: number): Promise<{ child: ChildProcess; layout: RedisSide['fleet'] }> {
  const child = spawn(process.execPath, [FLEET, '--shards', String(shards), '--replicas', '1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  trackChild(child);
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`fleet exited with ${code}`)));
  });
  return { child, layout: (JSON.parse(line) as { shards: RedisSide['fleet'] }).shards };
}

async function redisSide(shards: number): Promise<RedisSide> {
  const master = await RedisServer.start();
  const real = [master];
  for (let i = 0; i < 2; i++) real.push(await RedisServer.start({ replicaOf: master.address }));
  await Promise.all(
    real
      .slice(1)
      .map((r) =>
        waitFor(
          `replica ${r.port} link up`,
          async () => ((await redisRole(r.port)).state === 'connected' ? true : undefined),
          { timeoutMs: 15_000 },
        ),
      ),
  );
  const fleets: Awaited<ReturnType<typeof startFleet>>[] = [];
  for (let left = shards - 1; left > 0; left -= SHARDS_PER_FLEET)
    fleets.push(await startFleet(Math.min(left, SHARDS_PER_FLEET)));
  return {
    real,
    fleet: fleets.flatMap((f) => f.layout),
    fleetPids: fleets.map((f) => f.child.pid as number),
    destroy: async () => {
      await Promise.all(
        fleets.map(async (f) => {
          if (f.child.exitCode !== null) return;
          const exited = new Promise((r) => f.child.once('exit', r));
          f.child.kill('SIGKILL');
          await exited;
        }),
      );
      await Promise.all(real.map((r) => r.stop()));
    },
  };
}

function shardName(i: number): string {
  return `s${String(i).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// The monitors.

interface Monitors {
  readonly pids: number[];
  readonly respPorts: number[];
  /** Raft commit latency of sequential proposals (raftinel only). */
  commitLatency(count: number): Promise<Distribution | null>;
  destroy(): Promise<void>;
}

/** BENCH_SCALE_LOGS=<dir>: keep each raftinel node's log (to read what a slow run did). */
function keepLogs(cluster: RaftinelCluster, shards: number): void {
  const keep = process.env.BENCH_SCALE_LOGS;
  if (!keep) return;
  mkdirSync(keep, { recursive: true });
  for (const n of cluster.nodes) writeFileSync(join(keep, `${shards}-${n.id}.log`), n.tail(1_000_000));
}

async function raftinelMonitors(side: RedisSide, downAfterMs: number): Promise<Monitors> {
  const shards: ShardConfig[] = [
    {
      name: shardName(0),
      nodes: side.real.map((r, i) => ({ id: `${shardName(0)}-r${i + 1}`, host: HOST, port: r.port })),
      initialMaster: `${shardName(0)}-r1`,
    },
    ...side.fleet.map((f, i) => ({
      name: shardName(i + 1),
      nodes: [f.master, ...f.replicas].map((port, j) => ({
        id: `${shardName(i + 1)}-r${j + 1}`,
        host: HOST,
        port,
      })),
      initialMaster: `${shardName(i + 1)}-r1`,
    })),
  ];
  const cluster = await RaftinelCluster.create({ shards, defaults: { downAfterMs } });
  try {
    await cluster.start(60_000);
    const { leader } = await cluster.waitLeader({ timeoutMs: 60_000 });
    await waitFor(
      `raftinel: all ${shards.length} shards adopted`,
      async () => {
        // ?stale=ok: the applied view without a ReadIndex round (readiness, not a read to trust).
        const r = await leader.get<{ state: string; master: unknown }[]>('/v1/shards?stale=ok', 30_000);
        return r.status === 200 &&
          Array.isArray(r.body) &&
          r.body.length === shards.length &&
          r.body.every((s) => s.master !== null && s.state === 'ok')
          ? true
          : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 2000 },
    );
  } catch (err) {
    keepLogs(cluster, shards.length);
    await cluster.destroy();
    throw err;
  }
  return {
    pids: cluster.nodes.map((n) => n.pid as number),
    respPorts: cluster.nodes.map((n) => Number(n.options.node.sentinel.split(':')[1])),
    commitLatency: async (count) => {
      const { leader } = await cluster.waitLeader({ timeoutMs: 30_000 });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const url = `${leader.httpUrl}/debug/propose`;
      try {
        for (let i = 0; i < 5; i++) await requestJson('POST', url, { body: { value: `w${i}` }, agent });
        const samples: number[] = [];
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          const r = await requestJson('POST', url, { body: { value: `p${i}` }, agent, timeoutMs: 10_000 });
          if (r.status === 200) samples.push(performance.now() - t0);
        }
        return distribution(samples);
      } finally {
        agent.destroy();
      }
    },
    destroy: async () => {
      // BENCH_SCALE_LOGS=<dir>: keep each raftinel node's log (to read what a slow failover did).
      const keep = process.env.BENCH_SCALE_LOGS;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        for (const n of cluster.nodes)
          writeFileSync(join(keep, `${shards.length}-${n.id}.log`), n.tail(1_000_000));
      }
      await cluster.destroy();
    },
  };
}

async function sentinelMaster(port: number, name: string): Promise<Map<string, string>> {
  const r = await redisQuery(port, ['SENTINEL', 'MASTER', name], { timeoutMs: 2000 });
  const out = new Map<string, string>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) out.set(String(r[i]), String(r[i + 1]));
  return out;
}

async function sentinelMonitors(side: RedisSide, downAfterMs: number): Promise<Monitors> {
  const dir = makeTempDir('raftinel-scale-sentinel-');
  const children: ChildProcess[] = [];
  const masters = [side.real[0].port, ...side.fleet.map((f) => f.master)];
  const destroy = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    removeDir(dir);
  };
  const ports: number[] = [];
  try {
    for (let i = 1; i <= 3; i++) {
      const port = await freePort();
      ports.push(port);
      const conf = join(dir, `sentinel-${i}.conf`);
      const lines = [
        `port ${port}`,
        `bind ${HOST}`,
        'protected-mode no',
        'daemonize no',
        `dir ${dir}`,
        `logfile ${join(dir, `sentinel-${i}.log`)}`,
      ];
      masters.forEach((p, s) => {
        lines.push(`sentinel monitor ${shardName(s)} ${HOST} ${p} 2`);
        lines.push(`sentinel down-after-milliseconds ${shardName(s)} ${downAfterMs}`);
        lines.push(`sentinel parallel-syncs ${shardName(s)} 1`);
      });
      writeFileSync(conf, `${lines.join('\n')}\n`);
      const child = spawn(SENTINEL_BIN, [conf], { stdio: 'ignore', cwd: dir });
      trackChild(child);
      children.push(child);
    }
    // Ready when every sentinel knows every shard's replicas and both other sentinels (checked on
    // the real shard and the last one; SENTINEL MASTERS on all would cost as much as it measures).
    const probe = [0, masters.length - 1];
    await Promise.all(
      ports.flatMap((p) =>
        probe.map((s) =>
          waitFor(
            `sentinel ${p} sees ${shardName(s)}'s replicas and 2 other sentinels`,
            async () => {
              const m = await sentinelMaster(p, shardName(s));
              return Number(m.get('num-slaves')) >= (s === 0 ? 2 : 1) &&
                m.get('num-other-sentinels') === '2' &&
                m.get('flags') === 'master'
                ? true
                : undefined;
            },
            { timeoutMs: 180_000, intervalMs: 250 },
          ),
        ),
      ),
    );
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    pids: children.map((c) => c.pid as number),
    respPorts: ports,
    commitLatency: async () => null,
    destroy,
  };
}

// ---------------------------------------------------------------------------------------------
// One shard's failover while all are monitored.

interface Failover {
  /** SIGKILL -> a RESP port names another master, ms. */
  readonly publishedMs: number | null;
  /** SIGKILL -> the first INCR acknowledged by the new master, ms. */
  readonly firstWriteMs: number | null;
  readonly error?: string;
}

async function failover(side: RedisSide, respPorts: readonly number[], guardMs: number): Promise<Failover> {
  const shard = shardName(0);
  const old = `${HOST}:${side.real[0].port}`;
  const writer = new DemoWriter(respPorts, shard, KEY);
  let publishedAt: number | null = null;
  let watching = true;
  try {
    writer.start();
    await waitFor('500 writes acknowledged', () => (writer.acked >= 500 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 10,
    });
    const killedAt = performance.now();
    const watch = (async () => {
      while (watching && publishedAt === null) {
        await Promise.all(
          respPorts.map(async (port) => {
            const r = await redisQuery(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', shard], {
              timeoutMs: 500,
            }).catch(() => null);
            if (Array.isArray(r) && r.length === 2 && `${String(r[0])}:${String(r[1])}` !== old)
              publishedAt ??= performance.now();
          }),
        );
        await sleep(10);
      }
    })();
    side.real[0].kill();
    const firstWriteMs = await waitFor(
      'first acknowledged write on the new master',
      () => {
        const s = writer.segments.find((x) => x.firstAt > killedAt && x.by !== old);
        return s ? s.firstAt - killedAt : undefined;
      },
      { timeoutMs: guardMs, intervalMs: 5 },
    );
    await waitFor('published', () => (publishedAt !== null ? true : undefined), {
      timeoutMs: guardMs,
      intervalMs: 5,
    }).catch(() => undefined);
    watching = false;
    await watch;
    return {
      publishedMs: publishedAt === null ? null : Math.round(publishedAt - killedAt),
      firstWriteMs: Math.round(firstWriteMs),
    };
  } catch (err) {
    return { publishedMs: null, firstWriteMs: null, error: err instanceof Error ? err.message : String(err) };
  } finally {
    watching = false;
    await writer.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Summaries.

interface Distribution {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

function distribution(samples: number[]): Distribution | null {
  if (samples.length === 0) return null;
  const v = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(v[Math.min(v.length - 1, Math.floor(q * v.length))] * 100) / 100;
  return { n: v.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

interface Row {
  readonly system: System;
  readonly shards: number;
  readonly redisNodes: number;
  readonly realRedisNodes: number;
  readonly loadAvg: { readonly before: number[]; readonly after: number[] };
  readonly idleSeconds: number;
  readonly monitors: readonly Usage[];
  /** The fleet processes together (CPU summed, RSS summed). */
  readonly fleet: Usage | null;
  readonly commitLatencyMs: Distribution | null;
  readonly failover: Failover;
  readonly error?: string;
}

async function runOne(system: System, shards: number, o: Options): Promise<Row> {
  const side = await redisSide(shards);
  const base = { system, shards, redisNodes: 3 + 2 * (shards - 1), realRedisNodes: 3 };
  let monitors: Monitors | null = null;
  try {
    monitors =
      system === 'raftinel'
        ? await raftinelMonitors(side, o.downAfterMs)
        : await sentinelMonitors(side, o.downAfterMs);
    // Connections set up, first INFO rounds done, the Raft log quiet.
    await sleep(5000);
    const before = os.loadavg().map((x) => Math.round(x * 100) / 100);
    const pids = [...monitors.pids, ...side.fleetPids];
    const used = await usage(pids, o.idleSeconds);
    const fleetUsed = used.slice(monitors.pids.length);
    const after = os.loadavg().map((x) => Math.round(x * 100) / 100);
    const commitLatencyMs = await monitors.commitLatency(o.proposals);
    const f = await failover(side, monitors.respPorts, 20 * o.downAfterMs + 30_000);
    return {
      ...base,
      loadAvg: { before, after },
      idleSeconds: o.idleSeconds,
      monitors: used.slice(0, monitors.pids.length),
      fleet:
        fleetUsed.length === 0
          ? null
          : {
              cpuPercent: Math.round(fleetUsed.reduce((a, u) => a + u.cpuPercent, 0) * 100) / 100,
              rssMiB: Math.round(fleetUsed.reduce((a, u) => a + u.rssMiB, 0) * 10) / 10,
            },
      commitLatencyMs,
      failover: f,
    };
  } catch (err) {
    return {
      ...base,
      loadAvg: { before: os.loadavg(), after: os.loadavg() },
      idleSeconds: o.idleSeconds,
      monitors: [],
      fleet: null,
      commitLatencyMs: null,
      failover: { publishedMs: null, firstWriteMs: null },
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    await monitors?.destroy();
    await side.destroy();
  }
}

function range(values: readonly number[], unit: string): string {
  if (values.length === 0) return '-';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? `${lo}${unit}` : `${lo}-${hi}${unit}`;
}

function table(rows: readonly Row[]): string {
  const out = [
    '| shards (Redis nodes) | system | CPU per node (idle) | RSS per node | Raft commit p50/p99 | failover: published / first write | load avg (1 min) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const cpu = range(
      r.monitors.map((m) => m.cpuPercent),
      ' %',
    );
    const rss = range(
      r.monitors.map((m) => m.rssMiB),
      ' MiB',
    );
    const commit = r.commitLatencyMs ? `${r.commitLatencyMs.p50} / ${r.commitLatencyMs.p99} ms` : '-';
    const f = r.error
      ? `error: ${r.error.split('\n')[0]}`
      : r.failover.error
        ? `error: ${r.failover.error.split('\n')[0]}`
        : `${r.failover.publishedMs ?? '-'} / ${r.failover.firstWriteMs ?? '-'} ms`;
    out.push(
      `| ${r.shards} (${r.redisNodes}) | ${r.system} | ${cpu} | ${rss} | ${commit} | ${f} | ${r.loadAvg.before[0]} -> ${r.loadAvg.after[0]} |`,
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const o = parseOptions();
  const rows: Row[] = [];
  for (const shards of o.shards) {
    for (const system of o.systems) {
      process.stderr.write(`bench:scale ${system} at ${shards} shards ...\n`);
      const row = await runOne(system, shards, o);
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
  const result = {
    machine: {
      nproc: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      sentinel: execFileSync(SENTINEL_BIN, ['--version']).toString().trim(),
    },
    options: o,
    rows,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${table(rows)}\n\nJSON: ${file}\n`);
}

await main();
