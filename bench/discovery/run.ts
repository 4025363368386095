// Discovery throughput (docs/design.md 9): `redis-benchmark` of SENTINEL get-master-addr-by-name at
// c=1, c=50, and c=50 with pipeline 16, against one raftinel node's RESP port and against one
// `redis-sentinel` (Debian) watching the same Redis master, in the same run, the two systems taking
// turns; each case several times, medians reported. HTTP GET /v1/shards/{name}/master (a
// ReadIndex per request) with `wrk` when it is installed (the row is skipped with a note
// otherwise). Prints a table and writes JSON to bench/results/discovery-<date>.json. Nothing here
// asserts a timing: the load generator shares the machine's cores with the servers.
//
// Same conditions for both systems: the same Redis nodes; each with its own production defaults
// (raftinel: probes every 100 ms, Raft tick 50 ms, log level info; Sentinel: its built-in
// ones); raftinel's other two nodes and the idle system stay up, untouched, during every turn.
// Before the measured runs of a case, each system gets one run that is not counted: a Node
// process compiles its hot path during the first tens of thousands of requests, and a cold
// first turn measured the compiler, not the server. The 1-minute load average before and
// after each case is printed and kept in the JSON: on a shared machine, a case measured under
// load is one to run again.
//
//   node dist/bench/discovery/run.js [--repeats 5] [--requests 200000] [--wrk-seconds 3] [--node leader|follower]
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../../src/config/index.js';
import { FailoverRig } from '../../test/helpers/failover-rig.js';
import { freePort } from '../../test/helpers/ports.js';
import type { RaftinelProcess } from '../../test/helpers/raftinel-process.js';
import { trackChild } from '../../test/helpers/raftinel-process.js';
import { redisQuery } from '../../test/helpers/redis-query.js';
import { stopAllRedis } from '../../test/helpers/redis-server.js';
import { makeTempDir, removeDir } from '../../test/helpers/temp.js';
import { waitFor } from '../../test/helpers/wait.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
const SENTINEL_BIN = process.env.REDIS_SENTINEL_BIN ?? '/usr/bin/redis-sentinel';
const BENCHMARK_BIN = process.env.REDIS_BENCHMARK_BIN ?? '/usr/bin/redis-benchmark';
const WRK_BIN = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p)) ?? null;
const SHARD = 'mymaster';
const HOST = '127.0.0.1';

interface Options {
  repeats: number;
  requests: number;
  wrkSeconds: number;
  node: 'leader' | 'follower';
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      repeats: { type: 'string', default: '5' },
      requests: { type: 'string', default: '200000' },
      'wrk-seconds': { type: 'string', default: '3' },
      node: { type: 'string', default: 'follower' },
    },
  });
  const num = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  if (values.node !== 'leader' && values.node !== 'follower')
    throw new Error(`--node must be leader or follower, got ${values.node}`);
  return {
    repeats: num('repeats', values.repeats),
    requests: num('requests', values.requests),
    wrkSeconds: num('wrk-seconds', values['wrk-seconds']),
    node: values.node,
  };
}

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function run(bin: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

interface Case {
  readonly name: string;
  readonly clients: number;
  readonly pipeline: number;
  readonly requests: number;
}

interface Sample {
  readonly rps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** One redis-benchmark run of the command against a port; its CSV line parsed. */
async function benchmark(port: number, c: Case): Promise<Sample> {
  const args = [
    '-h',
    HOST,
    '-p',
    String(port),
    '-c',
    String(c.clients),
    '-n',
    String(c.requests),
    '-P',
    String(c.pipeline),
    '--csv',
  ];
  const out = await run(BENCHMARK_BIN, [...args, 'SENTINEL', 'get-master-addr-by-name', SHARD], 300_000);
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const lines = out.split('\n').filter((l) => l.startsWith('"') && !l.startsWith('"test"'));
  const header = out.split('\n').find((l) => l.startsWith('"test"'));
  const last = lines.at(-1);
  if (!last) throw new Error(`redis-benchmark printed no result:\n${out}`);
  const cells = last.split('","').map((x) => x.replace(/"/g, ''));
  const names = (header ?? '').split('","').map((x) => x.replace(/"/g, ''));
  const at = (name: string): number | null => {
    const i = names.indexOf(name);
    return i >= 0 ? Number(cells[i]) : null;
  };
  const rps = at('rps') ?? Number(cells[1]);
  if (!Number.isFinite(rps)) throw new Error(`cannot read redis-benchmark output:\n${out}`);
  return { rps, p50Ms: at('p50_latency_ms'), p99Ms: at('p99_latency_ms') };
}

/** wrk against a URL; requests per second and latency percentiles. */
async function wrk(url: string, connections: number, seconds: number): Promise<Sample> {
  const out = await run(
    WRK_BIN as string,
    [
      '-t',
      String(Math.min(connections, 2)),
      '-c',
      String(connections),
      '-d',
      `${seconds}s`,
      '--latency',
      url,
    ],
    (seconds + 30) * 1000,
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const ms = (label: string): number | null => {
    const m = new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (!m) return null;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(rps)) throw new Error(`cannot read wrk output:\n${out}`);
  if (non2xx > 0) throw new Error(`wrk saw ${non2xx} non-2xx answers:\n${out}`);
  return { rps, p50Ms: ms('50%'), p99Ms: ms('99%') };
}

async function startSentinel(
  dir: string,
  masterPort: number,
): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      `bind ${HOST}`,
      'protected-mode no',
      'daemonize no',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${SHARD} ${HOST} ${masterPort} 2`,
      '',
    ].join('\n'),
  );
  const child = spawn(SENTINEL_BIN, [conf], { stdio: 'ignore', cwd: dir });
  trackChild(child);
  await waitFor(
    `redis-sentinel on ${port} names the master`,
    async () => {
      const r = await redisQuery(port, ['SENTINEL', 'get-master-addr-by-name', SHARD], { timeoutMs: 1000 });
      return Array.isArray(r) && r[1] === String(masterPort) ? true : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  );
  return { port, child };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    child.once('exit', () => resolve());
    process.kill(child.pid, 'SIGKILL');
  });
}

interface Row {
  readonly case: string;
  readonly system: string;
  readonly samples: readonly Sample[];
  readonly medianRps: number;
  readonly medianP50Ms: number | null;
  readonly medianP99Ms: number | null;
  readonly note?: string;
  /** 1-minute load average when the case started and ended. */
  readonly load?: { readonly before: number; readonly after: number };
}

function row(name: string, system: string, samples: readonly Sample[]): Row {
  const nums = (k: 'p50Ms' | 'p99Ms'): number | null => {
    const v = samples.map((s) => s[k]).filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length ? median(v) : null;
  };
  return {
    case: name,
    system,
    samples,
    medianRps: median(samples.map((s) => s.rps)),
    medianP50Ms: nums('p50Ms'),
    medianP99Ms: nums('p99Ms'),
  };
}

function fmt(n: number | null, digits = 0): string {
  return n === null
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<number> {
  const o = parseOptions();
  for (const bin of [SENTINEL_BIN, BENCHMARK_BIN]) {
    if (!existsSync(bin)) {
      log(`bench: ${bin} is missing (Debian packages redis-sentinel and redis-tools)`);
      return 1;
    }
  }
  const dir = makeTempDir('raftinel-bench-discovery-');
  let rig: FailoverRig | null = null;
  let sentinel: ChildProcess | null = null;
  try {
    log('bench: starting 3 redis-server + 3 raftinel nodes');
    // raftinel's production defaults, not the test suite's faster failure detection.
    rig = await FailoverRig.create({
      defaults: {
        downAfterMs: DEFAULTS.shard.downAfterMs,
        pingIntervalMs: DEFAULTS.shard.pingIntervalMs,
      },
    });
    await rig.start();
    const leader = await rig.leader();
    const target: RaftinelProcess = o.node === 'leader' ? leader : rig.cluster.others(leader)[0];
    const raftinelPort = Number(target.options.node.sentinel.split(':')[1]);
    const r1 = rig.redis('r1');
    const s = await startSentinel(dir, r1.port);
    sentinel = s.child;
    log(
      `bench: raftinel ${target.id} (${target === leader ? 'leader' : 'follower'}) RESP :${raftinelPort}; redis-sentinel :${s.port}; both name r1 :${r1.port}`,
    );

    const cases: Case[] = [
      { name: 'c=1', clients: 1, pipeline: 1, requests: Math.max(1000, Math.round(o.requests / 5)) },
      { name: 'c=50', clients: 50, pipeline: 1, requests: o.requests },
      { name: 'c=50 P=16', clients: 50, pipeline: 16, requests: o.requests * 4 },
    ];
    const rows: Row[] = [];
    const loadNow = (): number => Number(os.loadavg()[0].toFixed(2));
    for (const c of cases) {
      const samples: Record<string, Sample[]> = { raftinel: [], 'redis-sentinel': [] };
      const before = loadNow();
      for (const [system, port] of [
        ['raftinel', raftinelPort],
        ['redis-sentinel', s.port],
      ] as const) {
        const warm = await benchmark(port, c);
        log(`bench: RESP ${c.name} ${system} warm-up (not counted): ${fmt(warm.rps)} req/s`);
      }
      for (let i = 0; i < o.repeats; i++) {
        // Turns alternate, and the first system alternates too, so drift on a shared machine evens out.
        const order: [string, number][] =
          i % 2 === 0
            ? [
                ['raftinel', raftinelPort],
                ['redis-sentinel', s.port],
              ]
            : [
                ['redis-sentinel', s.port],
                ['raftinel', raftinelPort],
              ];
        for (const [system, port] of order) {
          const sample = await benchmark(port, c);
          samples[system].push(sample);
          log(`bench: RESP ${c.name} ${system} run ${i + 1}: ${fmt(sample.rps)} req/s`);
        }
      }
      const load = { before, after: loadNow() };
      log(`bench: RESP ${c.name} load average before ${load.before}, after ${load.after}`);
      rows.push({ ...row(`RESP get-master-addr-by-name ${c.name}`, 'raftinel', samples.raftinel), load });
      rows.push({
        ...row(`RESP get-master-addr-by-name ${c.name}`, 'redis-sentinel', samples['redis-sentinel']),
        load,
      });
    }

    const httpUrl = `${target.httpUrl}/v1/shards/${SHARD}/master`;
    for (const connections of [1, 50]) {
      const name = `HTTP GET /v1/shards/${SHARD}/master c=${connections}`;
      if (!WRK_BIN) {
        rows.push({
          case: name,
          system: 'raftinel',
          samples: [],
          medianRps: Number.NaN,
          medianP50Ms: null,
          medianP99Ms: null,
          note: 'skipped: wrk not installed (Debian package wrk)',
        });
        continue;
      }
      const samples: Sample[] = [];
      const before = loadNow();
      for (let i = 0; i < o.repeats; i++) {
        const sample = await wrk(httpUrl, connections, o.wrkSeconds);
        samples.push(sample);
        log(`bench: ${name} run ${i + 1}: ${fmt(sample.rps)} req/s`);
      }
      rows.push({ ...row(name, 'raftinel', samples), load: { before, after: loadNow() } });
    }

    // The table.
    const header = ['case', 'system', 'median req/s', 'p50 ms', 'p99 ms', 'runs (req/s)', 'load'];
    const body = rows.map((r) => [
      r.case,
      r.system,
      r.note ?? fmt(r.medianRps),
      fmt(r.medianP50Ms, 3),
      fmt(r.medianP99Ms, 3),
      r.samples.map((x) => fmt(x.rps)).join(' / '),
      r.load ? `${r.load.before} -> ${r.load.after}` : '-',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
    const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)];
    // Issue 12 item 4: at least Sentinel's rate at c=50, at least 0.8x of it with pipelining 16.
    const ratioOf = (suffix: string): number => {
      const pair = rows.filter((r) => r.case.startsWith('RESP') && r.case.endsWith(suffix));
      return pair.length === 2 ? pair[0].medianRps / pair[1].medianRps : Number.NaN;
    };
    const ratio = ratioOf(' c=50');
    const pipelinedRatio = ratioOf(' c=50 P=16');
    const verdict = (r: number, target: number): string =>
      `raftinel/sentinel = ${r.toFixed(2)}, target ${target.toFixed(1)} (${r >= target ? 'met' : 'NOT met'})`;
    out.push('', `target c=50: ${verdict(ratio, 1)}`, `target c=50 P=16: ${verdict(pipelinedRatio, 0.8)}`);
    process.stdout.write(out.join('\n') + '\n');

    const benchVersion = spawnSync(BENCHMARK_BIN, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const result = {
      date: new Date().toISOString(),
      host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '?', load: os.loadavg() },
      options: o,
      target: { node: target.id, role: target === leader ? 'leader' : 'follower' },
      tools: { redisBenchmark: benchVersion, wrk: WRK_BIN },
      rows,
      c50Ratio: ratio,
      c50P16Ratio: pipelinedRatio,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `discovery-${result.date.slice(0, 10)}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    log(`bench: wrote ${file}`);
    return 0;
  } finally {
    if (sentinel) await kill(sentinel);
    await rig?.destroy();
    await stopAllRedis();
    removeDir(dir);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
