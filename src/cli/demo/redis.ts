// The demo's redis-server children: one config file each (so that CONFIG REWRITE works, as on a
// real install), no persistence, loopback only, and a restart that comes back empty, as a crashed
// Redis without persistence does.
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { HOST, type Child, type Processes } from './processes.js';

/** redis-server from REDIS_SERVER_BIN, else the first one on PATH; null when there is none. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.REDIS_SERVER_BIN
    ? [env.REDIS_SERVER_BIN]
    : (env.PATH ?? '').split(delimiter).map((d) => join(d, 'redis-server'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

export interface RoleView {
  readonly role: 'master' | 'slave' | 'other';
  /** A replica's master port, else null. */
  readonly masterPort: number | null;
  /** A replica's link state (connected, connecting, sync, ...), else null. */
  readonly link: string | null;
}

export class DemoRedis {
  child: Child | null = null;
  readonly dir: string;
  readonly confPath: string;
  /** How many times it was started (the first start is 1). */
  private runs = 0;

  constructor(
    private readonly procs: Processes,
    private readonly bin: string,
    readonly id: string,
    readonly port: number,
    replicaOf: number | null,
  ) {
    this.dir = join(procs.dir, id);
    mkdirSync(this.dir, { recursive: true });
    this.confPath = join(this.dir, 'redis.conf');
    const lines = [
      `port ${port}`,
      `bind ${HOST}`,
      `dir ${this.dir}`,
      // A cache-like Redis without persistence: a restart comes back empty.
      'save ""',
      'appendonly no',
      'daemonize no',
      'loglevel warning',
      // 7.0 waits 5 s for more replicas before a diskless full sync; the demo wants links up now.
      'repl-diskless-sync yes',
      'repl-diskless-sync-delay 0',
      // Stopping at the end must not wait up to 10 s for replicas that are stopping too.
      'shutdown-timeout 1',
      ...(replicaOf !== null ? [`replicaof ${HOST} ${replicaOf}`] : []),
    ];
    writeFileSync(this.confPath, lines.join('\n') + '\n');
  }

  get address(): string {
    return `${HOST}:${this.port}`;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Starts redis-server from its config file and waits until it answers PING. */
  async start(): Promise<void> {
    this.runs++;
    const name = this.runs === 1 ? `redis ${this.id}` : `redis ${this.id} (run ${this.runs})`;
    this.child = this.procs.spawn(name, this.bin, [this.confPath], {
      cwd: this.dir,
      logFile: join(this.dir, 'redis.log'),
    });
    await this.procs.waitUntil(
      `redis-server ${this.id} on port ${this.port}`,
      async () => ((await command(this.port, ['PING'])) === 'PONG' ? true : undefined),
      10_000,
      20,
    );
  }

  async role(): Promise<RoleView> {
    const reply = await command(this.port, ['ROLE']);
    if (!Array.isArray(reply)) throw new Error(`ROLE on ${this.id}: unexpected reply`);
    const [role, , port, link] = reply as unknown[];
    if (role === 'slave')
      return { role: 'slave', masterPort: Number(port), link: typeof link === 'string' ? link : null };
    return { role: role === 'master' ? 'master' : 'other', masterPort: null, link: null };
  }
}

/** One command on a short-lived connection (status checks; never retried behind the caller's back). */
export async function command(port: number, args: readonly string[], timeoutMs = 1000): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [name, ...rest] = args;
    return await client.call(name, ...rest);
  } finally {
    client.disconnect();
  }
}
