// Child processes a test starts and must stop by PID (redis-sentinel, `raftinel node`): tracked so
// that a failed test still kills them, their output kept (the last 8000 characters) for messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { trackChild } from './raftinel-process.js';

export interface Tracked {
  readonly child: ChildProcess;
  readonly output: () => string;
}

const children: ChildProcess[] = [];

export function spawnTracked(command: string, args: string[], cwd: string): Tracked {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  children.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out = (out + c).slice(-8000)));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out = (out + c).slice(-8000)));
  return { child, output: () => out };
}

/** SIGTERM, and wait for the exit. */
export async function stopTracked(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

/** SIGKILL for every tracked child still running (an `after` hook's job). */
export function killTracked(): void {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
}
