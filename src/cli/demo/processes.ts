// The children, the temp dir and the failure state of one demo run. Every process the demo
// starts goes through spawn() here, so that every way out (the end, a failure, Ctrl-C, SIGTERM,
// an uncaught error) stops each of them by its PID: other redis-server and raftinel processes
// may run on the same machine, so nothing is ever signalled by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HOST = '127.0.0.1';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Where its stdout and stderr go, or null when the caller reads them. */
  readonly logFile: string | null;
  /** Set before the demo stops or kills it on purpose: its exit is then no failure. */
  expectExit: boolean;
  readonly exited: Promise<void>;
}

export interface SpawnOptions {
  /** stdout and stderr appended to this file; without it the caller reads child.process.stdout. */
  readonly logFile?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export class Processes {
  readonly dir = mkdtempSync(join(tmpdir(), 'raftinel-demo-'));
  private readonly children = new Map<string, Child>();
  private failure: string | null = null;
  private readonly failed: Promise<never>;
  private rejectFailed: (err: Error) => void = () => undefined;

  constructor() {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.rejectFailed = reject;
    });
    // Nobody may be racing against it at the moment it fails; that is no unhandled rejection.
    this.failed.catch(() => undefined);
  }

  /** Starts a child tracked for cleanup; an exit the demo did not ask for fails the demo. */
  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Child {
    const proc = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C on a terminal reaches the demo alone, which then stops
      // every child itself, in order, and can tell that apart from a child that died.
      detached: true,
      cwd: options.cwd,
      env: options.env ?? process.env,
    });
    if (proc.pid === undefined) {
      // spawn reports ENOENT and friends with an 'error' event later; a missing pid says it now.
      proc.once('error', () => undefined);
      throw new Error(`could not start ${name} (${command})`);
    }
    if (options.logFile) {
      const log = createWriteStream(options.logFile, { flags: 'a' });
      proc.stdout?.pipe(log);
      proc.stderr?.pipe(log);
    }
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const child: Child = {
      name,
      process: proc,
      pid: proc.pid,
      logFile: options.logFile ?? null,
      expectExit: false,
      exited,
    };
    this.children.set(name, child);
    proc.once('error', (err) => this.fail(`${name}: ${err.message}`));
    proc.once('exit', (code, signal) => {
      if (this.children.get(name) === child) this.children.delete(name);
      if (!child.expectExit) {
        this.fail(
          `${name} (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`})${this.logTail(child)}`,
        );
      }
    });
    return child;
  }

  get(name: string): Child | undefined {
    return this.children.get(name);
  }

  /** Sends a signal to one child by its PID and waits for it to exit. */
  async kill(child: Child, signal: NodeJS.Signals): Promise<void> {
    child.expectExit = true;
    killPid(child.pid, signal);
    await child.exited;
  }

  /** Graceful stop, group by group: SIGTERM, then SIGKILL after graceMs. */
  async stop(children: readonly Child[], graceMs = 2000): Promise<void> {
    await Promise.all(
      children.map(async (child) => {
        child.expectExit = true;
        const timer = setTimeout(() => killPid(child.pid, 'SIGKILL'), graceMs);
        killPid(child.pid, 'SIGTERM');
        await child.exited;
        clearTimeout(timer);
      }),
    );
  }

  /** What still runs, in start order. */
  running(): Child[] {
    return [...this.children.values()];
  }

  /** SIGKILL to everything still running, synchronously (signal and exit handlers). */
  killAllNow(): void {
    for (const child of this.children.values()) {
      child.expectExit = true;
      killPid(child.pid, 'SIGKILL');
    }
  }

  /** Waits (bounded) until every child has exited, so that none outlives the demo. */
  async waitAllExited(timeoutMs: number): Promise<void> {
    const all = Promise.all([...this.children.values()].map((c) => c.exited));
    await Promise.race([all, sleep(timeoutMs)]);
  }

  removeDir(): void {
    // A dying replica may still be writing its temp RDB file: rmSync retries ENOTEMPTY.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
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

  /** Marks the demo failed; every wait notices (throwIfFailed, or the race in guard()). */
  fail(reason: string): void {
    if (this.failure !== null) return;
    this.failure = reason;
    this.rejectFailed(new Error(reason));
  }

  throwIfFailed(): void {
    if (this.failure !== null) throw new Error(this.failure);
  }

  /** Resolves as `work` does, or rejects as soon as the demo fails (a child died, the guard fired). */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.failed]);
  }

  /** Polls `probe` until it returns a value; fails with what it waited for and the last answer. */
  async waitUntil<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs: number,
    intervalMs = 25,
  ): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      this.throwIfFailed();
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (performance.now() >= deadline)
        throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last error: ${last})`);
      await sleep(intervalMs);
    }
  }

  private logTail(child: Child): string {
    if (!child.logFile || !existsSync(child.logFile)) return '';
    const lines = readFileSync(child.logFile, 'utf8').trimEnd().split('\n').slice(-5);
    return lines.length > 0 && lines[0] !== '' ? `; last lines of its log:\n  ${lines.join('\n  ')}` : '';
  }
}

export function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
