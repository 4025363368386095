// SENTINEL RESET, IS-MASTER-DOWN-BY-ADDR and the CONFIG texts, byte for byte as redis-sentinel
// 7.0.15 answered them (captured with redis-cli against a running Sentinel, docs/migration.md 4).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandHarness } from './support/command-harness.js';
import { redisNode, shard, standardSource } from './support/fake-source.js';

describe('Sentinel answers where scripts expect them', () => {
  test('RESET <pattern> answers the number of matching masters, as Sentinel', async () => {
    const source = standardSource();
    source.shardList = [...source.shardList, shard('other', redisNode('127.0.0.1', 7000), [])];
    const c = commandHarness(source).client();
    assert.equal(await c.run('SENTINEL', 'RESET', '*'), ':2\r\n');
    assert.equal(await c.run('SENTINEL', 'reset', 'my*'), ':1\r\n');
    assert.equal(await c.run('SENTINEL', 'RESET', 'nosuch'), ':0\r\n');
    assert.equal(
      await c.run('SENTINEL', 'RESET'),
      "-ERR wrong number of arguments for 'sentinel|reset' command\r\n",
    );
  });

  test("IS-MASTER-DOWN-BY-ADDR: this node's view of that master, never a vote", async () => {
    const source = standardSource();
    const c = commandHarness(source).client();
    const ask = (port: string, epoch = '0', runId = '*') =>
      c.run('SENTINEL', 'is-master-down-by-addr', '127.0.0.1', port, epoch, runId);
    assert.equal(await ask('6379'), '*3\r\n:0\r\n$1\r\n*\r\n:0\r\n');
    source.shardList = [shard('mymaster', redisNode('127.0.0.1', 6379, { sdown: true }), [])];
    assert.equal(await ask('6379'), '*3\r\n:1\r\n$1\r\n*\r\n:0\r\n', 'seen down');
    assert.equal(
      await ask('6379', '5', 'f'.repeat(40)),
      '*3\r\n:1\r\n$1\r\n*\r\n:0\r\n',
      'asked for a vote: none',
    );
    assert.equal(await ask('6380'), '*3\r\n:0\r\n$1\r\n*\r\n:0\r\n', 'no master at that address');
    source.fresh = false;
    assert.equal(await ask('6379'), '*3\r\n:0\r\n$1\r\n*\r\n:0\r\n', 'a node without a leader cannot vouch');
    const notInt = '-ERR value is not an integer or out of range\r\n';
    assert.equal(await ask('x'), notInt);
    assert.equal(await ask('6379', 'x'), notInt);
    assert.equal(await ask('06379'), notInt);
    assert.equal(
      await c.run('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR'),
      "-ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command\r\n",
    );
  });

  test('CONFIG: Sentinel 7.0.15 texts for a bad SENTINEL CONFIG and for plain CONFIG GET *', async () => {
    const c = commandHarness(standardSource()).client();
    const usage = '-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n';
    assert.equal(await c.run('SENTINEL', 'CONFIG', 'GET'), usage);
    assert.equal(await c.run('SENTINEL', 'config', 'get', '*', 'x'), usage);
    assert.equal(await c.run('SENTINEL', 'CONFIG', 'foo', 'bar'), usage);
    assert.equal(
      await c.run('SENTINEL', 'CONFIG'),
      "-ERR wrong number of arguments for 'sentinel|config' command\r\n",
    );
    assert.equal(
      await c.run('config', 'get', '*'),
      "-ERR unknown command 'config', with args beginning with: 'get' '*' \r\n",
    );
    assert.equal(await c.run('config'), "-ERR unknown command 'config', with args beginning with: \r\n");
  });
});
