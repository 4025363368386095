// What minReplicasToWrite (docs/design.md 4.8) does to acknowledged writes lost by an old master
// that goes on taking writes from a stale client (one that keeps writing to the old master's
// address) after the cluster failed over. Every run starts from scratch: 3 redis-server (r1 the
// master, r2 and r3 its replicas) and 3 `raftinel node` processes, downAfterMs 1000.
//
// Cases (each with minReplicasToWrite unset, and with 1 and minReplicasMaxLagMs 1000):
// - sleep-<f>: DEBUG SLEEP of r1 for f x downAfterMs (f = 1.5, 3): failed over while it sleeps;
//   when it wakes, it runs the writes queued meanwhile before the first probe demotes it;
// - pause-<f>: CLIENT PAUSE <f x downAfterMs> ALL on r1: the same with the process running;
// - cut-<f>: r1 cut off from its replicas and from raftinel (every Redis address is behind a
//   fault proxy; the proxy of r1 blackholes every source) for f x downAfterMs while the stale
//   client reaches it directly; then healed.
// Lost: writes r1 acknowledged after the fault began whose value the new master's counter does
// not reach. Nothing here asserts anything; numbers are for reading, on a shared machine.
//
//   node dist/bench/failover/write-safety.js [--runs 3] [--cases sleep-1.5,sleep-3,pause-1.5,pause-3,cut-3,cut-6]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FailoverRig } from '../../test/helpers/failover-rig.js';
import { redisGetNumber, redisQuery } from '../../test/helpers/redis-query.js';
import { stopAllRedis } from '../../test/helpers/redis-server.js';
import { IncrWriter } from '../../test/helpers/redis-writer.js';
import { sleep, waitFor } from '../../test/helpers/wait.js';

const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
const DOWN_AFTER_MS = 1000;
const KEY = 'counter';

interface Run {
  readonly case: string;
  readonly minReplicasToWrite: number | null;
  readonly run: number;
  readonly failedOverMs: number | null;
  readonly ackedByOldAfterFault: number;
  readonly lost: number;
  readonly oldMasterErrors: number;
  readonly lastError: string | null;
}

async function one(kase: string, minReplicas: number | null, run: number): Promise<Run> {
  const cut = kase.startsWith('cut');
  const rig = await FailoverRig.create({
    proxied: cut,
    defaults: {
      downAfterMs: DOWN_AFTER_MS,
      ...(minReplicas !== null ? { minReplicasToWrite: minReplicas, minReplicasMaxLagMs: 1000 } : {}),
    },
  });
  try {
    await rig.start();
    const r1 = rig.redis('r1');
    if (minReplicas !== null) {
      await waitFor(
        'min-replicas-to-write set on r1',
        async () => {
          const v = await redisQuery(r1.realPort, ['CONFIG', 'GET', 'min-replicas-to-write']);
          return Array.isArray(v) && Number(v[1]) === minReplicas ? true : undefined;
        },
        { timeoutMs: 10_000 },
      );
    }
    const stale = new IncrWriter({
      key: KEY,
      target: async () => ({ host: r1.host, port: r1.realPort }),
      commandTimeoutMs: 300,
    }).start();
    await stale.waitAcks(200);
    const faultAt = performance.now();
    const [kind, factorText] = kase.split('-');
    const faultMs = Number(factorText ?? 3) * DOWN_AFTER_MS;
    let sleeping: Promise<unknown> = Promise.resolve();
    if (kind === 'sleep') {
      sleeping = redisQuery(r1.realPort, ['DEBUG', 'SLEEP', String(faultMs / 1000)], {
        timeoutMs: 10 * faultMs,
      });
    } else if (kind === 'pause') {
      await redisQuery(r1.realPort, ['CLIENT', 'PAUSE', String(faultMs), 'ALL']);
    } else {
      r1.proxy?.cut('blackhole');
    }
    let failedOverMs: number | null = null;
    const v = await rig
      .waitView('mymaster', (x) => x.epoch >= 1 && x.master?.id !== 'r1', 'failover', 10 * faultMs)
      .then((x) => {
        failedOverMs = Math.round(performance.now() - faultAt);
        return x;
      })
      .catch(() => null);
    await sleep(Math.max(0, faultAt + faultMs - performance.now()));
    if (cut) r1.proxy?.heal();
    await sleeping;
    // Until r1 answers as a replica, then a little longer.
    await waitFor('r1 demoted', async () => ((await r1.role(2000)).role === 'slave' ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 20,
    }).catch(() => undefined);
    await sleep(500);
    await stale.stop();
    const master = v?.master ? rig.redis(v.master.id) : null;
    const newValue = master ? ((await redisGetNumber(master.realPort, KEY)) ?? 0) : Infinity;
    const acked = stale.ackedBy(`${r1.host}:${r1.realPort}`, faultAt);
    return {
      case: kase,
      minReplicasToWrite: minReplicas,
      run,
      failedOverMs,
      ackedByOldAfterFault: acked.length,
      lost: acked.filter((a) => a.value > newValue).length,
      oldMasterErrors: stale.errors,
      lastError: stale.lastError,
    };
  } finally {
    await rig.destroy();
    await stopAllRedis();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      cases: { type: 'string', default: 'sleep-1.5,sleep-3,pause-1.5,pause-3,cut-3,cut-6' },
      settings: { type: 'string', default: 'off,1' },
    },
  });
  const runs = Number(values.runs);
  const results: Run[] = [];
  for (const kase of values.cases.split(',')) {
    for (const setting of values.settings.split(',')) {
      const min = setting === 'off' ? null : Number(setting);
      for (let i = 1; i <= runs; i++) {
        const r = await one(kase, min, i);
        results.push(r);
        console.log(
          `${r.case} minReplicasToWrite=${r.minReplicasToWrite ?? 'off'} run ${r.run}: failover ${r.failedOverMs ?? '-'} ms; ` +
            `old master acked ${r.ackedByOldAfterFault} after the fault, lost ${r.lost}; errors ${r.oldMasterErrors} (last: ${r.lastError})`,
        );
      }
    }
  }
  console.log('\n| case | minReplicasToWrite | lost per run | acked by old master after the fault |');
  console.log('|---|---|---|---|');
  for (const kase of values.cases.split(',')) {
    for (const setting of values.settings.split(',')) {
      const min = setting === 'off' ? null : Number(setting);
      const rs = results.filter((r) => r.case === kase && r.minReplicasToWrite === min);
      console.log(
        `| ${kase} | ${setting} | ${rs.map((r) => r.lost).join(', ')} | ${rs.map((r) => r.ackedByOldAfterFault).join(', ')} |`,
      );
    }
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `write-safety-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify({ downAfterMs: DOWN_AFTER_MS, results }, null, 2) + '\n');
  console.log(`\nwritten ${file}`);
}

await main();
