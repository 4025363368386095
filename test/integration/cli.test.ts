// The operator CLI as users run it: the built binary against a real 3-node cluster that
// monitors real redis-server processes (docs/design.md 6). Output is checked the way a person or a
// script reads it: aligned tables without colour when not a TTY, one JSON document with an
// empty stderr under --json, exit codes 0/1/2, one clear line for an unreachable endpoint.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { CliCluster, startRedisGroup, type RedisGroup } from '../helpers/cli-cluster.js';
import { getJson } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { RAFTINEL_BIN, trackChild } from '../helpers/raftinel-process.js';
import { runRaftinel, showResult, type CliResult } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'cli-test-token';

interface Shard {
  name: string;
  epoch: number;
  master: { id: string; host: string; port: number } | null;
  replicas: { id: string; lagBytes: number | null; linkUp: boolean | null }[];
  state: string;
  paused: boolean;
}

/** The environment of a CLI run: only what the test sets (no RAFTINEL_* or NO_COLOR inherited). */
function cliEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('RAFTINEL_') && k !== 'NO_COLOR' && k !== 'FORCE_COLOR') env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Parses stdout as exactly one JSON document (JSON.parse refuses anything after it). */
function oneJson<T>(r: CliResult): T {
  assert.equal(r.stderr, '', `--json keeps stderr empty; ${showResult(r)}`);
  return JSON.parse(r.stdout) as T;
}

async function roleOf(server: RedisServer): Promise<string> {
  const c = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await c.connect();
    return String(((await c.call('ROLE')) as unknown[])[0]);
  } finally {
    c.disconnect();
  }
}

/**
 * Runs the CLI with stdin, stdout and stderr on a pseudo-terminal (util-linux `script`), typing
 * `input`; the output comes back as one stream with the terminal's CR LF line ends.
 */
function inTerminal(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, RAFTINEL_BIN, ...args].map(quote).join(' ');
  const started = performance.now();
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`raftinel ${args.join(' ')} on a terminal did not exit\n${stdout}`));
    }, 60_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: stdout.replace(/\r\n/g, '\n'),
        stderr,
        elapsedMs: performance.now() - started,
      });
    });
  });
}

/** The character offsets where each column of the header line starts. */
function columnStarts(header: string): { get: (name: string) => number } {
  const starts = new Map<string, number>();
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(header); m; m = re.exec(header)) starts.set(m[0], m.index);
  return {
    get: (name) => {
      const at = starts.get(name);
      if (at === undefined) throw new Error(`no column ${name} in ${JSON.stringify(header)}`);
      return at;
    },
  };
}

describe('raftinel CLI against a real cluster', { timeout: 300_000 }, () => {
  let group: RedisGroup;
  let cluster: CliCluster;
  let spare: RedisServer;
  let env: NodeJS.ProcessEnv;
  const cli = (
    args: string[],
    extra: Record<string, string | undefined> = {},
    timeoutMs = 60_000,
  ): Promise<CliResult> => runRaftinel(args, { env: { ...env, ...cliEnv(extra) }, timeoutMs });
  const shard = async (name = 'mymaster'): Promise<Shard> => {
    const r = await getJson<Shard>(`${cluster.endpoints[0]}/v1/shards/${name}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  before(async () => {
    group = await startRedisGroup(3);
    cluster = await CliCluster.start({
      shards: [group.shard('mymaster')],
      defaults: { downAfterMs: 1000, failoverCooldownMs: 1000 },
      adminToken: TOKEN,
    });
    await cluster.waitShards(['mymaster']);
    // The first endpoint is dead: every command below also proves the CLI moves on to the next.
    const dead = `http://127.0.0.1:${await freePort()}`;
    env = cliEnv({ RAFTINEL_ENDPOINT: [dead, ...cluster.endpoints].join(','), RAFTINEL_TOKEN: TOKEN });
  });

  after(async () => {
    await cluster?.destroy();
    await group?.stop();
    await spare?.stop();
  });

  test('status: aligned tables of members and shards, no colour, empty stderr', async () => {
    const r = await cli(['status']);
    assert.equal(r.code, 0, showResult(r));
    assert.equal(r.stderr, '');
    assert.ok(!r.stdout.includes('\x1b['), 'no escape codes when stdout is not a TTY');
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^cluster clitest: leader n\d, term \d+, commit \d+, applied \d+/);
    const memberHeader = lines.findIndex((l) => l.startsWith('MEMBER'));
    const starts = columnStarts(lines[memberHeader]);
    const members = lines.slice(memberHeader + 1, memberHeader + 4);
    assert.deepEqual(
      members.map((l) => l.slice(0, 2)),
      ['n1', 'n2', 'n3'],
    );
    for (const l of members) {
      // Every value sits under its header (text columns are left-aligned).
      assert.match(l.slice(starts.get('ROLE')), /^voter /);
      assert.match(l.slice(starts.get('STATE')), /^(leader|follower) /);
      assert.match(l.slice(starts.get('RAFT')), /^127\.0\.0\.1:\d+ /);
    }
    assert.equal(members.filter((l) => / leader /.test(l)).length, 1, 'one leader');
    const shardHeader = lines.findIndex((l) => l.startsWith('SHARD'));
    const s = columnStarts(lines[shardHeader]);
    const rows = lines.slice(shardHeader + 1, shardHeader + 4);
    assert.match(rows[0], /^mymaster /);
    assert.equal(rows[0].slice(s.get('NODE'), s.get('NODE') + 2), 'r1');
    assert.match(rows[0].slice(s.get('ROLE')), /^master /);
    assert.match(rows[0].slice(s.get('STATE')), /^ok /);
    for (const row of rows.slice(1)) {
      assert.match(row.slice(s.get('ROLE')), /^replica /);
      assert.match(row.slice(s.get('LINK')), /^up$/);
      assert.match(row, / B {2}up$/, 'lag in bytes, right-aligned under LAG');
    }
  });

  test('status --json is exactly {cluster: GET /v1/cluster, shards: GET /v1/shards}', async () => {
    const r = await cli(['status', '--json']);
    assert.equal(r.code, 0, showResult(r));
    const doc = oneJson<{ cluster: Record<string, unknown>; shards: Shard[] }>(r);
    assert.deepEqual(Object.keys(doc), ['cluster', 'shards']);
    const direct = await getJson<Record<string, unknown>>(`${cluster.endpoints[0]}/v1/cluster`);
    assert.deepEqual(Object.keys(doc.cluster).sort(), Object.keys(direct.body).sort());
    assert.equal(typeof doc.cluster.term, 'number');
    assert.equal((doc.cluster.members as unknown[]).length, 3);
    assert.deepEqual(
      doc.shards.map((s) => [s.name, s.master?.id, s.state]),
      [['mymaster', 'r1', 'ok']],
    );
    assert.deepEqual(Object.keys(doc.shards[0]).sort(), [
      'epoch',
      'master',
      'name',
      'observedBy',
      'paused',
      'replicas',
      'sdownBy',
      'state',
      'unsureBy',
    ]);
  });

  test('candidates: a table with the best replica marked, and --json', async () => {
    const r = await cli(['candidates', 'mymaster']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /^NODE +ELIGIBLE +OFFSET +LAG +PRIORITY +REASON$/m);
    assert.match(r.stdout, /^r[23] \* +yes +\d+ +\d+ B +100 +rank 1/m);
    assert.match(r.stdout, /^selection least-lag, master offset \d+, best candidate r[23]$/m);
    const j = await cli(['candidates', 'mymaster', '--json']);
    const report = oneJson<{ chosen: string; rows: { id: string }[] }>(j);
    assert.deepEqual(report.rows.map((x) => x.id).sort(), ['r2', 'r3']);
  });

  test('the admin token: missing (exit 1, says how to give it), from --token-file, bad file (exit 2)', async () => {
    const r = await cli(['candidates', 'mymaster'], { RAFTINEL_TOKEN: '' });
    assert.equal(r.code, 1, showResult(r));
    assert.match(r.stderr, /admin token.*--token-file or RAFTINEL_TOKEN/);
    const file = join(cluster.dir, 'cli.token');
    writeFileSync(file, `${TOKEN}\n`);
    const ok = await cli(['candidates', 'mymaster', '--token-file', file], { RAFTINEL_TOKEN: '' });
    assert.equal(ok.code, 0, showResult(ok));
    const bad = await cli(['candidates', 'mymaster', '--token-file', join(cluster.dir, 'none')]);
    assert.equal(bad.code, 2, showResult(bad));
    assert.match(bad.stderr, /cannot read --token-file .*none \(ENOENT\)/);
  });

  test('on a terminal: colour unless NO_COLOR; a failover prompt answered "n" aborts (exit 1)', async () => {
    const coloured = await inTerminal(['status'], '', env);
    assert.equal(coloured.code, 0, showResult(coloured));
    assert.ok(coloured.stdout.includes('\x1b['), 'colour on a terminal');
    const plain = await inTerminal(['status'], '', { ...env, NO_COLOR: '1' });
    assert.equal(plain.code, 0, showResult(plain));
    assert.ok(
      !plain.stdout.includes('\x1b[3') && !plain.stdout.includes('\x1b[1m'),
      `no colour with NO_COLOR: ${JSON.stringify(plain.stdout)}`,
    );
    const no = await inTerminal(['failover', 'mymaster', '--to', 'r2'], 'n\n', env);
    assert.equal(no.code, 1, showResult(no));
    assert.match(no.stdout, /Fail over mymaster to r2, demoting r1\? \[y\/N\]/);
    assert.match(no.stdout, /aborted: did not fail over mymaster to r2/);
    assert.equal((await shard()).master?.id, 'r1');
  });

  test('promote --dry-run: the preflight report, nothing changes', async () => {
    const r = await cli(['promote', 'mymaster', '--dry-run', '--to', 'r3']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /^preflight: mymaster, master r1, epoch 0, state ok/m);
    assert.match(r.stdout, /^r3 \* +yes /m, 'the requested target is marked');
    assert.match(
      r.stdout,
      /dry run: a switchover would move the master of mymaster from r1 to r3; nothing changed/,
    );
    assert.equal((await shard()).master?.id, 'r1');
    const bad = await cli(['promote', 'mymaster', '--dry-run', '--to', 'r9']);
    assert.equal(bad.code, 1, showResult(bad));
    assert.match(bad.stderr, /r9 is not a replica of mymaster/);
    const self = await cli(['promote', 'mymaster', '--dry-run', '--to', 'r1', '--json']);
    assert.equal(self.code, 1, showResult(self));
    const doc = oneJson<{ ok: boolean; problem: string; from: string }>(self);
    assert.deepEqual([doc.ok, doc.problem, doc.from], [false, 'r1 is already the master', 'r1']);
  });

  test('promote without a TTY and without --force is refused before anything runs', async () => {
    const r = await cli(['promote', 'mymaster', '--to', 'r2']);
    assert.equal(r.code, 2, showResult(r));
    assert.match(r.stderr, /--force/);
    assert.equal(r.stdout, '');
    assert.equal((await shard()).master?.id, 'r1');
  });

  test('promote --to r2 --force: progress, the drill report, exit 0, r2 is the master', async () => {
    const r = await cli(['promote', 'mymaster', '--to', 'r2', '--force']);
    assert.equal(r.code, 0, showResult(r));
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^\[ +[\d.]+s\] switchover of mymaster requested: r1 -> r2/m);
    assert.match(
      r.stdout,
      /^\[ +[\d.]+s\] master is now r2 \(epoch 1\)/m,
      'a live progress line shows the new master',
    );
    assert.match(r.stdout, /^drill report: mymaster r1 -> r2, epoch 1$/m);
    assert.match(r.stdout, /^ {2}write pause +\d+ ms$/m);
    assert.match(r.stdout, /^ {2}master offset +\d+$/m);
    assert.match(r.stdout, /^ {2}target offset +\d+ \(caught up\)$/m);
    assert.match(r.stdout, /^ {2}repointed +r1, r3$/m);
    for (const step of ['preflight', 'catch-up', 'promote', 'repoint', 'total'])
      assert.match(r.stdout, new RegExp(`^ {2}${step} +\\d+ ms$`, 'm'));
    assert.match(r.stdout, /switchover of mymaster finished: master r2, epoch 1, writes unpaused/);
    const s = await shard();
    assert.equal(s.master?.id, 'r2');
    assert.equal(s.epoch, 1);
    // Redis agrees: r2 answers as master, the old master r1 replicates it.
    assert.equal(await roleOf(group.byId('r2')), 'master');
    assert.equal(await roleOf(group.byId('r1')), 'slave');
  });

  test('promote --json: one document with the drill report', async () => {
    const r = await cli(['promote', 'mymaster', '--to', 'r1', '--yes', '--json']);
    assert.equal(r.code, 0, showResult(r));
    const doc = oneJson<{
      ok: boolean;
      report: {
        from: string;
        to: string;
        epoch: number;
        writePauseMs: number;
        repointed: string[];
        stepsMs: Record<string, number>;
      };
    }>(r);
    assert.equal(doc.ok, true);
    assert.deepEqual([doc.report.from, doc.report.to, doc.report.epoch], ['r2', 'r1', 2]);
    assert.equal(typeof doc.report.writePauseMs, 'number');
    assert.deepEqual([...doc.report.repointed].sort(), ['r2', 'r3']);
    assert.equal(typeof doc.report.stepsMs.total, 'number');
  });

  test('failover without a TTY and without --force is refused and says to use --force', async () => {
    const r = await cli(['failover', 'mymaster', '--to', 'r2']);
    assert.ok(r.code === 1 || r.code === 2, showResult(r));
    assert.match(r.stderr, /--force/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.equal((await shard()).master?.id, 'r1');
  });

  test('failover --force while the master answers: the server refuses, exit 1, points to promote', async () => {
    const r = await cli(['failover', 'mymaster', '--to', 'r2', '--force']);
    assert.equal(r.code, 1, showResult(r));
    assert.match(r.stderr, /master r1 is up.*raftinel promote.*\(master_up\)/);
    assert.equal((await shard()).master?.id, 'r1');
  });

  test('history: both switchovers, newest last, and --json', async () => {
    const r = await cli(['history', 'mymaster']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /^EPOCH +KIND +FROM +TO +RESULT +AT +PROMOTED +ENDED +REPOINTED +REASON$/m);
    assert.match(
      r.stdout,
      /^ +1 +switchover +r1 +r2 +ended +\d{4}-\d\d-\d\dT[\d:]+Z +\d+ ms +\d+ ms +r1,r3 +planned switchover$/m,
    );
    assert.match(r.stdout, /^ +2 +switchover +r2 +r1 +ended /m);
    const j = oneJson<{ shard: string; entries: { epoch: number }[] }>(
      await cli(['history', 'mymaster', '--json', '--limit', '1']),
    );
    assert.deepEqual(
      j.entries.map((e) => e.epoch),
      [2],
    );
    const missing = await cli(['history', 'nope']);
    assert.equal(missing.code, 1, showResult(missing));
    assert.match(missing.stderr, /no shard named nope \(shard_not_found\)/);
  });

  test('pause, resume (a shard and --all) and ack', async () => {
    let r = await cli(['pause', 'mymaster']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /automatic failover paused for mymaster/);
    assert.equal((await shard()).paused, true);
    r = await cli(['resume', 'mymaster']);
    assert.equal(r.code, 0, showResult(r));
    assert.equal((await shard()).paused, false);
    r = await cli(['pause', '--all', '--json']);
    assert.deepEqual(oneJson(r), { ok: true, action: 'pause all' });
    assert.equal((await shard()).paused, true);
    r = await cli(['resume', '--all']);
    assert.equal(r.code, 0, showResult(r));
    assert.equal((await shard()).paused, false);
    r = await cli(['ack', 'mymaster']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /mymaster: last failover acknowledged/);
    for (const bad of [['pause'], ['resume', 'mymaster', '--all']]) {
      const u = await cli(bad);
      assert.equal(u.code, 2, showResult(u));
      assert.match(u.stderr, /name a shard or give --all/);
    }
  });

  test('admin requests go straight to the leader, even when the endpoint given is a follower', async () => {
    const view = await getJson<{ leader: string }>(`${cluster.endpoints[0]}/v1/cluster`);
    const leader = cluster.nodes.find((n) => n.id === view.body.leader);
    const follower = cluster.nodes.find((n) => n.id !== view.body.leader);
    assert.ok(leader && follower, JSON.stringify(view.body));
    const audited = (n: typeof leader): number =>
      n.events().filter((e) => e.event === 'audit' && e.path === '/v1/shards/mymaster/ack').length;
    const [leaderBefore, followerBefore] = [audited(leader), audited(follower)];
    const r = await cli(['ack', 'mymaster', '--endpoint', follower.httpUrl]);
    assert.equal(r.code, 0, showResult(r));
    await waitFor('the audit line on the leader', () => (audited(leader) > leaderBefore ? true : undefined), {
      timeoutMs: 5000,
    });
    assert.equal(audited(follower), followerBefore, 'the follower did not see (nor forward) the request');
  });

  test('members list: the three voters and the leader; --json is GET /v1/cluster', async () => {
    const r = await cli(['members', 'list']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /^MEMBER +ROLE +STATE +HEALTHY +LAST CONTACT +RAFT +HTTP +SENTINEL$/m);
    assert.equal(r.stdout.match(/^n\d +voter +(leader|follower) +yes /gm)?.length, 3, r.stdout);
    const j = oneJson<{ leader: string; members: { id: string }[] }>(
      await cli(['members', 'list', '--json']),
    );
    assert.deepEqual(
      j.members.map((m) => m.id),
      ['n1', 'n2', 'n3'],
    );
  });

  test('members add and remove (a learner that never starts)', async () => {
    const raft = `127.0.0.1:${await freePort()}`;
    let r = await cli(['members', 'add', 'n9', raft]);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /n9 added as a learner/);
    await waitFor(
      'n9 listed as a learner',
      async () => (await cli(['members', 'list'])).stdout.match(/^n9 +learner /m) ?? undefined,
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    r = await cli(['members', 'remove', 'n9']);
    assert.equal(r.code, 2, showResult(r));
    assert.match(r.stderr, /refusing to remove member n9 .*--force/);
    r = await cli(['members', 'remove', 'n9', '--yes']);
    assert.equal(r.code, 0, showResult(r));
    await waitFor(
      'n9 gone',
      async () => (!/^n9 /m.test((await cli(['members', 'list'])).stdout) ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 200 },
    );
  });

  test('shard add, set and remove (a second Redis group of one node)', async () => {
    spare = await startRedis();
    let r = await cli([
      'shard',
      'add',
      'cache',
      '--node',
      `c1=127.0.0.1:${spare.port}`,
      '--initial-master',
      'c1',
      '--set',
      'downAfterMs=2000',
    ]);
    assert.equal(r.code, 0, showResult(r));
    await cluster.waitShards(['cache']);
    r = await cli(['status']);
    assert.match(r.stdout, new RegExp(`^cache +0 +ok +no +c1 +master +127\\.0\\.0\\.1:${spare.port} `, 'm'));
    r = await cli(['shard', 'set', 'cache', '--set', 'quorum=2']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /shard cache changed: quorum=2/);
    r = await cli(['shard', 'set', 'cache', '--set', 'bogus=1']);
    assert.equal(r.code, 2, showResult(r));
    r = await cli(['shard', 'add', 'again', '--node', `x1=127.0.0.1:${spare.port}`]);
    assert.equal(r.code, 1, showResult(r));
    assert.match(r.stderr, /already in shard cache/);
    r = await cli(['shard', 'remove', 'cache']);
    assert.equal(r.code, 2, showResult(r));
    r = await cli(['shard', 'remove', 'cache', '--force']);
    assert.equal(r.code, 0, showResult(r));
    const left = oneJson<{ shards: Shard[] }>(await cli(['status', '--json']));
    assert.deepEqual(
      left.shards.map((s) => s.name),
      ['mymaster'],
    );
  });

  test('an unreachable endpoint: exit 1 and one line naming the address and what to check', async () => {
    const port = await freePort();
    const r = await cli(['status', '--endpoint', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1, showResult(r));
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `^raftinel: cannot reach a raftinel node at http://127\\.0\\.0\\.1:${port} \\(connection refused\\): check that a raftinel node runs there and that --endpoint`,
      ),
    );
    const j = await cli(['status', '--json', '--endpoint', `127.0.0.1:${port}`]);
    assert.equal(j.code, 1);
    assert.equal(oneJson<{ error: { code: string } }>(j).error.code, 'unreachable');
  });

  test('--help lists an example for every command', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0, showResult(r));
    const examples = r.stdout.slice(r.stdout.indexOf('Examples:'));
    for (const cmd of [
      'node',
      'demo',
      'status',
      'promote',
      'failover',
      'candidates',
      'history',
      'pause',
      'resume',
      'ack',
      'shard',
      'members',
    ]) {
      assert.match(examples, new RegExp(`^ +raftinel ${cmd} `, 'm'), `an example of ${cmd}`);
    }
    for (const cmd of [['promote'], ['failover'], ['status'], ['shard', 'add'], ['members', 'remove']]) {
      const h = await cli([...cmd, '--help']);
      assert.equal(h.code, 0, showResult(h));
      assert.match(
        h.stdout,
        new RegExp(`Examples:\\n +raftinel ${cmd.join(' ')}`),
        `${cmd.join(' ')} --help has an example`,
      );
    }
  });

  test('usage errors exit 2: unknown command, unknown option, missing argument, bad --node', async () => {
    for (const args of [
      ['bogus'],
      ['status', '--bogus'],
      ['promote'],
      ['failover', 'mymaster'],
      ['shard', 'add', 'x', '--node', 'nonsense'],
      [],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${showResult(r)}`);
      assert.notEqual(r.stderr, '', args.join(' '));
    }
    const j = await cli(['status', '--json', '--bogus']);
    assert.equal(j.code, 2);
    assert.equal(oneJson<{ error: { code: string } }>(j).error.code, 'usage');
  });
});

// Leader discovery against fake nodes: what the CLI does when the leader named by the live
// node refuses (no admin block: loopback clients only) or cannot be reached.
describe('raftinel CLI: admin requests fall back to the live node', () => {
  const servers: http.Server[] = [];
  const serve = async (handler: http.RequestListener): Promise<string> => {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const reply = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function liveNode(leaderHttp: string, posts: string[]): Promise<string> {
    let self = '';
    self = await serve((req, res) => {
      if (req.method === 'GET' && req.url === '/v1/cluster') {
        const member = (id: string, addr: string): Record<string, unknown> => ({
          id,
          role: 'voter',
          state: id === 'b' ? 'leader' : 'follower',
          raft: null,
          http: addr,
          sentinel: null,
          healthy: true,
          lastContactMs: 0,
        });
        reply(res, 200, {
          cluster: 'fake',
          node: 'a',
          term: 7,
          leader: 'b',
          commitIndex: 1,
          appliedIndex: 1,
          members: [member('a', self), member('b', leaderHttp)],
        });
        return;
      }
      posts.push(`${req.method} ${req.url}`);
      reply(res, 200, { ok: true, action: 'pause' });
    });
    return self;
  }

  test('a leader that answers 403 forbidden: the live node (which forwards) gets the request', async () => {
    const leaderSaw: string[] = [];
    const leader = await serve((req, res) => {
      leaderSaw.push(`${req.method} ${req.url}`);
      reply(res, 403, { error: { code: 'forbidden', message: 'admin routes accept loopback clients only' } });
    });
    const posts: string[] = [];
    const live = await liveNode(leader, posts);
    const r = await runRaftinel(['pause', 'mymaster', '--endpoint', `http://${live}`], { env: cliEnv({}) });
    assert.equal(r.code, 0, showResult(r));
    assert.deepEqual(leaderSaw, ['POST /v1/shards/mymaster/pause']);
    assert.deepEqual(posts, ['POST /v1/shards/mymaster/pause']);
  });

  test('an unreachable leader: the live node gets the request', async () => {
    const posts: string[] = [];
    const live = await liveNode(`127.0.0.1:${await freePort()}`, posts);
    const r = await runRaftinel(['pause', 'mymaster', '--endpoint', `http://${live}`], { env: cliEnv({}) });
    assert.equal(r.code, 0, showResult(r));
    assert.deepEqual(posts, ['POST /v1/shards/mymaster/pause']);
  });

  test('not a raftinel node at the endpoint: one line that says so', async () => {
    const other = await serve((_req, res) => {
      res.writeHead(404).end('nope');
    });
    const r = await runRaftinel(['status', '--endpoint', `http://${other}`], { env: cliEnv({}) });
    assert.equal(r.code, 1, showResult(r));
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `cannot reach a raftinel node at http://${other} \\(HTTP 404 from GET /v1/cluster: not a raftinel HTTP address\\?\\)`,
      ),
    );
  });
});
