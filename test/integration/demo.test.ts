// `raftinel demo` as a user runs it (docs/design.md 6): a child process without a TTY that must exit 0
// by itself, print the failover timeline and the drill report as plain lines, and leave nothing
// behind: no process it started (every PID it printed is gone, and no process names its temp
// dir) and no temp dir. A SIGTERM or a Ctrl-C in the middle must clean up the same way.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RAFTINEL_BIN, trackChild } from '../helpers/raftinel-process.js';
import { runRaftinel } from '../helpers/run-cli.js';
import { sleep } from '../helpers/wait.js';

/** Every "pid N" the demo printed: its redis-server and raftinel children, and the signal line's list. */
function printedPids(stdout: string): number[] {
  const pids = new Set<number>();
  for (const m of stdout.matchAll(/\bpids? ((?:\d+ ?)+)/g))
    for (const p of m[1].trim().split(' ')) pids.add(Number(p));
  return [...pids];
}

/** Alive: /proc has it and it is not a zombie waiting for a parent that will never reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Processes whose command line names `dir` (the raftinel nodes do; redis-server retitles itself). */
function processesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || !alive(Number(entry))) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir)) found.push(`${entry}: ${cmd}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function assertNothingLeft(stdout: string, minPids: number): Promise<void> {
  const dir = /^data and logs in (\S+)$/m.exec(stdout)?.[1];
  assert.ok(dir, `the output names the temp dir:\n${stdout}`);
  const pids = printedPids(stdout);
  assert.ok(pids.length >= minPids, `at least ${minPids} pids printed, got ${pids.join(' ')}:\n${stdout}`);
  // The demo waits for its children before exiting; a short grace covers the kernel's bookkeeping.
  for (let i = 0; i < 20 && pids.some(alive); i++) await sleep(50);
  assert.deepEqual(pids.filter(alive), [], `processes the demo started are still running:\n${stdout}`);
  assert.deepEqual(processesNaming(dir), [], 'no process names the demo temp dir');
  assert.ok(!existsSync(dir), `the demo removed its temp dir ${dir}`);
}

test(
  'raftinel demo: failover timeline, drill report, exit 0, nothing left behind',
  { timeout: 150_000 },
  async (t) => {
    const r = await runRaftinel(['demo'], { timeoutMs: 120_000 });
    t.diagnostic(`demo took ${Math.round(r.elapsedMs)} ms`);
    const out = r.stdout;
    assert.equal(r.code, 0, `exit code; stdout:\n${out}\nstderr:\n${r.stderr}`);
    assert.equal(r.stderr, '', 'nothing on stderr');
    assert.ok(!out.includes('\x1b') && !out.includes('\r'), 'plain lines when stdout is not a TTY');

    // The live status as plain lines, once a second.
    assert.match(out, /^\[\s*[\d.]+s\] master r1, epoch 0, state ok \| \d+ writes\/s, \d+ acknowledged/m);
    assert.match(out, /^\[\s*[\d.]+s\] SIGKILL redis-server r1 \(pid \d+\), the master/m);
    assert.match(out, /live status page: http:\/\/127\.0\.0\.1:\d+\/ui /);

    // The timeline: each step's time after the kill, in order.
    const at = (what: string): number => {
      const m = new RegExp(`^  ${what}\\s+\\+(\\d+\\.\\d+) s  `, 'm').exec(out);
      assert.ok(m, `timeline line "${what}":\n${out}`);
      return Number(m[1]);
    };
    const detected = at('detected');
    const committed = at('committed');
    const promoted = at('promoted');
    const firstWrite = at('first write');
    const repointed = at('repointed');
    assert.ok(detected <= committed && committed <= promoted && promoted <= repointed, out);
    assert.ok(
      firstWrite >= promoted - 0.05,
      `the first write on the new master follows the promotion:\n${out}`,
    );
    const lost = /^ {2}lost writes\s+(\d+) {2}/m.exec(out);
    assert.ok(lost, `timeline line "lost writes":\n${out}`);
    t.diagnostic(
      `kill -> detected ${detected} s, committed ${committed} s, promoted ${promoted} s, first write ${firstWrite} s, repointed ${repointed} s; lost ${lost[1]}`,
    );
    const to = /FailoverStarted, epoch 1: r1 -> (r[23])/.exec(out)?.[1];
    assert.ok(to, out);
    assert.match(out, new RegExp(`r1 is a replica of ${to} again, link up`));

    // The drill back, as `raftinel promote` printed it, and the totals.
    assert.match(out, new RegExp(`^  \\| drill report: mymaster ${to} -> r1, epoch 2$`, 'm'));
    assert.match(out, /^ {2}\| {3}write pause +\d+ ms$/m);
    assert.match(out, /^ {2}\| switchover of mymaster finished: master r1, epoch 2, writes unpaused$/m);
    assert.match(out, /^ {2}acknowledged writes lost in the drill \(.*\): 0$/m);
    const acked = /^ {2}(\d+) writes acknowledged/m.exec(out);
    const counter = /^ {2}counter on r1, the master at the end \(epoch 2\): (\d+)$/m.exec(out);
    assert.ok(acked && counter, out);
    assert.ok(
      Number(counter[1]) >= Number(acked[1]) - Number(lost[1]),
      'the counter holds every acknowledged write',
    );
    assert.match(out, /every process the demo started has exited; removed /);
    await assertNothingLeft(out, 7);
  },
);

for (const { signal, code, when } of [
  { signal: 'SIGTERM', code: 143, when: /^\[\s*[\d.]+s\] writer: /m },
  { signal: 'SIGINT', code: 130, when: /^\[\s*[\d.]+s\] promote drill back to r1/m },
] as const) {
  test(
    `raftinel demo: ${signal} while it runs stops every process it started`,
    { timeout: 90_000 },
    async (t) => {
      const child = spawn(process.execPath, [RAFTINEL_BIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
      trackChild(child);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const closed = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      const deadline = performance.now() + 60_000;
      while (!when.test(stdout)) {
        assert.ok(performance.now() < deadline, `the demo never reached ${when}:\n${stdout}\n${stderr}`);
        assert.equal(child.exitCode, null, `the demo exited early:\n${stdout}\n${stderr}`);
        await sleep(20);
      }
      const sentAt = performance.now();
      child.kill(signal);
      const exitCode = await closed;
      t.diagnostic(`exited ${Math.round(performance.now() - sentAt)} ms after ${signal}`);
      assert.equal(exitCode, code, `exit code; stdout:\n${stdout}\nstderr:\n${stderr}`);
      assert.match(
        stdout,
        new RegExp(`^${signal}: stopped every process the demo started \\(pids [\\d ]+\\) and removed `, 'm'),
      );
      assert.doesNotMatch(stdout, /demo failed/);
      await assertNothingLeft(stdout, 6);
    },
  );
}
