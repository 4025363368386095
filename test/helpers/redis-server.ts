// Real redis-server processes for integration tests (docs/design.md 9): started on free loopback
// ports with persistence off, signalled by PID only (other engineers' Redis processes share
// this machine, so never by name), and stopped by `stopAllRedis()` in a test's `after`.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { freePort } from './ports.js';
import { makeTempDir, removeDir } from './temp.js';
import { StopWaiting, waitFor } from './wait.js';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export interface RedisServerOptions {
  /** Fixed port (a restart on the same port); a free one when absent. */
  readonly port?: number;
  readonly replicaOf?: { readonly host: string; readonly port: number };
  readonly requirePass?: string;
  /** TLS only: the port serves TLS (no plain listener), with this cert, key and client CA. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  /** A config file to start from (CONFIG REWRITE needs one); the options below override it. */
  readonly configFile?: string;
  /** Further `--name value` arguments, as redis-server takes them. */
  readonly args?: readonly string[];
  readonly readyTimeoutMs?: number;
  /**
   * A working dir the caller owns and keeps after the exit (a restart with the data left there);
   * absent: a fresh temp dir, removed when the process exits.
   */
  readonly dir?: string;
  /** The one loopback address it listens on (127.0.0.1 when absent). */
  readonly bind?: string;
}

const running = new Set<RedisServer>();
let exitHookInstalled = false;

/** A test process that dies early must not leave its Redis servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of running) {
      s.kill();
      if (s.ownsDir) removeDir(s.dir);
    }
  });
}

export class RedisServer {
  private readonly output: string[] = [];
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    readonly args: readonly string[],
    /** Working dir: a replica writes the RDB it receives here, and a restart would load it. */
    readonly dir: string,
    readonly secure: boolean,
    readonly ownsDir: boolean,
    /** The address it listens on. */
    readonly host: string,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        running.delete(this);
        if (ownsDir) removeDir(dir);
        resolve();
      });
    });
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const dir = options.dir ?? makeTempDir('raftinel-redis-');
    const args = [
      ...(options.configFile ? [options.configFile] : []),
      '--dir',
      dir,
      ...(options.tls
        ? [
            '--port',
            '0',
            '--tls-port',
            String(port),
            '--tls-cert-file',
            options.tls.cert,
            '--tls-key-file',
            options.tls.key,
            '--tls-ca-cert-file',
            options.tls.ca,
            '--tls-auth-clients',
            'no',
          ]
        : ['--port', String(port)]),
      '--bind',
      options.bind ?? '127.0.0.1',
      // Tests connect from 127.0.0.2, 127.0.0.3 ... (source addresses), which protected mode refuses.
      '--protected-mode',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      // 7.0 waits 5 s for more replicas before a diskless full sync; tests want the link up now.
      '--repl-diskless-sync-delay',
      '0',
      ...(options.replicaOf ? ['--replicaof', options.replicaOf.host, String(options.replicaOf.port)] : []),
      ...(options.requirePass !== undefined ? ['--requirepass', options.requirePass] : []),
      ...(options.args ?? []),
    ];
    installExitHook();
    const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    const server = new RedisServer(
      port,
      child,
      args,
      dir,
      options.tls !== undefined,
      options.dir === undefined,
      options.bind ?? '127.0.0.1',
    );
    running.add(server);
    try {
      await server.waitReady(options.readyTimeoutMs ?? 10_000);
    } catch (err) {
      server.kill();
      throw err;
    }
    return server;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get alive(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  get address(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  /** The last lines redis-server printed, for a failing test's message. */
  logTail(lines = 20): string {
    return this.output.slice(-lines).join('\n');
  }

  /** Waits until the port answers PING with anything Redis would say (PONG, NOAUTH, LOADING). */
  async waitReady(timeoutMs: number): Promise<void> {
    await waitFor(
      `redis-server on port ${this.port}`,
      async () => {
        if (!this.alive)
          throw new StopWaiting(
            `redis-server exited (${this.exitCode ?? this.exitSignal}): ${this.logTail()}`,
          );
        const line = await rawCommand(this.port, 'PING', this.host, 1000, this.secure);
        return /^(\+PONG|-NOAUTH|-LOADING)/.test(line) ? true : undefined;
      },
      { timeoutMs, intervalMs: 20 },
    );
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) process.kill(this.pid, sig);
  }

  /** SIGSTOP: the process hangs with its sockets open, as under a long stall. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  kill(): void {
    // A stopped process would otherwise not exit before SIGCONT.
    this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    this.kill();
    await this.exited;
  }
}

/** Sends one inline command on a fresh socket and returns the first reply line. */
export function rawCommand(
  port: number,
  command: string,
  host = '127.0.0.1',
  timeoutMs = 1000,
  secure = false,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // Readiness only: the test's own clients verify the certificate.
    const socket = secure
      ? tls.connect({ host, port, rejectUnauthorized: false })
      : net.connect({ host, port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(secure ? 'secureConnect' : 'connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const nl = data.indexOf('\r\n');
      if (nl >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.slice(0, nl));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  return RedisServer.start(options);
}

/** Kills every redis-server this process started and still runs (for `after` hooks). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}
