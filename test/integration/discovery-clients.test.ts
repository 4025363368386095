// Real clients during a real failover (docs/design.md 5, 9): 3 redis-server and 3 raftinel processes
// (downAfterMs 500), one shared rig for the file. Before the master is SIGKILLed, every client is
// attached and checked; after it, each must have followed the cluster to the new master:
// a. ioredis in Sentinel mode, with and without failoverDetector, keeps writing through the kill;
// b. node-redis createSentinel does the same;
// c. redis-py (Debian python3-redis, /usr/bin/python3) Sentinel.discover_master and master_for;
// d. every raftinel node publishes +switch-master once, naming the old and the new master;
// e. HAProxy (Debian) with `option httpchk` on /health/primary/{shard}/{node} routes a TCP frontend
//    to the master, then to the new one;
// f. `promtool check metrics` (Debian prometheus) accepts /metrics (its histograms of probe round
//    trips and failover steps count), raftinel_failovers_total moves,
//    raftinel_probe_latency_seconds has a plausible round trip for each live Redis node;
// g. redis_exporter's view of INFO: redis_mode:sentinel and parseable masterN: lines.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { sentinelClient } from '../helpers/sentinel-client.js';
import { createSentinel } from 'redis';
import { FailoverRig, type ShardView } from '../helpers/failover-rig.js';
import { freePort } from '../helpers/ports.js';
import type { RaftinelProcess } from '../helpers/raftinel-process.js';
import { redisGetNumber, redisQuery } from '../helpers/redis-query.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 500;
/** Hang guard for the failover and for clients to follow it (docs/design.md 9: ten times or more). */
const FAILOVER_GUARD_MS = 30 * DOWN_AFTER_MS;
const HAPROXY = '/usr/sbin/haproxy';
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p)) ?? null;
const hasPython = spawnSync('/usr/bin/python3', ['-c', 'import redis']).status === 0;
const hasHaproxy = existsSync(HAPROXY);

function sentinelAddress(node: RaftinelProcess): { host: string; port: number } {
  const [host, port] = node.options.node.sentinel.split(':');
  return { host, port: Number(port) };
}

function httpPort(node: RaftinelProcess): number {
  return Number(node.options.node.http.split(':')[1]);
}

/** A loop of INCR through a client library, keeping every acknowledged value and when it came. */
class ClientWriter {
  readonly acks: { value: number; at: number }[] = [];
  errors = 0;
  lastError = '';
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly incr: () => Promise<number>,
  ) {}

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const value = await this.incr();
          this.acks.push({ value, at: performance.now() });
        } catch (err) {
          this.errors++;
          this.lastError = err instanceof Error ? err.message : String(err);
        }
        await sleep(5);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  ackedAfter(t: number): { value: number; at: number }[] {
    return this.acks.filter((a) => a.at > t);
  }
}

function tcpPortOf(info: string): number {
  return Number(/tcp_port:(\d+)/.exec(info)?.[1]);
}

async function metricsText(node: RaftinelProcess): Promise<string> {
  const r = await fetch(`${node.httpUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
  assert.equal(r.status, 200);
  return r.text();
}

function promtoolCheck(text: string): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL as string, ['check', 'metrics'], {
    input: text,
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** raftinel_probe_latency_seconds{shard="mymaster",node=...} by node. */
function probeLatencies(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(
    /^raftinel_probe_latency_seconds\{shard="mymaster",node="([^"]+)"\} (\S+)$/gm,
  ))
    out.set(m[1], Number(m[2]));
  return out;
}

/**
 * Every latency sample is a real round trip: above 0, and below downAfterMs, since a reply later
 * than the probe timeout (downAfterMs / 2 here) is dropped with its connection.
 */
function assertPlausibleLatencies(
  node: string,
  latencies: Map<string, number>,
  nodes: readonly string[],
): void {
  assert.deepEqual([...latencies.keys()].sort(), [...nodes].sort(), `${node}: nodes with a probe latency`);
  for (const [id, seconds] of latencies)
    assert.ok(seconds > 0 && seconds < DOWN_AFTER_MS / 1000, `${node}: ${id} probe latency ${seconds} s`);
}

/** The counter raftinel_failovers_total{shard="mymaster",kind="failover",result="ended"}. */
function failoversEnded(text: string): number {
  const m = /^raftinel_failovers_total\{shard="mymaster",kind="failover",result="ended"\} (\S+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** redis_exporter's parseSentinelMasterString: five comma-separated key=value fields. */
function parseMasterLine(
  value: string,
): { name: string; status: string; address: string; slaves: number; sentinels: number } | null {
  const fields = value.split(',');
  if (fields.length !== 5) return null;
  const map = new Map<string, string>();
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq < 0) return null;
    map.set(f.slice(0, eq), f.slice(eq + 1));
  }
  const slaves = Number(map.get('slaves'));
  const sentinels = Number(map.get('sentinels'));
  const name = map.get('name');
  const status = map.get('status');
  const address = map.get('address');
  if (
    name === undefined ||
    status === undefined ||
    address === undefined ||
    !Number.isFinite(slaves) ||
    !Number.isFinite(sentinels)
  )
    return null;
  return { name, status, address, slaves, sentinels };
}

async function sentinelInfo(node: RaftinelProcess): Promise<Map<string, string>> {
  const text = await redisQuery(sentinelAddress(node).port, ['INFO'], { timeoutMs: 2000 });
  assert.equal(typeof text, 'string');
  const out = new Map<string, string>();
  for (const line of String(text).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

function runPython(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/python3', ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const PY_DISCOVER = [
  'import json, sys',
  'from redis.sentinel import Sentinel',
  'addrs = [("127.0.0.1", int(p)) for p in sys.argv[1:]]',
  's = Sentinel(addrs, socket_timeout=2)',
  'host, port = s.discover_master("mymaster")',
  'm = s.master_for("mymaster", socket_timeout=2)',
  'value = m.incr("raftinel:py")',
  'served = int(m.info("server")["tcp_port"])',
  'print(json.dumps({"host": host, "port": port, "incr": value, "served": served}))',
].join('\n');

let rig: FailoverRig;
let tmp: string;
let ioredis: Redis;
let ioWriter: ClientWriter;
let ioPlain: Redis;
let ioPlainWriter: ClientWriter;
let nodeSentinel: ReturnType<typeof createSentinel>;
let nodeWriter: ClientWriter;
let haproxy: ChildProcess | null = null;
let haproxyLog = '';
let frontendPort = 0;
let killedAt = 0;
let newMaster: { id: string; host: string; port: number } | null = null;
/** Plain subscribers to +switch-master, one per raftinel node, and what each heard when. */
const switchSubscribers: Redis[] = [];
const switchHeard: { node: string; message: string; at: number }[] = [];
let ioReconnects = 0;
const pyBefore: { port: number; served: number }[] = [];
const metricsBefore = new Map<string, number>();

before(async () => {
  tmp = makeTempDir('raftinel-clients-');
  rig = await FailoverRig.create();
  await rig.start();
  const sentinels = rig.nodes.map(sentinelAddress);

  ioredis = sentinelClient(sentinels, { failoverDetector: true });
  ioredis.on('reconnecting', () => {
    if (killedAt > 0) ioReconnects++;
  });
  await ioredis.connect();
  ioWriter = new ClientWriter('ioredis (failoverDetector)', () => ioredis.incr('raftinel:ioredis')).start();
  // The same without the detector: it relies on the dropped connection and asks the sentinels again.
  ioPlain = sentinelClient(sentinels);
  await ioPlain.connect();
  for (const n of rig.nodes) {
    const sub = new Redis({ ...sentinelAddress(n), lazyConnect: true });
    sub.on('error', () => undefined);
    sub.on('message', (channel: string, message: string) => {
      if (channel === '+switch-master') switchHeard.push({ node: n.id, message, at: performance.now() });
    });
    await sub.connect();
    await sub.subscribe('+switch-master');
    switchSubscribers.push(sub);
  }
  ioPlainWriter = new ClientWriter('ioredis', () => ioPlain.incr('raftinel:ioredis-plain')).start();

  nodeSentinel = createSentinel({
    name: 'mymaster',
    sentinelRootNodes: sentinels,
    nodeClientOptions: { socket: { connectTimeout: 1000, reconnectStrategy: () => 50 } },
    sentinelClientOptions: { socket: { connectTimeout: 1000, reconnectStrategy: () => 50 } },
  });
  nodeSentinel.on('error', () => undefined);
  await nodeSentinel.connect();
  nodeWriter = new ClientWriter('node-redis', () => nodeSentinel.incr('raftinel:node-redis')).start();

  if (hasHaproxy) {
    frontendPort = await freePort();
    const servers = rig
      .shard()
      .nodes.map(
        (n, i) =>
          `  server ${n.id} ${n.host}:${n.port} check addr 127.0.0.1 port ${httpPort(rig.nodes[i % rig.nodes.length])} inter 100ms fall 1 rise 1 on-marked-down shutdown-sessions`,
      );
    const cfg = [
      'global',
      '  maxconn 200',
      'defaults',
      '  mode tcp',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend redis',
      `  bind 127.0.0.1:${frontendPort}`,
      '  default_backend redis_primary',
      'backend redis_primary',
      '  option httpchk',
      '  http-check send meth GET uri-lf /health/primary/mymaster/%[srv_name]',
      '  http-check expect status 200',
      ...servers,
      '',
    ].join('\n');
    const cfgPath = join(tmp, 'haproxy.cfg');
    writeFileSync(cfgPath, cfg);
    haproxy = spawn(HAPROXY, ['-f', cfgPath, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (c: Buffer) => (haproxyLog += c.toString()));
    haproxy.stderr?.on('data', (c: Buffer) => (haproxyLog += c.toString()));
  }
  // Both library writers acknowledged writes before anything happens.
  await waitFor(
    'writes acknowledged by both clients',
    () =>
      ioWriter.acks.length >= 20 && ioPlainWriter.acks.length >= 20 && nodeWriter.acks.length >= 20
        ? true
        : undefined,
    {
      timeoutMs: 10_000,
    },
  );
});

after(async () => {
  await ioWriter?.stop();
  await ioPlainWriter?.stop();
  ioPlain?.disconnect();
  for (const sub of switchSubscribers) sub.disconnect();
  await nodeWriter?.stop();
  ioredis?.disconnect();
  await nodeSentinel?.close().catch(() => undefined);
  if (haproxy?.pid !== undefined && haproxy.exitCode === null) {
    const exited = new Promise((resolve) => haproxy?.once('exit', resolve));
    process.kill(haproxy.pid, 'SIGKILL');
    await exited;
  }
  await rig?.destroy();
  await stopAllRedis();
  if (tmp) removeDir(tmp);
});

async function frontendServes(): Promise<number> {
  const info = await redisQuery(frontendPort, ['INFO', 'server'], { timeoutMs: 1000 });
  return tcpPortOf(String(info));
}

test('before the failover: every client is on r1', async (t) => {
  const r1 = rig.redis('r1');
  assert.equal(tcpPortOf(await ioredis.info('server')), r1.port, 'ioredis on r1');
  assert.equal(tcpPortOf(await ioPlain.info('server')), r1.port, 'ioredis (no detector) on r1');
  assert.equal(tcpPortOf(String(await nodeSentinel.info('server'))), r1.port, 'node-redis on r1');

  if (hasPython) {
    const r = await runPython(
      PY_DISCOVER,
      rig.nodes.map((n) => String(sentinelAddress(n).port)),
    );
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { host: string; port: number; incr: number; served: number };
    assert.equal(got.port, r1.port);
    assert.equal(got.served, r1.port);
    pyBefore.push(got);
  }
  if (hasHaproxy) {
    const port = await waitFor(
      'HAProxy routes to r1',
      async () => ((await frontendServes()) === r1.port ? r1.port : undefined),
      { timeoutMs: 10_000 },
    );
    assert.equal(port, r1.port, haproxyLog);
  }
  const latencies: string[] = [];
  for (const n of rig.nodes) {
    const text = await metricsText(n);
    const seen = probeLatencies(text);
    assertPlausibleLatencies(n.id, seen, ['r1', 'r2', 'r3']);
    latencies.push(`${n.id} ${[...seen].map(([id, v]) => `${id} ${(v * 1000).toFixed(2)}`).join(' ')}`);
    if (PROMTOOL) {
      const check = promtoolCheck(text);
      assert.equal(check.status, 0, `${n.id}: promtool check metrics:\n${check.out}`);
      // Process and event-loop metrics; no placeholder series with an empty label.
      assert.ok(Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]) > 0, `${n.id}: RSS`);
      assert.ok(Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1]) > 0, `${n.id}: CPU`);
      assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m, `${n.id}: event-loop lag`);
      assert.doesNotMatch(text, /=""/, `${n.id}: a series with an empty label`);
      metricsBefore.set(n.id, failoversEnded(text));
    }
  }
  t.diagnostic(`raftinel_probe_latency_seconds, in ms: ${latencies.join('; ')}`);
  const info = await sentinelInfo(rig.nodes[0]);
  assert.equal(info.get('redis_mode'), 'sentinel');
  const m0 = parseMasterLine(info.get('master0') ?? '');
  assert.deepEqual(m0, {
    name: 'mymaster',
    status: 'ok',
    address: `${r1.host}:${r1.port}`,
    slaves: 2,
    sentinels: 3,
  });
  for (const k of [
    'sentinel_masters',
    'sentinel_tilt',
    'sentinel_running_scripts',
    'sentinel_scripts_queue_length',
    'sentinel_simulate_failure_flags',
  ]) {
    assert.ok(Number.isFinite(Number(info.get(k))), `INFO ${k}: ${info.get(k)}`);
  }
  t.diagnostic(
    `before: ioredis ${ioWriter.acks.length} and node-redis ${nodeWriter.acks.length} writes acknowledged; redis-py ${hasPython ? 'ok' : 'skipped'}; HAProxy ${hasHaproxy ? `frontend :${frontendPort}` : 'skipped'}; promtool ${PROMTOOL ?? 'absent'}`,
  );
});

test('SIGKILL of the master: the cluster commits a new one', { timeout: 60_000 }, async (t) => {
  const r1 = rig.redis('r1');
  await r1.kill();
  // From here on (r1 has exited) every acknowledged write came from another node.
  killedAt = performance.now();
  const v = await rig.waitView(
    'mymaster',
    (x: ShardView) =>
      x.epoch >= 1 && !!x.master && x.master.id !== 'r1' && (x.state === 'ok' || x.state === 'cooldown'),
    'a new master, failover ended',
    FAILOVER_GUARD_MS,
  );
  newMaster = v.master;
  t.diagnostic(
    `r1 (pid ${r1.pid}) killed; ${v.master?.id} master at epoch ${v.epoch}, failover ended ${Math.round(performance.now() - killedAt)} ms after the kill`,
  );
});

function currentMaster(): { id: string; host: string; port: number } {
  assert.ok(newMaster, 'the failover did not happen');
  return newMaster;
}

async function followed(
  t: { diagnostic(m: string): void },
  w: ClientWriter,
  served: () => Promise<number>,
  key: string,
  state: () => string = () => '?',
  from: { at: number; what: string } = { at: killedAt, what: 'the kill' },
): Promise<void> {
  const m = currentMaster();
  const maxBefore = Math.max(0, ...w.acks.filter((a) => a.at <= from.at).map((a) => a.value));
  // Acknowledged writes after the event, then the client reports it is on the new master.
  await waitFor(
    `${w.name}: writes acknowledged after ${from.what}`,
    () => (w.ackedAfter(from.at).length >= 20 ? true : undefined),
    { timeoutMs: FAILOVER_GUARD_MS },
  ).catch((err: unknown) => {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}; client: ${state()}; ${w.errors} errors, last: ${w.lastError}`,
    );
  });
  const port = await waitFor(
    `${w.name}: on ${m.id}`,
    async () => ((await served()) === m.port ? m.port : undefined),
    { timeoutMs: FAILOVER_GUARD_MS },
  );
  assert.equal(port, m.port);
  const afterKill = w.ackedAfter(from.at);
  const first = afterKill[0];
  // The new master holds every value acknowledged after the event (they were written there).
  // The last acknowledgement is read before the GET: the writer goes on writing, and a write
  // acknowledged while the GET is under way may not be in what the GET read.
  const lastAck = w.acks[w.acks.length - 1].value;
  const onMaster = await redisGetNumber(m.port, key);
  assert.ok(
    onMaster !== null && onMaster >= lastAck,
    `${m.id} holds ${onMaster}, the client last acknowledged ${lastAck}`,
  );
  t.diagnostic(
    `${w.name}: last value before ${from.what} ${maxBefore}; first write after it acknowledged ${Math.round(first.at - from.at)} ms after it (value ${first.value}); ${afterKill.length} writes since, ${w.errors} errors (last: ${w.lastError || '-'}); ${m.id} holds ${onMaster}`,
  );
}

test(
  'a. ioredis (Sentinel mode) keeps writing and reaches the new master',
  { timeout: 60_000 },
  async (t) => {
    await followed(
      t,
      ioPlainWriter,
      async () => tcpPortOf(await ioPlain.info('server')),
      'raftinel:ioredis-plain',
      () => ioPlain.status,
    );
  },
);

test('d. every raftinel node publishes +switch-master once, naming the old and the new master', async (t) => {
  const m = currentMaster();
  const r1 = rig.redis('r1');
  const expected = `mymaster ${r1.host} ${r1.port} ${m.host} ${m.port}`;
  await waitFor(
    '+switch-master from every node',
    () => (new Set(switchHeard.map((h) => h.node)).size === rig.nodes.length ? true : undefined),
    { timeoutMs: FAILOVER_GUARD_MS },
  );
  // Later announcements would come within the same delay after the first.
  await sleep(2000);
  assert.deepEqual(
    switchHeard.map((h) => `${h.node}: ${h.message}`).sort(),
    rig.nodes.map((n) => `${n.id}: ${expected}`).sort(),
  );
  t.diagnostic(
    `+switch-master ${expected}, ms after the kill: ${switchHeard.map((h) => `${h.node} ${Math.round(h.at - killedAt)}`).join(', ')}`,
  );
});

// ioredis 5.9.2: the FailoverDetector made at the first connect outlives that connection. A
// +switch-master that arrives while the client re-resolves the master on its own (its master
// died; SentinelConnector.connect in flight) makes connect() reject "Connection is closed." and
// ends the client for good (status "end"). raftinel names the new master when Promoted applies
// and publishes +switch-master SWITCH_MASTER_DELAY_MS later (src/failover/switch-announcer.ts),
// by when such a client is back on a master; the event then costs it one reconnect. The test
// follows the client through both: the kill, then every node's +switch-master (test d).
test(
  'a. ioredis (Sentinel mode, failoverDetector) keeps writing through the kill and the +switch-master events',
  { timeout: 60_000 },
  async (t) => {
    const served = async (): Promise<number> => tcpPortOf(await ioredis.info('server'));
    const status = (): string => ioredis.status;
    await followed(t, ioWriter, served, 'raftinel:ioredis', status);
    assert.equal(new Set(switchHeard.map((h) => h.node)).size, rig.nodes.length, 'test d heard every node');
    const lastHeard = Math.max(...switchHeard.map((h) => h.at));
    await followed(t, ioWriter, served, 'raftinel:ioredis', status, {
      at: lastHeard,
      what: 'the last +switch-master',
    });
    t.diagnostic(
      `ioredis (failoverDetector): status ${ioredis.status}; ${ioReconnects} reconnects since the kill; +switch-master heard ${Math.round(Math.min(...switchHeard.map((h) => h.at)) - killedAt)} to ${Math.round(lastHeard - killedAt)} ms after the kill`,
    );
  },
);

test(
  'b. node-redis createSentinel keeps writing and reaches the new master',
  { timeout: 60_000 },
  async (t) => {
    await followed(
      t,
      nodeWriter,
      async () => tcpPortOf(String(await nodeSentinel.info('server'))),
      'raftinel:node-redis',
    );
  },
);

test(
  'c. redis-py Sentinel.discover_master and master_for find the new master',
  { skip: !hasPython && 'python3-redis not installed', timeout: 60_000 },
  async (t) => {
    const m = currentMaster();
    const r = await runPython(
      PY_DISCOVER,
      rig.nodes.map((n) => String(sentinelAddress(n).port)),
    );
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { host: string; port: number; incr: number; served: number };
    assert.deepEqual(
      { host: got.host, port: got.port, served: got.served },
      { host: m.host, port: m.port, served: m.port },
    );
    t.diagnostic(`redis-py: before ${JSON.stringify(pyBefore[0])}, after ${r.stdout.trim()}`);
  },
);

test(
  'e. HAProxy (option httpchk on /health/primary) routes the frontend to the new master',
  { skip: !hasHaproxy && `${HAPROXY} not installed`, timeout: 60_000 },
  async (t) => {
    const m = currentMaster();
    const port = await waitFor(
      `HAProxy routes to ${m.id}`,
      async () => ((await frontendServes()) === m.port ? m.port : undefined),
      { timeoutMs: FAILOVER_GUARD_MS },
    );
    assert.equal(port, m.port);
    // Only the new master's check passes (r1 is dead, the other replica answers 503): every new
    // connection lands there.
    for (let i = 0; i < 5; i++) assert.equal(await frontendServes(), m.port);
    t.diagnostic(
      `HAProxy frontend :${frontendPort} serves ${m.id}; last log lines: ${haproxyLog.trim().split('\n').slice(-3).join(' | ')}`,
    );
  },
);

test(
  'f. promtool accepts /metrics, raftinel_failovers_total moved, live nodes have a probe latency, the histograms count',
  { skip: !PROMTOOL && 'promtool not installed (Debian prometheus; make deps installs it)', timeout: 60_000 },
  async (t) => {
    const counts: string[] = [];
    const latencies: string[] = [];
    for (const n of rig.nodes) {
      const text = await waitFor(
        `${n.id}: raftinel_failovers_total moved`,
        async () => {
          const x = await metricsText(n);
          return failoversEnded(x) > (metricsBefore.get(n.id) ?? 0) ? x : undefined;
        },
        { timeoutMs: FAILOVER_GUARD_MS },
      );
      const check = promtoolCheck(text);
      assert.equal(check.status, 0, `${n.id}: promtool check metrics:\n${check.out}`);
      counts.push(`${n.id} ${metricsBefore.get(n.id)} -> ${failoversEnded(text)}`);
      // The dead r1 has no current round trip; the two live nodes have one.
      const seen = probeLatencies(text);
      assertPlausibleLatencies(n.id, seen, ['r2', 'r3']);
      // The histograms: every probe's round trip, and the steps of the failover that ended.
      const probes = text.match(/^raftinel_probe_duration_seconds_count (\d+)$/m);
      assert.ok(probes && Number(probes[1]) > 0, `${n.id}: probe round trips counted`);
      for (const step of ['decide', 'promote', 'repoint'])
        assert.match(
          text,
          new RegExp(
            `^raftinel_failover_step_seconds_count\\{shard="mymaster",kind="failover",step="${step}"\\} [1-9]`,
            'm',
          ),
          `${n.id}: step ${step} of the failover counted`,
        );
      latencies.push(`${n.id} ${[...seen].map(([id, v]) => `${id} ${(v * 1000).toFixed(2)}`).join(' ')}`);
    }
    t.diagnostic(
      `raftinel_failovers_total{kind="failover",result="ended"}: ${counts.join(', ')}; promtool check metrics exit 0 on every node`,
    );
    t.diagnostic(`raftinel_probe_latency_seconds after the failover, in ms: ${latencies.join('; ')}`);
  },
);

test('g. redis_exporter view: INFO redis_mode:sentinel and masterN lines name the new master', async (t) => {
  const m = currentMaster();
  for (const n of rig.nodes) {
    const line = await waitFor(
      `${n.id}: master0 names ${m.id}`,
      async () => {
        const info = await sentinelInfo(n);
        assert.equal(info.get('redis_mode'), 'sentinel');
        const parsed = parseMasterLine(info.get('master0') ?? '');
        return parsed && parsed.address === `${m.host}:${m.port}`
          ? { parsed, raw: info.get('master0') }
          : undefined;
      },
      { timeoutMs: FAILOVER_GUARD_MS },
    );
    assert.equal(line.parsed.name, 'mymaster');
    assert.equal(line.parsed.sentinels, 3);
    assert.ok(line.parsed.slaves >= 1, line.raw);
    if (n === rig.nodes[0]) t.diagnostic(`${n.id} INFO master0:${line.raw}`);
  }
});
