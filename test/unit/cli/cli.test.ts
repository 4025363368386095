// Pure parts of the operator CLI: table alignment with and without colour, when colour is on,
// endpoint and token options, node and setting arguments of `shard add|set`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseEndpoints } from '../../../src/cli/client.js';
import { endpointsOf, readToken } from '../../../src/cli/common.js';
import { CliError } from '../../../src/cli/output.js';
import { parseNode, parseSettings } from '../../../src/cli/commands/shard.js';
import { colorWanted, formatBytes, renderTable } from '../../../src/cli/table.js';

// eslint-disable-next-line no-control-regex -- matching the escape codes is the point
const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('tables', () => {
  test('columns line up; numbers (and their header) right-aligned; no trailing blanks', () => {
    const out = renderTable(
      ['NODE', 'LAG', 'REASON'],
      [
        ['r1', '0 B', 'rank 1'],
        ['replica-22', '1.5 KiB', ''],
      ],
      { color: false, right: [1] },
    );
    assert.equal(
      out,
      ['NODE            LAG  REASON', 'r1              0 B  rank 1', 'replica-22  1.5 KiB'].join('\n'),
    );
  });

  test('colour codes do not shift columns', () => {
    const rows = [
      [{ text: 'ok', style: 'green' as const }, 'x'],
      ['odown', 'y'],
    ];
    const plain = renderTable(['STATE', 'V'], rows, { color: false });
    const coloured = renderTable(['STATE', 'V'], rows, { color: true });
    assert.notEqual(coloured, plain);
    assert.equal(strip(coloured), plain);
  });

  test('colour only on a TTY, never with NO_COLOR or TERM=dumb', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    assert.equal(colorWanted(tty, {}), true);
    assert.equal(colorWanted(pipe, {}), false);
    assert.equal(colorWanted(tty, { NO_COLOR: '1' }), false);
    assert.equal(colorWanted(tty, { NO_COLOR: '' }), true, 'no-color.org: an empty NO_COLOR does not count');
    assert.equal(colorWanted(tty, { TERM: 'dumb' }), false);
  });

  test('bytes', () => {
    assert.deepEqual([0, 1023, 1536, 5 * 1024 * 1024].map(formatBytes), [
      '0 B',
      '1023 B',
      '1.5 KiB',
      '5.0 MiB',
    ]);
    assert.equal(formatBytes(null), '-');
  });
});

describe('options', () => {
  test('endpoints: comma-separated, http:// assumed, trailing slash dropped, bad ones are usage errors', () => {
    assert.deepEqual(parseEndpoints(['10.0.0.1:26380, https://b:1/', 'http://c:2']), [
      'http://10.0.0.1:26380',
      'https://b:1',
      'http://c:2',
    ]);
    assert.deepEqual(endpointsOf(undefined, {}), ['http://127.0.0.1:26380']);
    assert.deepEqual(endpointsOf(undefined, { RAFTINEL_ENDPOINT: 'h:1,h:2' }), ['http://h:1', 'http://h:2']);
    assert.deepEqual(endpointsOf(['x:1', 'y:2'], { RAFTINEL_ENDPOINT: 'h:1' }), ['http://x:1', 'http://y:2']);
    for (const bad of ['ftp://x:1', ',', 'http://[bad']) {
      assert.throws(
        () => parseEndpoints([bad]),
        (e: unknown) => e instanceof CliError && e.exitCode === 2,
        bad,
      );
    }
  });

  test('token: --token-file (trimmed) wins over RAFTINEL_TOKEN; unreadable or empty file is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftinel-cli-unit-'));
    try {
      const file = join(dir, 't');
      writeFileSync(file, '  s3cret\n');
      assert.equal(readToken(file, { RAFTINEL_TOKEN: 'env' }), 's3cret');
      assert.equal(readToken(undefined, { RAFTINEL_TOKEN: 'env' }), 'env');
      assert.equal(readToken(undefined, {}), null);
      writeFileSync(file, '\n');
      assert.throws(() => readToken(file, {}), /is empty/);
      assert.throws(
        () => readToken(join(dir, 'missing'), {}),
        (e: unknown) => e instanceof CliError && e.exitCode === 2,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--node ID=HOST:PORT[,priority=N][,noFailover][,announce=HOST:PORT][,replicationAddress=HOST:PORT]', () => {
    assert.deepEqual(parseNode('r1=10.0.0.1:6379'), { id: 'r1', host: '10.0.0.1', port: 6379 });
    assert.deepEqual(parseNode('r3=redis-3.svc:6380,priority=0,noFailover'), {
      id: 'r3',
      host: 'redis-3.svc',
      port: 6380,
      priority: 0,
      noFailover: true,
    });
    assert.deepEqual(parseNode('r6=[::1]:6379'), { id: 'r6', host: '::1', port: 6379 });
    assert.deepEqual(
      parseNode('r7=10.0.0.7:6379,announce=redis-7.example.com:16379,replicationAddress=[fd00::7]:6379'),
      {
        id: 'r7',
        host: '10.0.0.7',
        port: 6379,
        announce: { host: 'redis-7.example.com', port: 16379 },
        replicationAddress: { host: 'fd00::7', port: 6379 },
      },
    );
    for (const bad of [
      'r1',
      'r1=host',
      'r1=host:0',
      'r1=host:70000',
      'r1=h:1,weight=3',
      'r1=h:1,announce=h',
      'r1=h:1,announce=h:0',
    ]) {
      assert.throws(
        () => parseNode(bad),
        (e: unknown) => e instanceof CliError && e.exitCode === 2,
        bad,
      );
    }
  });

  test('--set key=value with the shard settings keys and JSON-ish values', () => {
    assert.deepEqual(
      parseSettings(['downAfterMs=3000', 'quorum=majority', 'maxLagBytes=null', 'holistic=true']),
      {
        downAfterMs: 3000,
        quorum: 'majority',
        maxLagBytes: null,
        holistic: true,
      },
    );
    assert.throws(() => parseSettings(['nope=1']), /unknown setting nope/);
    assert.throws(() => parseSettings(['downAfterMs']), /expected key=value/);
  });
});
