// A new leader runs the hooks of the latest epoch that no leader recorded (hook-runner.ts), and
// only of an epoch that switched the master: an aborted attempt, or a kept master (masterKept),
// switched nothing. The hook is /bin/true, run for real; its committed result is what we watch.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyTopologyCommand } from '../../../src/failover/topology.js';
import type { TopologyCommand } from '../../../src/failover/types.js';
import { HookRunner } from '../../../src/hooks/hook-runner.js';
import { silentLogger } from '../../../src/util/log.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';
import { failoverStarted, topologyWithMaster } from '../failover/fixtures.js';

/** Epoch 1 of shard m started, then ended or aborted. */
function topology(end: 'ended' | 'aborted') {
  const topo = topologyWithMaster();
  const at = Date.now();
  const commands: TopologyCommand[] = [
    failoverStarted('r2', { at, detectedAt: at }),
    end === 'ended'
      ? { type: 'promoted', shard: 'm', epoch: 1, replId: 'hist-2', at }
      : {
          type: 'failoverAborted',
          shard: 'm',
          epoch: 1,
          reason: 'r2 left the replication history',
          at,
          lostHistory: ['r2'],
        },
  ];
  if (end === 'ended')
    commands.push({ type: 'failoverEnded', shard: 'm', epoch: 1, repointed: [], timeline: {}, at });
  for (const c of commands) applyTopologyCommand(topo, c, 2);
  return topo;
}

async function hooksRunBy(end: 'ended' | 'aborted'): Promise<string[]> {
  const topo = topology(end);
  const proposed: string[] = [];
  const runner = new HookRunner({
    hooks: { onSwitchMaster: '/bin/true', onFailoverEnd: '/bin/true', timeoutMs: 5000 },
    topology: () => topo,
    leading: () => true,
    propose: (c) => {
      if (c.type === 'hookResult') proposed.push(`${c.hook} epoch ${c.epoch} exit ${c.exitCode}`);
    },
    logger: silentLogger(),
  });
  runner.becameLeader();
  // Hang guard for two runs of /bin/true, far above what they take.
  const deadline = Date.now() + 5000;
  const expected = end === 'ended' ? 2 : 0;
  while (proposed.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (expected === 0) await new Promise((r) => setTimeout(r, 300)); // room for a wrong run to show
  return proposed.sort();
}

test('a new leader runs the hooks of an epoch that switched the master', async () => {
  assert.deepEqual(await hooksRunBy('ended'), [
    'onFailoverEnd epoch 1 exit 0',
    'onSwitchMaster epoch 1 exit 0',
  ]);
});

test('a new leader runs no hook for an epoch whose attempt was aborted (nothing switched)', async () => {
  assert.deepEqual(await hooksRunBy('aborted'), []);
});

test('a hook sees the RAFTINEL_* facts of the switch but not the admin token of the environment', async (t) => {
  const saved = process.env.RAFTINEL_TOKEN;
  process.env.RAFTINEL_TOKEN = 'admin-secret-token';
  t.after(() => {
    if (saved === undefined) delete process.env.RAFTINEL_TOKEN;
    else process.env.RAFTINEL_TOKEN = saved;
  });
  const dir = makeTempDir('hook-env-');
  t.after(() => removeDir(dir));
  const script = join(dir, 'print-env.sh');
  writeFileSync(script, '#!/bin/sh\nenv\n', { mode: 0o755 });
  const topo = topology('ended');
  const outputs: string[] = [];
  const runner = new HookRunner({
    hooks: { onSwitchMaster: script, onFailoverEnd: null, timeoutMs: 5000 },
    topology: () => topo,
    leading: () => true,
    propose: (c) => {
      if (c.type === 'hookResult') outputs.push(c.output);
    },
    logger: silentLogger(),
  });
  runner.becameLeader();
  const deadline = Date.now() + 5000; // hang guard
  while (outputs.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(outputs.length, 1);
  assert.match(outputs[0], /RAFTINEL_SHARD=m/);
  assert.doesNotMatch(outputs[0], /admin-secret-token/);
});
