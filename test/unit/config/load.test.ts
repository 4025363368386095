import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError, formatConfigIssues, loadConfig } from '../../../src/config/index.js';
import { DESIGN_EXAMPLE, DESIGN_EXAMPLE_FILES, DESIGN_EXAMPLE_HOOK, MINIMAL } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'raftinel-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
function folder(): string {
  const dir = join(root, `case${dirs++}`, 'etc');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function writeExample(dir: string, withFiles: boolean): string {
  const file = join(dir, 'raftinel.yaml');
  writeFileSync(file, DESIGN_EXAMPLE);
  if (withFiles) {
    for (const name of DESIGN_EXAMPLE_FILES) writeFileSync(join(dir, name), 'hunter2\n');
    writeFileSync(join(dir, DESIGN_EXAMPLE_HOOK), '#!/bin/sh\n');
    chmodSync(join(dir, DESIGN_EXAMPLE_HOOK), 0o755);
  }
  return file;
}

function refused(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('relative paths resolve against the config file folder, not the working directory', () => {
  const dir = folder();
  const file = writeExample(dir, true);
  // A relative path to the file itself, from wherever the test runs.
  const config = loadConfig(relative(process.cwd(), file));
  assert.equal(config.node.dataDir, join(dir, 'data/n1'));
  assert.equal(config.shards[0].auth?.passwordFile, join(dir, 'redis.pass'));
  assert.equal(config.shards[0].tls?.ca, join(dir, 'ca.pem'));
  assert.equal(config.admin?.tokenFile, join(dir, 'admin.token'));
  assert.equal(config.clients?.auth?.passwordFile, join(dir, 'clients.pass'));
  assert.equal(config.hooks.onSwitchMaster, join(dir, 'on-switch.sh'));
});

test('../ paths, absolute paths and bare hook commands', () => {
  const dir = folder();
  const file = join(dir, 'raftinel.yaml');
  writeFileSync(
    file,
    `${MINIMAL.replace('node: { id: n1 }', 'node: { id: n1, dataDir: ../var/lib/raftinel }')}` +
      'admin: { tokenFile: /run/secrets/token }\nhooks: { onSwitchMaster: logger, onFailoverEnd: ../bin/end.sh }\n',
  );
  const config = loadConfig(file, { checkFiles: false });
  assert.equal(config.node.dataDir, join(dir, '../var/lib/raftinel'));
  assert.equal(config.admin?.tokenFile, '/run/secrets/token');
  assert.equal(config.hooks.onSwitchMaster, 'logger', 'a bare name is left for PATH');
  assert.equal(config.hooks.onFailoverEnd, join(dir, '../bin/end.sh'));
});

test('RAFTINEL_CONFIG names the file when no path is given; a given path wins', () => {
  const dir = folder();
  const file = writeExample(dir, true);
  assert.equal(loadConfig(undefined, { env: { RAFTINEL_CONFIG: file } }).cluster, 'demo');
  const other = join(folder(), 'other.yaml');
  writeFileSync(other, MINIMAL.replace('cluster: demo', 'cluster: other'));
  assert.equal(loadConfig(other, { env: { RAFTINEL_CONFIG: file } }).cluster, 'other');

  const saved = process.env.RAFTINEL_CONFIG;
  process.env.RAFTINEL_CONFIG = file;
  try {
    assert.equal(loadConfig().cluster, 'demo', 'process.env is read by default');
  } finally {
    if (saved === undefined) delete process.env.RAFTINEL_CONFIG;
    else process.env.RAFTINEL_CONFIG = saved;
  }
});

test('a missing file is config_unreadable and names the path', () => {
  const missing = join(folder(), 'nope.yaml');
  const err = refused(() => loadConfig(missing));
  assert.equal(err.code, 'config_unreadable');
  assert.ok(err.message.includes(missing), err.message);
  assert.match(formatConfigIssues(err), /^config: cannot read config file .*nope\.yaml.*: no such file$/);
  const none = refused(() => loadConfig(undefined, { env: {} }));
  assert.equal(none.code, 'config_unreadable');
  assert.match(none.message, /RAFTINEL_CONFIG/);
});

test('referenced files must exist: each missing one is listed by its path, never its contents', () => {
  const dir = folder();
  const file = writeExample(dir, false);
  writeFileSync(join(dir, 'redis.pass'), 'hunter2\n');
  const err = refused(() => loadConfig(file));
  assert.equal(err.code, 'config_invalid');
  assert.deepEqual(
    err.issues.map((i) => i.path),
    ['shards[0].tls.ca', 'admin.tokenFile', 'clients.auth.passwordFile', 'hooks.onSwitchMaster'],
  );
  const token = err.issues[1];
  assert.equal(token.got, `${JSON.stringify(join(dir, 'admin.token'))} (no such file)`);
  assert.equal(token.expected, 'a readable file');
  assert.equal(err.issues[3].expected, 'an executable file');
  assert.ok(!formatConfigIssues(err).includes('hunter2'));
  assert.equal(loadConfig(file, { checkFiles: false }).cluster, 'demo');
});

test('missing files are listed together with the other mistakes', () => {
  const dir = folder();
  const file = join(dir, 'raftinel.yaml');
  writeFileSync(file, `${MINIMAL.replace('port: 6380', 'port: 0')}admin: { tokenFile: ./token }\n`);
  const err = refused(() => loadConfig(file));
  assert.deepEqual(
    err.issues.map((i) => i.path),
    ['shards[0].nodes[1].port', 'admin.tokenFile'],
  );
});

test('a hook that exists but is not executable is refused', () => {
  const dir = folder();
  const file = join(dir, 'raftinel.yaml');
  writeFileSync(join(dir, 'hook.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'hook.sh'), 0o644);
  writeFileSync(file, `${MINIMAL}hooks: { onFailoverEnd: ./hook.sh }\n`);
  // Even root needs an x bit for X_OK, so this holds whoever runs the tests.
  const err = refused(() => loadConfig(file));
  assert.equal(err.issues[0].path, 'hooks.onFailoverEnd');
  assert.match(err.issues[0].got, /not executable/);
});
