// The packed tarball installs on a machine and `raftinel` runs from PATH (README, Install): npm pack
// of this checkout, npm install -g into a temporary prefix (packages from npm's cache when it has
// them, as after `npm ci`), then the installed command prints its version, its help, and checks
// a config.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'raftinel-install-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 300_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('npm pack, npm install -g --prefix: raftinel runs from PATH', { timeout: 600_000 }, (t) => {
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  const tarball = run('npm', ['pack', '--pack-destination', dir, '--silent']).trim().split('\n').pop() ?? '';
  const prefix = join(dir, 'prefix');
  const started = Date.now();
  run('npm', [
    'install',
    '-g',
    '--prefix',
    prefix,
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    join(dir, tarball),
  ]);
  t.diagnostic(`${tarball} installed in ${Date.now() - started} ms`);
  const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
  // A shell finds it on PATH, not by a path of this checkout.
  assert.equal(run('sh', ['-c', 'raftinel --version'], env).trim(), version);
  assert.match(run('sh', ['-c', 'raftinel --help'], env), /raftinel promote/);
  const config = join(dir, 'n1.yaml');
  writeFileSync(
    config,
    'cluster: c\nnode: { id: n1 }\npeers: [{ id: n1, raft: 127.0.0.1:26381 }]\n' +
      'shards: [{ name: s, nodes: [{ id: r1, host: 127.0.0.1, port: 6379 }], initialMaster: r1 }]\n',
  );
  assert.match(run('sh', ['-c', `raftinel config check ${config}`], env), /valid/);
});
