// Sidecar fencing (docs/design.md 4.6) with a whole pod cut off: the master's Redis (r1) and its
// sidecar raftinel node (n1) run in their own network namespace, joined to the host by a veth
// pair; the other two raftinel nodes and the replicas r2, r3 run on the host side. A client
// inside the namespace keeps writing INCR to r1. The test takes the host end of the veth down:
// the majority (n2, n3) fails over to r2 or r3, and n1, without a Raft majority for
// fenceAfterMs, fences r1 (`+fence`: it refuses writes). Asserted: the fence engages within fenceAfterMs plus
// a generous margin of the isolation, and no INCR issued after the fence engaged is ever
// acknowledged by r1, neither while isolated nor after the link comes back (until r1 is a
// replica of the new master). Reported: writes r1 acknowledged between isolation and fence (the
// split-brain writes the fence bounds; they are lost).
//
// Needs root and `ip netns` (iproute2); skips with a message otherwise. The namespace and the veth
// pair are removed in t.after, and leftovers of an earlier run with the same names at the start.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FAST_RAFT } from '../helpers/failover-rig.js';
import { freePort } from '../helpers/ports.js';
import {
  logEvents,
  RAFTINEL_BIN,
  RaftinelProcess,
  trackChild,
  type LogEvent,
  type NodeAddresses,
  type SidecarConfig,
} from '../helpers/raftinel-process.js';
import { redisGetNumber, redisQuery } from '../helpers/redis-query.js';
import { REDIS_SERVER_BIN, RedisServer, stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const NS = 'rft-fence';
const HOST_IF = 'rftfence0';
const NS_IF = 'rftfence1';
const HOST_IP = '10.77.0.1';
const NS_IP = '10.77.0.2';
// fenceAfterMs may be at most 0.8 x downAfterMs (docs/design.md 4.6, 6a).
const DOWN_AFTER_MS = 1500;
const FENCE_AFTER_MS = 1000;
/** The fence must engage within fenceAfterMs plus this of the isolation (a hang guard, not a speed claim). */
const FENCE_MARGIN_MS = 4000;
const KEY = 'counter';

after(async () => {
  await stopAllRedis();
});

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // absent already
  }
}

/** Why this test cannot run here, or null. */
function unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and veth pairs)';
  try {
    ip('netns', 'list');
  } catch (err) {
    return `\`ip netns\` is unavailable: ${err instanceof Error ? err.message : String(err)}`;
  }
  return null;
}

/** Removes the namespace and the veth pair of this test; processes still inside it are killed by PID first. */
function removeNetwork(): void {
  let pids: number[] = [];
  try {
    pids = ip('netns', 'pids', NS).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no such namespace
  }
  // Only this test starts processes in its namespace (a leftover of an earlier, killed run).
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  tryIp('netns', 'del', NS);
  tryIp('link', 'del', HOST_IF);
}

function createNetwork(): void {
  ip('netns', 'add', NS);
  ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
  ip('link', 'set', NS_IF, 'netns', NS);
  ip('addr', 'add', `${HOST_IP}/24`, 'dev', HOST_IF);
  ip('link', 'set', HOST_IF, 'up');
  ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/24`, 'dev', NS_IF);
  ip('netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up');
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
}

/** A process in the namespace (`ip netns exec` execs it: the PID is the program's own). */
class NsProcess {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<void>;
  private done = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    trackChild(child);
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const l of parts) if (l !== '') this.lines.push(l);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) =>
      child.once('close', () => {
        if (pending !== '') this.lines.push(pending);
        this.done = true;
        resolve();
      }),
    );
  }

  static start(name: string, command: string, args: readonly string[]): NsProcess {
    return new NsProcess(
      name,
      spawn('ip', ['netns', 'exec', NS, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
  }

  get running(): boolean {
    return !this.done;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, sig);
    } catch {
      // gone
    }
  }

  async stop(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  events(): LogEvent[] {
    return logEvents(this.lines);
  }

  tail(n = 30): string {
    return [...this.lines.slice(-n), this.stderr.trim()].filter(Boolean).join('\n');
  }
}

// The writer inside the namespace: INCR after INCR on one connection to r1 (1 ms apart), each
// acknowledgement printed as `ack <value> <sentAt> <ackAt>` (Date.now(), the clock pino stamps
// log lines with), errors as `err <sentAt> <at> <reply>`; on a silence of 3 s or a closed
// connection it reconnects and goes on. SIGTERM ends it after the reply in flight.
const CLIENT_SCRIPT = `
import net from 'node:net';
const [port, key] = process.argv.slice(2);
let stopped = false;
process.on('SIGTERM', () => { stopped = true; });
const cmd = '*2\\r\\n$4\\r\\nINCR\\r\\n$' + key.length + '\\r\\n' + key + '\\r\\n';
function connection() {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(port) });
    let buf = '';
    let sentAt = 0;
    let timer = null;
    const send = () => {
      if (stopped) return s.destroy();
      sentAt = Date.now();
      s.write(cmd);
      timer = setTimeout(() => { process.stdout.write('timeout ' + sentAt + '\\n'); s.destroy(); }, 3000);
    };
    s.on('connect', send);
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\\r\\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        clearTimeout(timer);
        const at = Date.now();
        if (line[0] === ':') process.stdout.write('ack ' + line.slice(1) + ' ' + sentAt + ' ' + at + '\\n');
        else process.stdout.write('err ' + sentAt + ' ' + at + ' ' + line + '\\n');
        setTimeout(send, 1);
      }
    });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); setTimeout(resolve, 50); });
  });
}
while (!stopped) await connection();
process.exit(0);
`;

/** A log record's time (pino's ISO time) in ms since the epoch, the clock of Date.now(). */
function logTime(e: LogEvent): number {
  const at = Date.parse(String(e.time));
  if (!Number.isFinite(at)) throw new Error(`log record without a time: ${JSON.stringify(e)}`);
  return at;
}

interface Ack {
  readonly value: number;
  readonly sentAt: number;
  readonly ackAt: number;
}

function parseAcks(lines: readonly string[]): Ack[] {
  const out: Ack[] = [];
  for (const l of lines) {
    const m = /^ack (-?\d+) (\d+) (\d+)$/.exec(l);
    if (m) out.push({ value: Number(m[1]), sentAt: Number(m[2]), ackAt: Number(m[3]) });
  }
  return out;
}

async function addresses(host: string, id: string): Promise<NodeAddresses> {
  return {
    id,
    raft: `${host}:${await freePort()}`,
    http: `${host}:${await freePort()}`,
    sentinel: `${host}:${await freePort()}`,
  };
}

interface ShardViewLite {
  readonly epoch: number;
  readonly master: { readonly id: string } | null;
  readonly state: string;
}

test(
  'sidecar fencing: a master pod cut off by its veth is fenced within fenceAfterMs; no write issued after the fence is acknowledged by it',
  { timeout: 120_000 },
  async (t) => {
    const why = unavailable();
    if (why !== null) {
      t.skip(why);
      return;
    }
    removeNetwork();
    const dir = makeTempDir('raftinel-fence-');
    const nsProcs: NsProcess[] = [];
    const hostNodes: RaftinelProcess[] = [];
    t.after(async () => {
      for (const p of nsProcs) p.signal('SIGTERM');
      await Promise.all(nsProcs.map((p) => p.stop()));
      await Promise.all(hostNodes.map((n) => n.stop()));
      await stopAllRedis();
      removeNetwork();
      removeDir(dir);
    });
    createNetwork();

    // r1 inside the namespace (the master), r2 and r3 on the host side replicating from it.
    const r1Port = await freePort();
    const r1 = NsProcess.start('r1', REDIS_SERVER_BIN, [
      '--port',
      String(r1Port),
      '--bind',
      NS_IP,
      '127.0.0.1',
      '--protected-mode',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--dbfilename',
      'r1.rdb',
      '--repl-diskless-sync-delay',
      '0',
      '--loglevel',
      'warning',
    ]);
    nsProcs.push(r1);
    await waitFor(
      'r1 answers PING',
      async () => ((await redisQuery(r1Port, ['PING'], { host: NS_IP })) === 'PONG' ? true : undefined),
      { timeoutMs: 10_000 },
    );
    const replicas: RedisServer[] = [];
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await RedisServer.start({
          replicaOf: { host: NS_IP, port: r1Port },
          args: ['--bind', HOST_IP, '127.0.0.1'],
        }),
      );
    }
    const [r2, r3] = replicas;
    await waitFor(
      'r2 and r3 linked to r1',
      async () => {
        const roles = await Promise.all(replicas.map((r) => redisQuery(r.port, ['ROLE'])));
        return roles.every((x) => Array.isArray(x) && x[3] === 'connected') ? true : undefined;
      },
      { timeoutMs: 15_000 },
    );

    const a1 = await addresses(NS_IP, 'n1');
    const a2 = await addresses(HOST_IP, 'n2');
    const a3 = await addresses(HOST_IP, 'n3');
    const peers = [a1, a2, a3].map((a) => ({ id: a.id, raft: a.raft }));
    const shards = [
      {
        name: 'mymaster',
        nodes: [
          { id: 'r1', host: NS_IP, port: r1Port },
          { id: 'r2', host: HOST_IP, port: r2.port },
          { id: 'r3', host: HOST_IP, port: r3.port },
        ],
        initialMaster: 'r1',
      },
    ];
    // Raft listeners off loopback need peer authentication (docs/design.md 2).
    const peerSecretFile = join(dir, 'cluster.secret');
    writeFileSync(peerSecretFile, 'a cluster secret of 32 bytes ok!', { mode: 0o600 });
    const make = (node: NodeAddresses, sidecar?: SidecarConfig): RaftinelProcess =>
      new RaftinelProcess({
        node,
        cluster: 'fence',
        peers,
        dir: join(dir, node.id),
        raft: FAST_RAFT,
        redisPort: r1Port,
        shards,
        defaults: { downAfterMs: DOWN_AFTER_MS, pingIntervalMs: 100 },
        sidecar,
        peerSecretFile,
      });
    // n1: the sidecar of r1, started inside the namespace from the config RaftinelProcess wrote.
    const n1Config = make(a1, { redis: 'r1', fenceAfterMs: FENCE_AFTER_MS });
    const n1 = NsProcess.start('n1', process.execPath, [
      RAFTINEL_BIN,
      'node',
      '--config',
      n1Config.configPath,
      '--debug-routes',
    ]);
    nsProcs.push(n1);
    const n2 = make(a2);
    const n3 = make(a3);
    hostNodes.push(n2, n3);
    n2.start();
    n3.start();
    const shardView = async (node: RaftinelProcess): Promise<ShardViewLite> => {
      const r = await node.get<ShardViewLite>('/v1/shards/mymaster');
      if (r.status !== 200) throw new Error(`${node.id}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const dump = (): string => `--- n1:\n${n1.tail()}\n--- n2:\n${n2.tail()}\n--- n3:\n${n3.tail()}`;
    await waitFor(
      'r1 adopted as the master',
      async () => {
        const v = await shardView(n2);
        return v.master?.id === 'r1' && v.state === 'ok' ? true : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch((err: unknown) => assert.fail(`${err instanceof Error ? err.message : String(err)}\n${dump()}`));
    const leader = (await n2.cluster()).leader;

    // The client inside the namespace.
    const script = join(dir, 'client.mjs');
    writeFileSync(script, CLIENT_SCRIPT);
    const client = NsProcess.start('client', process.execPath, [script, String(r1Port), KEY]);
    nsProcs.push(client);
    await waitFor('the client writes', () => (parseAcks(client.lines).length >= 200 ? true : undefined), {
      timeoutMs: 10_000,
    });

    // Cut the pod off.
    const isolatedAt = Date.now();
    ip('link', 'set', HOST_IF, 'down');
    const failedOver = await waitFor(
      'the majority fails over',
      async () => {
        const v = await shardView(n2);
        return v.epoch >= 1 && v.master !== null && v.master.id !== 'r1' ? v : undefined;
      },
      { timeoutMs: 10 * (DOWN_AFTER_MS + 1000) },
    ).catch((err: unknown) => assert.fail(`${err instanceof Error ? err.message : String(err)}\n${dump()}`));
    const failedOverAt = Date.now();
    const fence = await waitFor('n1 logs +fence', () => n1.events().find((e) => e.event === '+fence'), {
      timeoutMs: FENCE_AFTER_MS + FENCE_MARGIN_MS,
    }).catch((err: unknown) => assert.fail(`${err instanceof Error ? err.message : String(err)}\n${dump()}`));
    const fenceAt = logTime(fence);
    // Stay cut off a while longer: the fence holds.
    await sleep(3 * FENCE_AFTER_MS);

    // Heal, and wait until r1 is a replica of the new master.
    const healedAt = Date.now();
    ip('link', 'set', HOST_IF, 'up');
    const newMaster = failedOver.master?.id === 'r2' ? r2 : r3;
    const demotedAt = await waitFor(
      'r1 replicates from the new master',
      async () => {
        const role = await redisQuery(r1Port, ['ROLE'], { host: NS_IP });
        return Array.isArray(role) && role[0] === 'slave' && Number(role[2]) === newMaster.port
          ? Date.now()
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 5 },
    ).catch((err: unknown) => assert.fail(`${err instanceof Error ? err.message : String(err)}\n${dump()}`));
    await sleep(1000);
    client.signal('SIGTERM');
    await Promise.race([client.exited, sleep(5000)]);

    const acks = parseAcks(client.lines);
    const errors = client.lines.filter((l) => l.startsWith('err ') || l.startsWith('timeout '));
    const errorKinds = new Map<string, number>();
    for (const l of errors) {
      const kind = l.startsWith('timeout ') ? 'timeout' : (l.split(' ')[3] ?? '?');
      errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
    }
    const betweenIsolationAndFence = acks.filter((a) => a.ackAt > isolatedAt && a.sentAt <= fenceAt);
    const afterFence = acks.filter((a) => a.sentAt > fenceAt);
    const newValue = (await redisGetNumber(newMaster.port, KEY)) ?? 0;
    const lost = acks.filter((a) => a.value > newValue).length;
    const unfence = n1.events().find((e) => e.event === '-fence' && logTime(e) > fenceAt);
    t.diagnostic(
      `leader before isolation ${leader}; failover to ${failedOver.master?.id} committed by ${failedOverAt - isolatedAt} ms after isolation (downAfterMs ${DOWN_AFTER_MS})`,
    );
    t.diagnostic(
      `+fence ${fenceAt - isolatedAt} ms after isolation (fenceAfterMs ${FENCE_AFTER_MS}); -fence ${unfence ? `${logTime(unfence) - healedAt} ms after the heal` : 'not logged'}; r1 a replica of ${failedOver.master?.id} ${demotedAt - healedAt} ms after the heal`,
    );
    t.diagnostic(
      `client: ${acks.length} acks, ${errors.length} errors/timeouts (${JSON.stringify(Object.fromEntries(errorKinds))}); acknowledged by r1 between isolation and fence: ${betweenIsolationAndFence.length}; issued after the fence and acknowledged: ${afterFence.length}; acks the new master lacks (lost): ${lost}`,
    );
    const n1AfterHeal = n1
      .events()
      .filter((e) => typeof e.event === 'string' && e.component !== 'prober' && logTime(e) >= healedAt)
      .slice(0, 12)
      .map((e) => `${String(e.event)}+${logTime(e) - healedAt}`);
    t.diagnostic(`n1 after the heal (ms): ${n1AfterHeal.join(', ')}`);
    if (afterFence.length > 0) {
      const first = afterFence[0];
      t.diagnostic(
        `first write issued after the fence and acknowledged: value ${first.value}, sent ${first.sentAt - fenceAt} ms after +fence (${first.sentAt - healedAt} ms after the heal), acknowledged ${first.ackAt - healedAt} ms after the heal`,
      );
    }
    assert.ok(
      fenceAt - isolatedAt <= FENCE_AFTER_MS + FENCE_MARGIN_MS,
      `fence engaged ${fenceAt - isolatedAt} ms after isolation`,
    );
    assert.ok(
      failedOver.master?.id === 'r2' || failedOver.master?.id === 'r3',
      'the majority promoted a host-side replica',
    );
    assert.equal(
      afterFence.length,
      0,
      `no write issued after the fence is acknowledged by the old master; got ${afterFence.length} (first: ${JSON.stringify(afterFence[0])}, fence at ${fenceAt}, heal at ${healedAt})`,
    );
  },
);
