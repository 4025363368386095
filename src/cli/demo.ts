// `raftinel demo`: a local cluster on loopback that shows a failover and exits by itself.
// At this stage it shows Raft alone: three `raftinel node` children, the leader is SIGKILLed,
// a new one takes over. The Redis part (DESIGN.md 6: 3 redis-server, a live writer, a killed
// master, a promote drill back) plugs in as more steps on the same Demo object: children of any
// kind go through Demo.spawn, so Ctrl-C and every exit path kill them by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/** The built CLI next to this module (dist/src/cli/main.js), whatever the working directory. */
const RAFTINEL_BIN = fileURLToPath(new URL('./main.js', import.meta.url));
const HOST = '127.0.0.1';
const NODE_IDS = ['n1', 'n2', 'n3'] as const;
/** Hang guard for the whole demo; a normal run takes a few seconds. */
const DEMO_TIMEOUT_MS = 60_000;

export async function runDemo(): Promise<number> {
  const demo = new Demo(new Printer(process.stdout));
  const onSignal = (signal: NodeJS.Signals): void => {
    demo.out.line(`${signal}: stopping the demo`);
    demo.killAllNow();
    demo.removeDir();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  // The exit hook covers paths that skip the finally below (an uncaught error, process.exit).
  const onExit = (): void => demo.killAllNow();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  const guard = setTimeout(
    () => demo.abort(`the demo did not finish within ${DEMO_TIMEOUT_MS / 1000} s`),
    DEMO_TIMEOUT_MS,
  );
  try {
    const cluster = await RaftCluster.start(demo);
    await raftFailover(demo, cluster);
    await demo.stopAll();
    demo.removeDir();
    return 0;
  } catch (err) {
    demo.out.line(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    demo.out.line(`node logs kept in ${demo.dir}`);
    demo.killAllNow();
    return 1;
  } finally {
    clearTimeout(guard);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}

/** Step: show the leader, SIGKILL it, show who takes over and how long that took. */
async function raftFailover(demo: Demo, cluster: RaftCluster): Promise<void> {
  const first = await cluster.waitForLeader(cluster.nodes, 0);
  demo.out.step(`leader: ${first.leader}, term ${first.term}`);
  const victim = cluster.node(first.leader);
  const killedAt = performance.now();
  killPid(victim.child.pid, 'SIGKILL');
  demo.out.step(`SIGKILL leader ${victim.id} (pid ${victim.child.pid})`);
  const survivors = cluster.nodes.filter((n) => n !== victim);
  const next = await cluster.waitForLeader(survivors, first.term + 1);
  const tookMs = Math.round(performance.now() - killedAt);
  demo.out.step(`new leader: ${next.leader}, term ${next.term} (${tookMs} ms after the kill)`);
  demo.out.summary(
    `failover: leader ${first.leader} (term ${first.term}) -> ${next.leader} (term ${next.term}) in ${tookMs} ms`,
  );
}

interface LeaderView {
  readonly leader: string;
  readonly term: number;
}

interface DemoNode {
  readonly id: string;
  readonly http: string;
  readonly child: ChildProcess;
}

class RaftCluster {
  private constructor(
    private readonly demo: Demo,
    readonly nodes: DemoNode[],
  ) {}

  static async start(demo: Demo): Promise<RaftCluster> {
    const addrs = [];
    for (const id of NODE_IDS) {
      addrs.push({
        id,
        raft: await demo.freeAddress(),
        http: await demo.freeAddress(),
        sentinel: await demo.freeAddress(),
      });
    }
    // The schema needs a shard; nothing is listening there until the Redis part of the demo.
    const redisPort = await demo.freePort();
    const nodes: DemoNode[] = [];
    for (const a of addrs) {
      const dir = join(demo.dir, a.id);
      mkdirSync(dir, { recursive: true });
      const configPath = join(dir, 'raftinel.yaml');
      const config = {
        cluster: 'demo',
        node: {
          id: a.id,
          dataDir: join(dir, 'data'),
          listen: { sentinel: a.sentinel, http: a.http, raft: a.raft },
        },
        peers: addrs.map((p) => ({ id: p.id, raft: p.raft })),
        shards: [
          { name: 'mymaster', nodes: [{ id: 'r1', host: HOST, port: redisPort }], initialMaster: 'r1' },
        ],
      };
      writeFileSync(configPath, stringify(config));
      const child = demo.spawn(
        a.id,
        process.execPath,
        [RAFTINEL_BIN, 'node', '--config', configPath],
        join(dir, 'node.log'),
      );
      nodes.push({ id: a.id, http: a.http, child });
    }
    demo.out.step(`started ${nodes.map((n) => `${n.id} (pid ${n.child.pid}, http ${n.http})`).join(', ')}`);
    return new RaftCluster(demo, nodes);
  }

  node(id: string): DemoNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Polls /v1/cluster of `among` until all of them name the same leader in a term >= minTerm. */
  async waitForLeader(among: DemoNode[], minTerm: number): Promise<LeaderView> {
    for (;;) {
      this.demo.throwIfAborted();
      const views = await Promise.all(
        among.map((n) => getJson(`http://${n.http}/v1/cluster`).catch(() => null)),
      );
      const first = views[0];
      if (first && isClusterView(first) && first.leader !== null && first.term >= minTerm) {
        const agreed = views.every(
          (v) => v && isClusterView(v) && v.leader === first.leader && v.term === first.term,
        );
        if (agreed && among.some((n) => n.id === first.leader))
          return { leader: first.leader, term: first.term };
      }
      await sleep(10);
    }
  }
}

/** Children, the temp dir and the output of one demo run. */
class Demo {
  readonly dir = mkdtempSync(join(tmpdir(), 'raftinel-demo-'));
  private readonly children = new Map<string, ChildProcess>();
  private aborted: string | null = null;

  constructor(readonly out: Printer) {
    out.line(`raftinel demo: a 3-node cluster on ${HOST}, data and logs in ${this.dir}`);
  }

  /** Starts a child whose stdout and stderr go to logFile; it is tracked for cleanup by PID. */
  spawn(name: string, command: string, args: string[], logFile: string): ChildProcess {
    const log = createWriteStream(logFile);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.children.set(name, child);
    child.once('exit', () => this.children.delete(name));
    return child;
  }

  async freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ host: HOST, port: 0 }, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
  }

  async freeAddress(): Promise<string> {
    return `${HOST}:${await this.freePort()}`;
  }

  /** Graceful stop of what is still running: SIGTERM, then SIGKILL after 2 s. */
  async stopAll(): Promise<void> {
    const running = [...this.children.entries()];
    if (running.length === 0) return;
    this.out.step(`stopping ${running.map(([name]) => name).join(', ')}`);
    await Promise.all(
      running.map(
        ([, child]) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => killPid(child.pid, 'SIGKILL'), 2000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            killPid(child.pid, 'SIGTERM');
          }),
      ),
    );
  }

  /** Synchronous, for signal and exit handlers. */
  killAllNow(): void {
    for (const child of this.children.values()) killPid(child.pid, 'SIGKILL');
    this.children.clear();
  }

  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  abort(reason: string): void {
    this.aborted = reason;
  }

  throwIfAborted(): void {
    if (this.aborted !== null) throw new Error(this.aborted);
  }
}

function killPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Plain lines when stdout is not a terminal (logs, CI, tests); a little colour when it is. */
class Printer {
  private readonly started = performance.now();
  private readonly color: boolean;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.color = stream.isTTY === true && !process.env.NO_COLOR;
  }

  line(text: string): void {
    this.stream.write(`${text}\n`);
  }

  step(text: string): void {
    const at = ((performance.now() - this.started) / 1000).toFixed(2).padStart(6);
    this.line(`${this.paint('2', `[${at}s]`)} ${text}`);
  }

  summary(text: string): void {
    this.line(this.paint('1;32', text));
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

interface ClusterViewLite {
  readonly leader: string | null;
  readonly term: number;
}

function isClusterView(v: unknown): v is ClusterViewLite {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.term === 'number' && (o.leader === null || typeof o.leader === 'string');
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer`)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
