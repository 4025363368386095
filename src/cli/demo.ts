// `raftinel demo` (what `make demo` runs, docs/design.md 6): a cluster on loopback in sidecar shape
// (3 redis-server, 3 raftinel nodes, node nI next to Redis rI), a live writer, the master
// SIGKILLed, the failover timeline (server side from the shard's history, client side from the
// writer), the dead master restarted empty and kept a replica, a promote drill back through the
// operator CLI itself, the totals, and everything stopped. It exits 0 by itself, 1 when a step
// fails, 130/143/129 on SIGINT/SIGTERM/SIGHUP, and in every case stops each child it started.
// The pieces live in ./demo/: processes (children by PID, temp dir, failure), redis, cluster,
// writer, printer.
import { existsSync, readFileSync } from 'node:fs';
import { SWITCH_MASTER_DELAY_MS } from '../failover/switch-announcer.js';
import type { HistoryEntry } from './api.js';
import { DemoCluster, DOWN_AFTER_MS, RAFTINEL_BIN, SHARD } from './demo/cluster.js';
import { Printer } from './demo/printer.js';
import { HOST, Processes, sleep } from './demo/processes.js';
import { command, findRedisServer } from './demo/redis.js';
import { DemoWriter } from './demo/writer.js';

/** Hang guard for the whole demo; a normal run takes about 15 s. */
const DEMO_TIMEOUT_MS = 90_000;
/** Writes before the master is killed, so that the status line has something to show. */
const WRITES_BEFORE_KILL_MS = 3000;
const KEY = 'demo:counter';
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function runDemo(): Promise<number> {
  const out = new Printer(process.stdout);
  const redisBin = findRedisServer();
  if (redisBin === null) {
    out.line(
      'raftinel demo: redis-server not found on PATH (or REDIS_SERVER_BIN): `make demo` installs it as root, else: sudo apt-get install redis-server',
    );
    return 1;
  }
  const procs = new Processes();
  const run = new DemoRun(out, procs, redisBin);
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled !== null) return; // a second Ctrl-C while stopping changes nothing
    signalled = signal;
    const pids = procs.running().map((c) => c.pid);
    // The main flow's waits fail now; it must not print its failure over the signal's story.
    out.mute();
    procs.fail(`${signal}`);
    procs.killAllNow();
    void (async () => {
      // The exit code tells the signal whatever the cleanup meets; what it could not do is said.
      let trouble = '';
      try {
        await run.stopWriter();
        await procs.waitAllExited(3000);
        procs.removeDir();
      } catch (err) {
        trouble = `; cleanup failed: ${err instanceof Error ? err.message : String(err)}`;
      }
      out.unmute();
      const stopped = `${signal}: stopped every process the demo started${pids.length > 0 ? ` (pids ${pids.join(' ')})` : ''}`;
      out.line(trouble === '' ? `${stopped} and removed ${procs.dir}` : `${stopped}${trouble}`);
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    })();
  };
  // The exit hook covers the paths that skip the cleanup below (an uncaught error, process.exit
  // on EPIPE when the output is piped into `head`).
  const onExit = (): void => {
    procs.killAllNow();
    procs.removeDir();
  };
  const signals = Object.keys(SIGNAL_EXIT) as NodeJS.Signals[];
  for (const s of signals) process.on(s, onSignal);
  process.once('exit', onExit);
  const guard = setTimeout(
    () => procs.fail(`the demo did not finish within ${DEMO_TIMEOUT_MS / 1000} s`),
    DEMO_TIMEOUT_MS,
  );
  try {
    await run.all();
    // A signal during the last steps: the handler is stopping everything and exits with its code.
    if (signalled !== null) return new Promise<number>(() => undefined);
    return 0;
  } catch (err) {
    if (signalled !== null) return new Promise<number>(() => undefined); // the handler exits
    out.endStatus();
    out.bad(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    await run.stopWriter();
    run.printNodeWarnings();
    procs.killAllNow();
    await procs.waitAllExited(3000);
    procs.removeDir();
    out.line(`stopped every process the demo started and removed ${procs.dir}`);
    return 1;
  } finally {
    clearTimeout(guard);
    if (signalled === null) {
      for (const s of signals) process.off(s, onSignal);
      process.off('exit', onExit);
    }
  }
}

class DemoRun {
  private cluster: DemoCluster | null = null;
  private writer: DemoWriter | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly started = performance.now();

  constructor(
    private readonly out: Printer,
    private readonly procs: Processes,
    private readonly redisBin: string,
  ) {}

  async all(): Promise<void> {
    const { out, procs } = this;
    out.heading(`raftinel demo: 3 redis-server + 3 raftinel nodes in sidecar shape on ${HOST}`);
    out.line(`data and logs in ${procs.dir}`);
    const cluster = await this.start();
    const writer = await this.startWriter(cluster);
    await procs.guard(sleep(WRITES_BEFORE_KILL_MS));
    const failover = await this.killMaster(cluster, writer);
    // A moment of each new state on the status line before the next step changes it.
    await procs.guard(sleep(1500));
    await this.restartOldMaster(cluster, failover.from, failover.to);
    await procs.guard(sleep(1500));
    const drillStart = await this.drill(cluster, failover.from);
    await procs.guard(sleep(2000));
    await this.totals(cluster, writer, failover.lost, drillStart, failover.from);
    await this.stopAll(cluster);
  }

  /** Redis first (replication up), then the nodes; returns once the shard is adopted. */
  private async start(): Promise<DemoCluster> {
    const { out, procs } = this;
    const redis = await DemoCluster.startRedis(procs, this.redisBin);
    out.step(
      `redis-server ${redis
        .map((r, i) => `${r.id} pid ${r.pid} port ${r.port}${i === 0 ? ' (master)' : ' (replica of r1)'}`)
        .join(', ')}`,
    );
    const cluster = await DemoCluster.startNodes(procs, redis);
    this.cluster = cluster;
    out.step(
      `raftinel node ${cluster.nodes
        .map(
          (n) => `${n.id} pid ${n.child.pid} (sidecar of ${n.redisId}, RESP ${n.sentinel}, HTTP ${n.http})`,
        )
        .join(', ')}`,
    );
    const view = await procs.waitUntil(
      `the cluster to adopt r1 as the master of ${SHARD}`,
      async () => {
        const v = await cluster.shard();
        const linked = v.replicas.length === 2 && v.replicas.every((r) => r.linkUp === true);
        return v.master?.id === 'r1' && v.state === 'ok' && linked ? v : undefined;
      },
      30_000,
      50,
    );
    const leader = await procs.waitUntil(
      'the nodes to agree on a Raft leader',
      () => cluster.leader(),
      10_000,
    );
    out.step(
      `Raft leader ${leader.leader} (term ${leader.term}); ${SHARD} adopted: master r1, replicas ${view.replicas.map((r) => r.id).join(', ')}, epoch ${view.epoch}`,
    );
    out.step(
      `live status page: http://${cluster.nodes[0].http}/ui (any node serves it; open it now to watch the failover and the drill)`,
    );
    return cluster;
  }

  private async startWriter(cluster: DemoCluster): Promise<DemoWriter> {
    const { out, procs } = this;
    const writer = new DemoWriter(cluster.sentinelPorts, SHARD, KEY);
    this.writer = writer;
    writer.start();
    out.step(
      `writer: back-to-back INCR ${KEY} on the master named by SENTINEL GET-MASTER-ADDR-BY-NAME ${SHARD} (RESP ports ${cluster.sentinelPorts.join(', ')}); asks again after any error`,
    );
    await procs.waitUntil(
      'the first acknowledged write',
      async () => (writer.acked > 0 ? true : undefined),
      10_000,
    );
    this.startStatus(cluster, writer);
    return writer;
  }

  /** The live status line: master and epoch as a node applied them, the writer's rate and count. */
  private startStatus(cluster: DemoCluster, writer: DemoWriter): void {
    let lastAcked = writer.acked;
    let lastAt = performance.now();
    let busy = false;
    this.statusTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      void cluster
        .staleShard()
        .then(
          (v) => `master ${v.master?.id ?? 'none'}, epoch ${v.epoch}, state ${v.state}`,
          () => 'no node answers',
        )
        .then((shard) => {
          if (this.statusTimer === null) return; // stopped while this tick's request was out
          const now = performance.now();
          const rate = Math.round(((writer.acked - lastAcked) * 1000) / Math.max(1, now - lastAt));
          lastAcked = writer.acked;
          lastAt = now;
          this.out.status(
            `${shard} | ${rate} writes/s, ${writer.acked} acknowledged, last value ${writer.maxValue}`,
          );
        })
        .finally(() => (busy = false));
    }, this.out.statusIntervalMs);
  }

  private stopStatus(): void {
    if (this.statusTimer !== null) clearInterval(this.statusTimer);
    this.statusTimer = null;
    this.out.endStatus();
  }

  async stopWriter(): Promise<void> {
    this.stopStatus();
    const w = this.writer;
    this.writer = null;
    // The writer's loop ends within one command timeout; never let it hold up the cleanup.
    if (w) await Promise.race([w.stop(), sleep(2000)]);
  }

  /** SIGKILL of the master's redis-server, then the timeline once the failover has ended. */
  private async killMaster(
    cluster: DemoCluster,
    writer: DemoWriter,
  ): Promise<{ from: string; to: string; lost: number }> {
    const { out, procs } = this;
    const view = await cluster.shard();
    const master = view.master ? cluster.redisNode(view.master.id) : null;
    if (!master?.child) throw new Error(`${SHARD} has no running master to kill`);
    const killWall = Date.now();
    const killAt = performance.now();
    await procs.kill(master.child, 'SIGKILL');
    out.step(
      `SIGKILL redis-server ${master.id} (pid ${master.pid}), the master, after ${writer.acked} acknowledged writes`,
    );
    const entry = await procs.waitUntil(
      `a failover of ${SHARD} to end`,
      async () => (await cluster.history()).find((e) => e.epoch > view.epoch),
      30_000,
      50,
    );
    if (entry.result !== 'ended')
      throw new Error(`the failover of epoch ${entry.epoch} was aborted: ${entry.reason}`);
    const promoted = cluster.redisNode(entry.to);
    const first = await procs.waitUntil(
      `the writer's first write on ${promoted.id}`,
      async () => writer.firstOn(promoted.address, killAt) ?? undefined,
      10_000,
    );
    const before = writer.lastOn(master.address, killAt);
    this.printTimeline(
      entry,
      killWall,
      killAt,
      master.id,
      first,
      before?.lastValue ?? 0,
      before?.lastAt ?? killAt,
    );
    return { from: master.id, to: promoted.id, lost: first.lost };
  }

  private printTimeline(
    entry: HistoryEntry,
    killWall: number,
    killAt: number,
    from: string,
    first: { firstValue: number; firstAt: number; lost: number; unacknowledged: number },
    lastOld: number,
    lastOldAt: number,
  ): void {
    const { out } = this;
    const t = entry.timeline;
    const server = (ms: number | undefined): string =>
      ms === undefined ? '-'.padStart(9) : since(entry.at + ms - killWall);
    const chosen = entry.report.rows.find((r) => r.id === entry.to);
    const repointed = entry.repointed.length > 0 ? entry.repointed.join(', ') : 'no other replica';
    out.line();
    out.heading(
      `failover timeline, from the SIGKILL of ${from} (server side: GET /v1/shards/${SHARD}/history; client side: the writer)`,
    );
    const rows: [string, string, string][] = [
      [
        'detected',
        server(t.detected ?? 0),
        `+odown: a quorum of raftinel nodes had no valid reply from ${from} for downAfterMs ${DOWN_AFTER_MS} ms`,
      ],
      [
        'committed',
        server(t.committed),
        `FailoverStarted, epoch ${entry.epoch}: ${from} -> ${entry.to}${chosen ? ` (${chosen.reason})` : ''}`,
      ],
      [
        'promoted',
        server(t.promoted),
        `${entry.to} answered ROLE master after REPLICAOF NO ONE; clients asking are answered ${entry.to} (+switch-master ${SWITCH_MASTER_DELAY_MS / 1000} s later)`,
      ],
      [
        'first write',
        since(first.firstAt - killAt),
        `INCR acknowledged by ${entry.to} (value ${first.firstValue}); no write was acknowledged for ${formatSeconds(first.firstAt - lastOldAt)} s`,
      ],
      [
        'repointed',
        server(t.repointed ?? t.ended),
        `${repointed} ${entry.repointed.length === 1 ? 'replicates' : 'replicate'} from ${entry.to} (FailoverEnded)`,
      ],
    ];
    for (const [what, when, why] of rows) out.line(`  ${what.padEnd(12)} ${when}  ${why}`);
    const lostWhy =
      first.lost === 0
        ? `${from} acknowledged up to ${lastOld}; ${entry.to} continued from ${first.firstValue - 1}`
        : `${from} acknowledged up to ${lastOld}, ${entry.to} had only ${first.firstValue - 1}: Redis replication is asynchronous, so a master acknowledges writes before its replicas have them, and those ${first.lost} had not reached ${entry.to} when ${from} died (WAIT narrows this window)`;
    const inFlight =
      first.unacknowledged > 0
        ? `; ${first.unacknowledged} write(s) in flight at the kill reached ${entry.to} without an acknowledgement (not a loss)`
        : '';
    out.line(`  ${'lost writes'.padEnd(12)} ${String(first.lost).padStart(9)}  ${lostWhy}${inFlight}`);
    out.line();
  }

  /** Starts the killed redis-server again, empty, and waits until raftinel has made it a replica. */
  private async restartOldMaster(cluster: DemoCluster, id: string, master: string): Promise<void> {
    const { out, procs } = this;
    const old = cluster.redisNode(id);
    const now = cluster.redisNode(master);
    await old.start();
    const back = performance.now();
    out.step(
      `redis-server ${id} restarted (pid ${old.pid}, port ${old.port}) empty and as a master, as a crashed Redis without persistence comes back`,
    );
    await procs.waitUntil(
      `${id} to replicate from ${master}`,
      async () => {
        const r = await old.role();
        return r.role === 'slave' && r.masterPort === now.port && r.link === 'connected' ? true : undefined;
      },
      20_000,
    );
    const tookMs = performance.now() - back;
    // The drill's preflight reads the cluster's view: wait until it sees the link too.
    await procs.waitUntil(
      `the cluster to see ${id} as a linked replica`,
      async () => {
        const v = await cluster.shard();
        return v.master?.id === master && v.replicas.some((r) => r.id === id && r.linkUp === true)
          ? true
          : undefined;
      },
      20_000,
      50,
    );
    out.step(
      `${id} is a replica of ${master} again, link up, ${formatSeconds(tookMs)} s after it came back (raftinel demoted it; no client was pointed at it)`,
    );
  }

  /** `raftinel promote` as an operator runs it, back to the old master; returns when it started. */
  private async drill(cluster: DemoCluster, to: string): Promise<number> {
    const { out, procs } = this;
    const args = ['promote', SHARD, '--to', to, '--yes', '--endpoint', cluster.endpoints];
    out.step(`promote drill back to ${to}, through the operator CLI: raftinel ${args.join(' ')}`);
    const started = performance.now();
    (this.writer as DemoWriter).beginGapWindow();
    const env = { ...process.env };
    // The demo's nodes take no token (admin from loopback), and the endpoint is given.
    delete env.RAFTINEL_TOKEN;
    delete env.RAFTINEL_ENDPOINT;
    const child = procs.spawn('raftinel promote', process.execPath, [RAFTINEL_BIN, ...args], { env });
    child.expectExit = true; // it exits by itself; its exit code tells how the drill went
    const code = new Promise<number | null>((resolve) => child.process.once('exit', (c) => resolve(c)));
    const relay = (stream: NodeJS.ReadableStream | null): Promise<void> =>
      new Promise((resolve) => {
        if (!stream) return resolve();
        let rest = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          rest += chunk;
          const lines = rest.split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) out.line(`  | ${l}`);
        });
        stream.on('end', () => {
          if (rest !== '') out.line(`  | ${rest}`);
          resolve();
        });
      });
    const relayed = Promise.all([relay(child.process.stdout), relay(child.process.stderr)]);
    const exitCode = await procs.guard(code);
    await procs.guard(relayed);
    if (exitCode !== 0) throw new Error(`raftinel promote exited with code ${exitCode}`);
    const writer = this.writer as DemoWriter;
    const target = cluster.redisNode(to);
    await procs.waitUntil(
      `the writer's first write on ${to} after the drill`,
      async () => writer.firstOn(target.address, started) ?? undefined,
      10_000,
    );
    const lost = writer.lostSince(started);
    out.step(
      `the drill as the writer saw it: longest wait between two acknowledged writes ${Math.round(writer.longestGap)} ms, acknowledged writes lost: ${lost}`,
    );
    return started;
  }

  private async totals(
    cluster: DemoCluster,
    writer: DemoWriter,
    lostInFailover: number,
    drillStart: number,
    expectMaster: string,
  ): Promise<void> {
    const { out } = this;
    await this.stopWriter();
    const view = await cluster.shard();
    const master = view.master ? cluster.redisNode(view.master.id) : null;
    if (!master) throw new Error(`${SHARD} has no master at the end`);
    if (master.id !== expectMaster)
      throw new Error(`the master is ${master.id} after the drill, not ${expectMaster}`);
    const finalValue = Number(await command(master.port, ['GET', KEY]));
    const lostInDrill = writer.lostSince(drillStart);
    // A final value below the highest acknowledged one: writes lost after the last reconnect.
    const lostAtEnd = Math.max(0, writer.maxValue - finalValue);
    const seconds = formatSeconds(performance.now() - this.started);
    out.line();
    out.heading('totals');
    out.line(
      `  ${writer.acked} writes acknowledged on ${writer.segments.length} connections; ${writer.errors} refused or failed commands, each followed by a new SENTINEL GET-MASTER-ADDR-BY-NAME; highest value acknowledged ${writer.maxValue}`,
    );
    out.line(`  counter on ${master.id}, the master at the end (epoch ${view.epoch}): ${finalValue}`);
    out.line(
      `  acknowledged writes lost in the failover (SIGKILL, asynchronous replication): ${lostInFailover}`,
    );
    out.line(
      `  acknowledged writes lost in the drill (writes paused until ${expectMaster} had every byte): ${lostInDrill + lostAtEnd}`,
    );
    if (lostInDrill + lostAtEnd > 0)
      throw new Error(`the drill lost ${lostInDrill + lostAtEnd} acknowledged writes`);
    out.good(
      `demo finished in ${seconds} s: a failover and a drill back, ${lostInDrill + lostAtEnd} writes lost in the drill`,
    );
  }

  private async stopAll(cluster: DemoCluster): Promise<void> {
    const { out, procs } = this;
    const nodes = cluster.nodes.map((n) => n.child);
    const redis = cluster.redis.flatMap((r) => (r.child ? [r.child] : []));
    // Nodes first: a node that outlived its Redis nodes would only report them down.
    out.step(`stopping ${cluster.nodes.map((n) => n.id).join(', ')} (SIGTERM), then redis-server r1, r2, r3`);
    await procs.stop(nodes);
    await procs.stop(redis);
    const left = procs.running();
    if (left.length > 0)
      throw new Error(
        `still running after the stop: ${left.map((c) => `${c.name} pid ${c.pid}`).join(', ')}`,
      );
    procs.removeDir();
    out.step(`every process the demo started has exited; removed ${procs.dir}`);
  }

  /** After a failure: each node's latest warnings, since its log goes with the temp dir. */
  printNodeWarnings(): void {
    for (const n of this.cluster?.nodes ?? []) {
      const file = n.child.logFile;
      if (!file || !existsSync(file)) continue;
      const notable = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => /"level":"(warn|error|fatal)"/.test(l))
        .slice(-5);
      if (notable.length === 0) continue;
      this.out.line(`${n.id}'s last warnings:`);
      for (const l of notable) this.out.line(`  ${l.length > 300 ? `${l.slice(0, 300)}...` : l}`);
    }
  }
}

/** "+1.234 s", right-aligned. */
function since(ms: number): string {
  return `+${formatSeconds(ms)} s`.padStart(9);
}

function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
