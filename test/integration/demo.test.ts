// `raftinel demo` as a user runs it: a child process that must exit 0 by itself and tell which
// leader was killed and which one took over in a higher term.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runRaftinel } from '../helpers/run-cli.js';

test('raftinel demo exits 0 and names the old and the new leader', { timeout: 120_000 }, async (t) => {
  // Not a TTY here: the output must be plain lines without escape codes.
  const r = await runRaftinel(['demo'], { timeoutMs: 90_000 });
  t.diagnostic(`demo took ${Math.round(r.elapsedMs)} ms`);
  assert.equal(r.code, 0, `exit code; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.ok(!r.stdout.includes('\x1b['), 'no colour codes when stdout is not a TTY');
  const old = /^\[\s*[\d.]+s\] leader: (\S+), term (\d+)$/m.exec(r.stdout);
  const next = /^\[\s*[\d.]+s\] new leader: (\S+), term (\d+) \((\d+) ms after the kill\)$/m.exec(r.stdout);
  assert.ok(old, `the output names the first leader:\n${r.stdout}`);
  assert.ok(next, `the output names the new leader:\n${r.stdout}`);
  assert.notEqual(next[1], old[1], 'a different node leads');
  assert.ok(Number(next[2]) > Number(old[2]), `term ${next[2]} after ${old[2]}`);
  assert.match(r.stdout, new RegExp(`SIGKILL leader ${old[1]} \\(pid \\d+\\)`));
  const dir = /data and logs in (\S+)$/m.exec(r.stdout)?.[1];
  assert.ok(dir && !existsSync(dir), `the demo removed its temp dir ${dir}`);
});
