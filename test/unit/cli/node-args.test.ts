// main.ts starts `raftinel node` without yargs only for the plain command lines; every other
// one must reach the full CLI, so that its help and usage errors stay the only ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plainNodeArgs } from '../../../src/cli/node-args.js';

test('plain node command lines are read without the CLI parser', () => {
  assert.deepEqual(plainNodeArgs(['node']), { config: undefined, debugRoutes: false });
  assert.deepEqual(plainNodeArgs(['node', '--config', '/etc/r.yaml']), {
    config: '/etc/r.yaml',
    debugRoutes: false,
  });
  assert.deepEqual(plainNodeArgs(['node', '--config=a b.yaml', '--debug-routes']), {
    config: 'a b.yaml',
    debugRoutes: true,
  });
  assert.deepEqual(plainNodeArgs(['node', '--debug-routes', '--config', 'x.yaml']), {
    config: 'x.yaml',
    debugRoutes: true,
  });
});

test('anything else goes to the full CLI (null)', () => {
  for (const argv of [
    [],
    ['status'],
    ['demo'],
    ['node', '--help'],
    ['node', '-h'],
    ['node', '--config'],
    ['node', '--config', ''],
    ['node', '--config='],
    ['node', '--config', '--debug-routes'],
    ['node', '--config', 'a.yaml', '--config', 'b.yaml'],
    ['node', '--debug-routes', '--debug-routes'],
    ['node', '--no-debug-routes'],
    ['node', '--cofig', 'a.yaml'],
    ['node', 'extra'],
    ['node', '--version'],
  ]) {
    assert.equal(plainNodeArgs(argv), null, JSON.stringify(argv));
  }
});
