// The CLI's help and usage errors, and `raftinel config check` (the built binary, no servers):
// a bare call and -h print the help, a mistyped command gets a suggestion, a config is checked
// as `raftinel node` would check it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const BIN = resolve('dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'raftinel-cli-usage-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function raftinel(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a bare `raftinel` prints the help (exit 2); -h and --help print it (exit 0)', () => {
  const bare = raftinel();
  assert.equal(bare.status, 2);
  assert.match(bare.stdout + bare.stderr, /raftinel <command> \[options\][\s\S]*raftinel promote/);
  for (const flag of ['-h', '--help']) {
    const r = raftinel(flag);
    assert.equal(r.status, 0, flag);
    assert.match(r.stdout, /Commands:[\s\S]*raftinel config/, flag);
  }
});

test('a mistyped command is a usage error that suggests the right one', () => {
  const r = raftinel('stauts');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "stauts"\. Did you mean status\?/);
  assert.match(raftinel('promte', 'mymaster').stderr, /Did you mean promote\?/);
});

test('config check: a valid file exits 0 with a summary; a bad one lists every mistake (exit 2)', () => {
  const good = join(dir, 'good.yaml');
  writeFileSync(
    good,
    [
      'cluster: demo',
      'node: { id: n1, dataDir: ./data, listen: { sentinel: 127.0.0.1:26379, http: 127.0.0.1:26380, raft: 127.0.0.1:26381 } }',
      'peers: [{ id: n1, raft: 127.0.0.1:26381 }]',
      'shards: [{ name: mymaster, nodes: [{ id: r1, host: 127.0.0.1, port: 6379 }], initialMaster: r1 }]',
      '',
    ].join('\n'),
  );
  const ok = raftinel('config', 'check', good);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid \(cluster demo, node n1, 1 peers, 1 shard\)/);

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'cluster: demo\nnode: { id: "n 1" }\nbogus: 2\n');
  const r = raftinel('config', 'check', bad);
  assert.equal(r.status, 2);
  for (const what of [/peers:/, /shards:/, /node\.id:/, /bogus: .*unknown key/])
    assert.match(r.stderr, what, `every mistake is listed: ${r.stderr}`);
  assert.equal(raftinel('config', 'check', join(dir, 'missing.yaml')).status, 2);
});
