// Operator hooks (hooks.onSwitchMaster, hooks.onFailoverEnd), with real redis-server and raftinel
// processes and a SIGKILLed master: each hook runs once per epoch, on the Raft leader, with
// Sentinel's client-reconfig-script arguments (<master-name> <role> <state> <from-ip> <from-port>
// <to-ip> <to-port>) and the RAFTINEL_* environment; its output shows in GET
// /v1/shards/{name}/history (`hooks` per entry); a failing hook is retried (3 attempts) and a
// hanging one is killed at hooks.timeoutMs, and neither holds the failover back. The hook scripts
// are shell scripts the test writes into its temp dir; each appends one line per run to a record
// file (its parent's PID, i.e. the raftinel node that ran it, and what it was given).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import type { HookRun } from '../../src/failover/types.js';
import { FailoverRig, type HistoryEntry } from '../helpers/failover-rig.js';
import { stopAllRedis } from '../helpers/redis-server.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 500;

after(async () => {
  await stopAllRedis();
});

type EntryWithHooks = HistoryEntry & { readonly hooks: readonly HookRun[] };

interface HookDir {
  readonly dir: string;
  readonly record: string;
  /** Writes an executable shell script; `body` runs after the record line is written. */
  script(name: string, body: string): string;
  /** The record file's lines, split on tabs. */
  runs(): string[][];
}

function hookDir(): HookDir {
  const dir = makeTempDir('raftinel-hooks-');
  const record = join(dir, 'runs.log');
  return {
    dir,
    record,
    script(name, body) {
      const path = join(dir, name);
      writeFileSync(
        path,
        [
          '#!/bin/sh',
          `printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "${name}" "$PPID" "$$" "$RAFTINEL_HOOK" "$RAFTINEL_SHARD" "$RAFTINEL_EPOCH" "$RAFTINEL_OLD_HOST:$RAFTINEL_OLD_PORT" "$RAFTINEL_NEW_HOST:$RAFTINEL_NEW_PORT" "$(date +%s%3N)" "$*" >> '${record}'`,
          body,
          '',
        ].join('\n'),
      );
      chmodSync(path, 0o755);
      return path;
    },
    runs() {
      if (!existsSync(record)) return [];
      return readFileSync(record, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
    },
  };
}

/** A rig whose nodes all carry the given hooks block. */
async function rigWithHooks(
  t: import('node:test').TestContext,
  hooks: Record<string, unknown>,
): Promise<FailoverRig> {
  const rig = await FailoverRig.create();
  t.after(() => rig.destroy());
  for (const n of rig.nodes) writeFileSync(n.configPath, stringify({ ...n.configDocument(), hooks }));
  await rig.start();
  return rig;
}

async function entryOf(rig: FailoverRig, epoch: number): Promise<EntryWithHooks | undefined> {
  return (await rig.history()).find((e) => e.epoch === epoch) as EntryWithHooks | undefined;
}

test(
  'onSwitchMaster and onFailoverEnd run once per epoch, on the leader, with Sentinel arguments and RAFTINEL_* env; output in the history',
  { timeout: 90_000 },
  async (t) => {
    const h = hookDir();
    t.after(() => removeDir(h.dir));
    const onSwitch = h.script(
      'switch.sh',
      'echo "switch-master to $RAFTINEL_NEW_HOST:$RAFTINEL_NEW_PORT"; echo "on stderr" >&2',
    );
    const onEnd = h.script('end.sh', 'echo "failover ended, epoch $RAFTINEL_EPOCH"');
    const rig = await rigWithHooks(t, { onSwitchMaster: onSwitch, onFailoverEnd: onEnd, timeoutMs: 5000 });
    const r1 = rig.redis('r1');
    const leader = await rig.leader();

    await r1.kill();
    const v = await rig.waitView(
      'mymaster',
      (x) => x.epoch === 1 && (x.state === 'ok' || x.state === 'cooldown'),
      'failover to epoch 1 ended',
      10_000 + 10 * DOWN_AFTER_MS,
    );
    const promoted = rig.redis(v.master?.id ?? '?');
    const entry = await waitFor(
      'both hook runs in the history of epoch 1',
      async () => {
        const e = await entryOf(rig, 1);
        return e && e.hooks.length === 2 ? e : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    // Time for a duplicate run (a second node, a retry) to show up, if there were one.
    await sleep(2000);
    const runs = h.runs();
    const again = await entryOf(rig, 1);
    const leaderAfter = await rig.leader();
    t.diagnostic(
      `leader ${leader.id} (pid ${leader.pid}); promoted ${promoted.id}; record: ${JSON.stringify(runs)}`,
    );
    t.diagnostic(`history hooks: ${JSON.stringify(again?.hooks)}`);

    assert.equal(leaderAfter.id, leader.id, 'no leader change during the test (the leader runs the hooks)');
    const switchRuns = runs.filter((r) => r[0] === 'switch.sh');
    const endRuns = runs.filter((r) => r[0] === 'end.sh');
    assert.equal(switchRuns.length, 1, 'onSwitchMaster ran once');
    assert.equal(endRuns.length, 1, 'onFailoverEnd ran once');
    const from = `${r1.host}:${r1.port}`;
    const to = `${promoted.host}:${promoted.port}`;
    for (const [run, hook] of [
      [switchRuns[0], 'onSwitchMaster'],
      [endRuns[0], 'onFailoverEnd'],
    ] as const) {
      const [, ppid, , envHook, shard, epoch, old, neu] = run;
      assert.equal(Number(ppid), leader.pid, `${hook} ran on the leader ${leader.id}`);
      assert.deepEqual(
        [envHook, shard, epoch, old, neu],
        [hook, 'mymaster', '1', from, to],
        `${hook}: RAFTINEL_HOOK, _SHARD, _EPOCH, _OLD_HOST:_OLD_PORT, _NEW_HOST:_NEW_PORT`,
      );
    }
    // Sentinel 7 runs client-reconfig-script as the leader with state "start" once the promoted
    // replica is a master, i.e. at raftinel's Promoted.
    assert.equal(
      switchRuns[0][9],
      `mymaster leader start ${r1.host} ${r1.port} ${promoted.host} ${promoted.port}`,
      'onSwitchMaster arguments',
    );
    assert.equal(
      endRuns[0][9],
      `mymaster leader end ${r1.host} ${r1.port} ${promoted.host} ${promoted.port}`,
      'onFailoverEnd arguments',
    );

    assert.deepEqual(again?.hooks, entry.hooks, 'no further hook run recorded');
    const byHook = new Map(entry.hooks.map((r) => [r.hook, r]));
    const sw = byHook.get('onSwitchMaster');
    const en = byHook.get('onFailoverEnd');
    assert.equal(sw?.exitCode, 0);
    assert.equal(sw?.attempts, 1);
    assert.match(sw?.output ?? '', new RegExp(`switch-master to ${to.replace(/\./g, '\\.')}`));
    assert.match(sw?.output ?? '', /on stderr/);
    assert.equal(en?.exitCode, 0);
    assert.equal(en?.attempts, 1);
    assert.match(en?.output ?? '', /failover ended, epoch 1/);
  },
);

test(
  'a failing hook is retried 3 times and a hanging hook is killed at timeoutMs; neither holds the failover back',
  { timeout: 120_000 },
  async (t) => {
    const h = hookDir();
    const strays: number[] = [];
    t.after(() => {
      // Children a killed hook left behind (the test's own, recorded by PID).
      for (const pid of strays) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      removeDir(h.dir);
    });
    const TIMEOUT_MS = 3000;
    const onSwitch = h.script('fail.sh', 'echo "failing on purpose"; exit 1');
    // A hook that hangs in a child of its shell (as most scripts would: curl, kubectl, sleep).
    const onEnd = h.script(
      'hang.sh',
      `echo "hanging"; sleep 30 & echo $! >> '${join(h.dir, 'children')}'; wait`,
    );
    const rig = await rigWithHooks(t, {
      onSwitchMaster: onSwitch,
      onFailoverEnd: onEnd,
      timeoutMs: TIMEOUT_MS,
    });
    const r1 = rig.redis('r1');

    const killedAt = Date.now();
    await r1.kill();
    await rig.waitView(
      'mymaster',
      (x) => x.epoch === 1 && (x.state === 'ok' || x.state === 'cooldown'),
      'failover to epoch 1 ended',
      10_000 + 10 * DOWN_AFTER_MS,
    );
    const endedAt = Date.now();
    const entry = await waitFor(
      'both hook runs in the history of epoch 1',
      async () => {
        const e = await entryOf(rig, 1);
        return e && e.hooks.length === 2 ? e : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    ).catch(async (err: unknown) => {
      assert.fail(
        `${err instanceof Error ? err.message : String(err)}; record ${JSON.stringify(h.runs())}\n${await rig.dump()}`,
      );
    });
    const childrenFile = join(h.dir, 'children');
    if (existsSync(childrenFile))
      strays.push(...readFileSync(childrenFile, 'utf8').split('\n').filter(Boolean).map(Number));
    const byHook = new Map(entry.hooks.map((r) => [r.hook, r]));
    const fail = byHook.get('onSwitchMaster');
    const hang = byHook.get('onFailoverEnd');
    const runs = h.runs();
    const failStarts = runs.filter((r) => r[0] === 'fail.sh').map((r) => Number(r[8]));
    const hangStarts = runs.filter((r) => r[0] === 'hang.sh').map((r) => Number(r[8]));
    // Alive: a process that is not a zombie (a killed orphan waits for init to reap it).
    const strayAlive = strays.filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
      } catch {
        return false;
      }
    });
    t.diagnostic(
      `failover ended ${endedAt - killedAt} ms after the kill; onSwitchMaster result committed ${fail ? fail.at - killedAt : '?'} ms, onFailoverEnd ${hang ? hang.at - killedAt : '?'} ms after it`,
    );
    t.diagnostic(
      `fail.sh attempts started at +${failStarts.map((x) => x - killedAt).join(', +')} ms; hang.sh at +${hangStarts.map((x) => x - killedAt).join(', +')} ms`,
    );
    t.diagnostic(
      `hook runs: ${JSON.stringify(entry.hooks)}; children of hang.sh still alive: ${strayAlive.length}/${strays.length} (${strays
        .map((pid) => {
          try {
            return `${pid}: ${readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0, 60)}`;
          } catch {
            return `${pid}: gone`;
          }
        })
        .join('; ')})`,
    );

    assert.equal(entry.result, 'ended', 'the failover ended');
    assert.ok(
      fail && fail.at > endedAt,
      'the failing hook was still being retried when the failover had ended',
    );
    assert.equal(fail?.exitCode, 1);
    assert.equal(fail?.attempts, 3);
    assert.equal(failStarts.length, 3, 'fail.sh ran 3 times');
    assert.match(fail?.output ?? '', /failing on purpose/);
    assert.equal(hang?.exitCode, null, 'the hanging hook was killed');
    assert.equal(hang?.attempts, 3);
    assert.equal(hangStarts.length, 3, 'hang.sh ran 3 times');
    assert.match(hang?.output ?? '', new RegExp(`killed after ${TIMEOUT_MS} ms`));
    // Each attempt ended at the timeout: the next started about timeoutMs + the 1 s retry delay later.
    for (let i = 1; i < hangStarts.length; i++) {
      const gap = hangStarts[i] - hangStarts[i - 1];
      assert.ok(
        gap < 10 * TIMEOUT_MS,
        `hang.sh attempt ${i + 1} started ${gap} ms after attempt ${i} (killed at timeoutMs ${TIMEOUT_MS})`,
      );
    }
    assert.equal(
      strayAlive.length,
      0,
      `a killed hook leaves no process behind (alive: ${strayAlive.join(', ')})`,
    );
    const v = await rig.view();
    assert.equal(v.epoch, 1, 'one failover');
  },
);
