// Runs the raftinel binary to completion (for commands that should exit by themselves) with a
// hang guard that kills the child by PID.
import { spawn } from 'node:child_process';
import { RAFTINEL_BIN, trackChild, type RaftinelProcess } from './raftinel-process.js';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export function runRaftinel(
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = performance.now();
  const child = spawn(process.execPath, [RAFTINEL_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(
        new Error(
          `raftinel ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started });
    });
  });
}

/** A run's exit code and both outputs, for assertion messages. */
export function showResult(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Runs `raftinel <args> --endpoint <the nodes' HTTP URLs>` with `adminToken` in RAFTINEL_TOKEN. */
export function runRaftinelAt(
  args: readonly string[],
  nodes: readonly RaftinelProcess[],
  adminToken: string,
): Promise<CliResult> {
  return runRaftinel([...args, '--endpoint', nodes.map((n) => n.httpUrl).join(',')], {
    env: { ...process.env, RAFTINEL_TOKEN: adminToken },
    timeoutMs: 30_000,
  });
}
