import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  advertisedAddresses,
  configWarnings,
  effectiveMaxLinkDownMs,
  findRedisNode,
  parseConfigText,
  parseHostPort,
  quorumSize,
  readSecretFile,
} from '../../../src/config/index.js';
import { RaftinelError } from '../../../src/util/errors.js';
import { DESIGN_EXAMPLE, MINIMAL } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'raftinel-derive-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('parseHostPort handles names, IPv4 and bracketed IPv6', () => {
  assert.deepEqual(parseHostPort('redis-1:6379'), { host: 'redis-1', port: 6379 });
  assert.deepEqual(parseHostPort('[::1]:1'), { host: '::1', port: 1 });
  assert.equal(parseHostPort('::1:1'), null);
  assert.equal(parseHostPort('h:65536'), null);
  assert.equal(parseHostPort('h:'), null);
});

test('advertised addresses: announce per listener, else announce.host with the listen port, else listen', () => {
  const config = parseConfigText(
    MINIMAL.replace(
      'node: { id: n1 }',
      'node: { id: n1, listen: { raft: "0.0.0.0:7000" }, announce: { host: "fd00::1", http: "lb.example:80" } }\npeerAuth: { secretFile: ./cluster.secret }',
    ),
    '/',
  );
  assert.deepEqual(advertisedAddresses(config.node), {
    sentinel: '[fd00::1]:26379',
    http: 'lb.example:80',
    raft: '[fd00::1]:7000',
  });
  const plain = parseConfigText(MINIMAL, '/');
  assert.deepEqual(advertisedAddresses(plain.node), plain.node.listen);
});

test('maxLinkDownMs null means 10 x downAfterMs', () => {
  assert.equal(effectiveMaxLinkDownMs({ maxLinkDownMs: null, downAfterMs: 5000 }), 50000);
  assert.equal(effectiveMaxLinkDownMs({ maxLinkDownMs: 0, downAfterMs: 5000 }), 0);
});

test('quorumSize: majority of the voters, or the number given', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => quorumSize('majority', n)),
    [1, 2, 2, 3, 3],
  );
  assert.equal(quorumSize(2, 5), 2);
});

test('findRedisNode finds the sidecar node and its shard', () => {
  const config = parseConfigText(DESIGN_EXAMPLE, '/');
  const found = findRedisNode(config, config.sidecar.redis ?? '');
  assert.equal(found?.shard.name, 'mymaster');
  assert.equal(found?.node.port, 6379);
  assert.equal(findRedisNode(config, 'nope'), null);
});

test('configWarnings: not a bootstrap voter, no admin block, wildcard address without announce', () => {
  const config = parseConfigText(
    MINIMAL.replace('node: { id: n1 }', 'node: { id: n9, listen: { http: "0.0.0.0:26380" } }'),
    '/',
  );
  const warnings = configWarnings(config);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.match(warnings[0], /waits to be added/);
  assert.match(warnings[1], /loopback only/);
  assert.match(warnings[2], /node\.listen\.http is a wildcard/);
  assert.deepEqual(configWarnings(parseConfigText(DESIGN_EXAMPLE, '/')), []);
});

test('readSecretFile drops one trailing newline; errors name the file, not the contents', () => {
  const file = join(root, 'secret');
  writeFileSync(file, 'p@ss word\n');
  assert.equal(readSecretFile(file), 'p@ss word');
  writeFileSync(file, '\n');
  assert.throws(
    () => readSecretFile(file),
    (err: unknown) => err instanceof RaftinelError && err.code === 'secret_unreadable',
  );
  assert.throws(
    () => readSecretFile(join(root, 'missing')),
    (err: unknown) => err instanceof RaftinelError && /missing/.test(err.message),
  );
});
