// The chaos run of seed 17 lost node n1 around its third fault and the harness could not say why:
// a node's output lived in memory only and an exit nobody asked for went unnoticed. The helper
// now streams each run's output to a file as it comes and keeps every exit it did not cause.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../helpers/ports.js';
import { RaftinelProcess } from '../../helpers/raftinel-process.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

async function makeNode(dir: string): Promise<RaftinelProcess> {
  const node = {
    id: 'n1',
    raft: `127.0.0.1:${await freePort()}`,
    http: `127.0.0.1:${await freePort()}`,
    sentinel: `127.0.0.1:${await freePort()}`,
  };
  return new RaftinelProcess({
    node,
    cluster: 'helper-test',
    peers: [{ id: 'n1', raft: node.raft }],
    dir,
    redisPort: await freePort(),
    outputFile: join(dir, 'n1.out'),
  });
}

test('a node that exits on its own is kept as an unexpected exit, its stderr on disk', async (t) => {
  const dir = makeTempDir('raftinel-process-');
  t.after(() => removeDir(dir));
  const n = await makeNode(dir);
  writeFileSync(n.configPath, 'cluster: [unclosed\n');
  n.start();
  const status = await n.waitExit(30_000);
  assert.notEqual(status.code, 0);
  assert.equal(n.unexpectedExits.length, 1);
  assert.equal(n.unexpectedExits[0].code, status.code);
  const saved = readFileSync(join(dir, 'n1.out'), 'utf8');
  assert.ok(n.stderr.trim().length > 0, 'the node says why it stopped');
  assert.ok(saved.includes(n.stderr.trim().split('\n')[0]), saved);
  assert.match(saved, new RegExp(`exit code ${status.code}`));
});

test('a node this helper kills is no unexpected exit; output of every run is appended', async (t) => {
  const dir = makeTempDir('raftinel-process-');
  const n = await makeNode(dir);
  t.after(async () => {
    await n.stop();
    removeDir(dir);
  });
  for (let run = 0; run < 2; run++) {
    n.start();
    await n.waitLive(30_000);
    await n.kill();
  }
  assert.deepEqual(n.unexpectedExits, []);
  const saved = readFileSync(join(dir, 'n1.out'), 'utf8');
  assert.equal(saved.match(/^--- .* start pid \d+$/gm)?.length, 2, saved);
  assert.equal(saved.match(/exit code null signal SIGKILL/g)?.length, 2, saved);
  assert.ok(
    saved.split('\n').some((l) => l.startsWith('{')),
    'log records are saved',
  );
});
