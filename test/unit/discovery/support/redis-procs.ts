// Real redis-server and redis-sentinel processes for the RESP integration tests: started on
// free loopback ports in a temp dir, stopped by the test (by their own pid, never by name).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from './raw-client.js';

export function haveBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** A port the kernel considers free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RedisProcess {
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

async function waitForPong(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${last}`);
    try {
      const client = await RawClient.connect(port);
      const reply = await client.call('PING');
      client.close();
      if (reply.t === 'simple' && reply.v === 'PONG') return;
      last = JSON.stringify(reply);
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} on port ${port} not ready after 10 s: ${last}`);
}

function track(child: ChildProcess, port: number, output: string[]): RedisProcess {
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function startRedis(dir: string, options: { replicaOf?: number } = {}): Promise<RedisProcess> {
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
  args.push('--dbfilename', `dump-${port}.rdb`, '--logfile', '');
  if (options.replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
  const output: string[] = [];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child, port, output);
  await waitForPong(port, child, 'redis-server').catch((err: Error) => {
    throw new Error(`${err.message}\n${output.join('')}`);
  });
  return proc;
}

export async function startSentinel(
  dir: string,
  options: { name: string; masterPort: number; quorum: number; downAfterMs?: number },
): Promise<RedisProcess> {
  const port = await freePort();
  const conf = join(dir, `sentinel-${port}.conf`);
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${options.name} 127.0.0.1 ${options.masterPort} ${options.quorum}`,
      `sentinel down-after-milliseconds ${options.name} ${options.downAfterMs ?? 5000}`,
      '',
    ].join('\n'),
  );
  const output: string[] = [];
  const child = spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child, port, output);
  await waitForPong(port, child, 'redis-sentinel').catch((err: Error) => {
    throw new Error(`${err.message}\n${output.join('')}`);
  });
  return proc;
}

/** Polls `probe` until it returns a value (not undefined); a hang guard, not a speed claim. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${last instanceof Error ? last.message : String(last)}`);
}

/** Runs a program without blocking the event loop (an in-process server must keep answering). */
export function runProcess(
  file: string,
  args: readonly string[],
  timeoutMs = 20_000,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}
