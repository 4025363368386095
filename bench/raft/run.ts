// Raft benchmark on a 3-node loopback cluster of real `raftinel node` processes (--debug-routes):
// commit latency of sequential proposals, throughput with concurrent clients, election time
// after SIGKILL of the leader, and idle CPU and memory per node. Prints a table and writes JSON
// to bench/results/raft-<date>.json. Nothing here asserts a timing: the numbers are for reading,
// and on a shared machine they move with whatever else runs.
//
//   node dist/bench/raft/run.js [--proposals 500] [--clients 32] [--seconds 5] [--elections 20] [--idle-seconds 10]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { requestJson } from '../../test/helpers/http.js';
import { RaftinelCluster } from '../../test/helpers/raftinel-cluster.js';
import type { RaftinelProcess } from '../../test/helpers/raftinel-process.js';
import { sleep, waitFor } from '../../test/helpers/wait.js';

// dist/bench/raft/run.js -> <repo>/bench/results (the source tree, not dist: results are kept).
const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
const RAFT_TIMING = { tickMs: 50, electionTicks: 10, heartbeatTicks: 1 };

interface Options {
  proposals: number;
  clients: number;
  seconds: number;
  elections: number;
  idleSeconds: number;
}

interface Distribution {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      proposals: { type: 'string', default: '500' },
      clients: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '5' },
      elections: { type: 'string', default: '20' },
      'idle-seconds': { type: 'string', default: '10' },
    },
  });
  const num = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
    return n;
  };
  return {
    proposals: num('proposals', values.proposals),
    clients: num('clients', values.clients),
    seconds: num('seconds', values.seconds),
    elections: num('elections', values.elections),
    idleSeconds: num('idle-seconds', values['idle-seconds']),
  };
}

/** Nearest-rank percentiles; every value in milliseconds. */
function distribution(samples: readonly number[]): Distribution {
  if (samples.length === 0) return { n: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    n: s.length,
    min: round(s[0]),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(s[s.length - 1]),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

async function main(): Promise<number> {
  const options = parseOptions();
  const machine = {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    kernel: `${os.type()} ${os.release()}`,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  const startedAt = new Date();
  const cluster = await RaftinelCluster.create({ raft: RAFT_TIMING, debugRoutes: true, logLevel: 'info' });
  const stopOnSignal = (): void => {
    // RaftinelProcess's own exit hook kills the children by PID; the temp dir goes with them.
    void cluster.destroy().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  try {
    log(
      `starting 3 nodes (tickMs ${RAFT_TIMING.tickMs}, electionTicks ${RAFT_TIMING.electionTicks}) in ${cluster.dir}`,
    );
    await cluster.start();
    await cluster.waitLeader();
    await Promise.all(cluster.nodes.map((n) => n.waitReady()));

    log(`idle: ${options.idleSeconds} s of CPU per node`);
    await sleep(2000); // let start-up work (address commits, JIT) settle
    const idle = await idleUsage(cluster.nodes, options.idleSeconds * 1000);

    log(`commit latency: ${options.proposals} sequential proposals`);
    const latency = await sequentialLatency(cluster, options.proposals);

    log(`throughput: ${options.clients} clients for ${options.seconds} s`);
    const throughput = await concurrentThroughput(cluster, options.clients, options.seconds * 1000);
    const rssAfterLoad = Object.fromEntries(cluster.nodes.map((n) => [n.id, rssKiB(n.pid!)]));

    log(`elections: ${options.elections} runs of SIGKILL of the leader`);
    const elections = await electionTimes(cluster, options.elections);

    const result = {
      benchmark: 'raft',
      date: startedAt.toISOString(),
      machine,
      settings: {
        nodes: 3,
        raft: RAFT_TIMING,
        ...options,
        transport: 'TCP on 127.0.0.1',
        http: 'keep-alive http.Agent',
      },
      commitLatencyMs: latency,
      throughput,
      electionMs: elections,
      idle: { seconds: options.idleSeconds, perNode: idle, rssAfterLoadKiB: rssAfterLoad },
      loadAvgAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `raft-${startedAt.toISOString().slice(0, 10)}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(renderTable(result) + '\n');
    process.stdout.write(`\nJSON: ${file}\n`);
    return 0;
  } finally {
    process.off('SIGINT', stopOnSignal);
    await cluster.destroy();
  }
}

async function currentLeader(cluster: RaftinelCluster): Promise<RaftinelProcess> {
  return (await cluster.waitLeader({ timeoutMs: 30_000 })).leader;
}

/** One client, one keep-alive connection to the leader, one proposal at a time. */
async function sequentialLatency(
  cluster: RaftinelCluster,
  count: number,
): Promise<Distribution & { failed: number }> {
  const leader = await currentLeader(cluster);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = `${leader.httpUrl}/debug/propose`;
  try {
    for (let i = 0; i < 20; i++) await requestJson('POST', url, { body: { value: `warmup-${i}` }, agent });
    const samples: number[] = [];
    let failed = 0;
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const r = await requestJson('POST', url, { body: { value: `seq-${i}` }, agent, timeoutMs: 10_000 });
      const ms = performance.now() - t0;
      if (r.status === 200) samples.push(ms);
      else failed++;
    }
    return { ...distribution(samples), failed };
  } finally {
    agent.destroy();
  }
}

/** `clients` closed loops on keep-alive connections to the leader for `durationMs`. */
async function concurrentThroughput(
  cluster: RaftinelCluster,
  clients: number,
  durationMs: number,
): Promise<{
  clients: number;
  seconds: number;
  committed: number;
  failed: number;
  perSecond: number;
  latencyMs: Distribution;
}> {
  const leader = await currentLeader(cluster);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const url = `${leader.httpUrl}/debug/propose`;
  const samples: number[] = [];
  let failed = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async (client: number): Promise<void> => {
    for (let i = 0; performance.now() < deadline; i++) {
      const t0 = performance.now();
      try {
        const r = await requestJson('POST', url, {
          body: { value: `c${client}-${i}` },
          agent,
          timeoutMs: 10_000,
        });
        if (r.status === 200) samples.push(performance.now() - t0);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    clients,
    seconds: Math.round(seconds * 100) / 100,
    committed: samples.length,
    failed,
    perSecond: Math.round(samples.length / seconds),
    latencyMs: distribution(samples),
  };
}

/**
 * SIGKILL the leader, then poll the two survivors every 5 ms until one of them answers 200 on
 * /leader in a higher term. The time includes noticing the death (an election timeout, 500 to
 * 1000 ms at these settings) plus pre-vote and vote. The killed node is restarted and the
 * cluster is let settle between runs, so each run starts from three healthy nodes.
 */
async function electionTimes(
  cluster: RaftinelCluster,
  runs: number,
): Promise<Distribution & { samples: number[]; termSteps: number[] }> {
  const samples: number[] = [];
  const termSteps: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { leader, term } = await cluster.waitLeader({ timeoutMs: 30_000 });
    await Promise.all(cluster.nodes.map((n) => n.waitReady(30_000)));
    const survivors = cluster.others(leader);
    const killedAt = performance.now();
    leader.signal('SIGKILL');
    const elected = await waitFor(
      `a new leader after killing ${leader.id}`,
      async () => {
        const answers = await Promise.all(
          survivors.map((n) =>
            n.get<{ leader?: string }>('/leader', 1000).then(
              (r) => r.status === 200,
              () => false,
            ),
          ),
        );
        const winner = survivors.find((_, i) => answers[i]);
        if (!winner) return undefined;
        const at = performance.now();
        const view = await winner.cluster();
        return view.term > term ? { at, term: view.term, id: winner.id } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 5 },
    );
    samples.push(elected.at - killedAt);
    termSteps.push(elected.term - term);
    log(
      `  run ${run + 1}: ${leader.id} killed, ${elected.id} leads term ${elected.term} after ${Math.round(elected.at - killedAt)} ms`,
    );
    await leader.waitExit();
    leader.start();
    await leader.waitReady(30_000);
    // A little quiet time, so that the next run's kill does not land on a node still catching up.
    await sleep(300);
  }
  return { ...distribution(samples), samples: samples.map((x) => Math.round(x)), termSteps };
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime in clock ticks, from /proc/<pid>/stat (fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; it ends at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return Number(fields[11]) + Number(fields[12]);
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : NaN;
}

async function idleUsage(
  nodes: readonly RaftinelProcess[],
  durationMs: number,
): Promise<Record<string, { role: string; cpuPercent: number; rssKiB: number }>> {
  const hz = clockTicksPerSecond();
  const roles = await Promise.all(nodes.map(async (n) => ((await n.isLeader()) ? 'leader' : 'follower')));
  const before = nodes.map((n) => cpuTicks(n.pid!));
  const t0 = performance.now();
  await sleep(durationMs);
  const seconds = (performance.now() - t0) / 1000;
  const out: Record<string, { role: string; cpuPercent: number; rssKiB: number }> = {};
  nodes.forEach((n, i) => {
    const used = (cpuTicks(n.pid!) - before[i]) / hz;
    out[n.id] = {
      role: roles[i],
      cpuPercent: Math.round((used / seconds) * 10000) / 100,
      rssKiB: rssKiB(n.pid!),
    };
  });
  return out;
}

interface Rendered {
  machine: { nproc: number; cpuModel: string; node: string; loadAvgAtStart: number[] };
  date: string;
  commitLatencyMs: Distribution & { failed: number };
  throughput: {
    clients: number;
    seconds: number;
    committed: number;
    failed: number;
    perSecond: number;
    latencyMs: Distribution;
  };
  electionMs: Distribution;
  idle: {
    seconds: number;
    perNode: Record<string, { role: string; cpuPercent: number; rssKiB: number }>;
    rssAfterLoadKiB: Record<string, number>;
  };
}

function renderTable(r: Rendered): string {
  const rows: [string, string][] = [];
  const d = (x: Distribution): string =>
    `min ${x.min}  p50 ${x.p50}  p90 ${x.p90}  p99 ${x.p99}  max ${x.max}  (n=${x.n})`;
  rows.push([
    'machine',
    `${r.machine.nproc} x ${r.machine.cpuModel}, node ${r.machine.node}, load ${r.machine.loadAvgAtStart.join(' ')}`,
  ]);
  rows.push(['date', r.date]);
  rows.push([
    'commit latency, sequential (ms)',
    d(r.commitLatencyMs) + (r.commitLatencyMs.failed ? `, ${r.commitLatencyMs.failed} failed` : ''),
  ]);
  rows.push([
    `throughput, ${r.throughput.clients} clients (ops/s)`,
    `${r.throughput.perSecond}  (${r.throughput.committed} in ${r.throughput.seconds} s, ${r.throughput.failed} failed)`,
  ]);
  rows.push([`latency under load (ms)`, d(r.throughput.latencyMs)]);
  rows.push([
    'election after SIGKILL (ms)',
    `min ${r.electionMs.min}  median ${r.electionMs.p50}  p90 ${r.electionMs.p90}  max ${r.electionMs.max}  (n=${r.electionMs.n})`,
  ]);
  for (const [id, u] of Object.entries(r.idle.perNode)) {
    rows.push([
      `idle ${id} (${u.role})`,
      `CPU ${u.cpuPercent}% over ${r.idle.seconds} s, RSS ${(u.rssKiB / 1024).toFixed(1)} MiB (after load ${(r.idle.rssAfterLoadKiB[id] / 1024).toFixed(1)} MiB)`,
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
