// The simulator must run the production code (issue 10, item 5): each simulated node's prober is
// the Prober of src/monitor/prober.ts, probing the fake Redis nodes over the Redis connection
// port, and its state machine is the ClusterState the node applies the log to. A stand-in that
// re-implemented either would test itself instead of raftinel; these tests fail if one comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prober } from '../../src/monitor/prober.js';
import { ClusterState } from '../../src/node/cluster-state.js';
import { SimCluster } from './cluster.js';

const SEED = 7;

test('every simulated node runs the production Prober and ClusterState', () => {
  const cluster = new SimCluster({ seed: SEED, safetyMs: 3000, livenessMs: 3000 });
  const result = cluster.run();
  assert.ok(result.ok, result.failure);
  const { nodes, served } = cluster.wiring();
  assert.ok(nodes.length >= 3, `only ${nodes.length} nodes running`);
  for (const n of nodes) {
    assert.ok(n.prober instanceof Prober, `${n.id}'s prober is not src/monitor/prober.ts`);
    assert.ok(n.stateMachine instanceof ClusterState, `${n.id}'s state machine is not ClusterState`);
  }
  // What only the production NodeProbe sends (its connection name, INFO with sections), answered
  // by the fake nodes over the fake connections.
  const setName = served.get('CLIENT SETNAME raftinel-probe') ?? 0;
  assert.ok(setName >= nodes.length, `CLIENT SETNAME raftinel-probe answered ${setName} times`);
  assert.ok((served.get('ROLE') ?? 0) > 100, `ROLE answered ${served.get('ROLE') ?? 0} times`);
  assert.ok((served.get('INFO') ?? 0) > 10, `INFO answered ${served.get('INFO') ?? 0} times`);
});

test('a seed replays identically with the production Prober (no wall time, no microtask timing)', () => {
  const traceOf = (): string[] => {
    const lines: string[] = [];
    const r = new SimCluster({
      seed: SEED,
      safetyMs: 3000,
      livenessMs: 3000,
      trace: (l) => lines.push(l),
    }).run();
    lines.push(JSON.stringify(r.stats));
    return lines;
  };
  const first = traceOf();
  assert.ok(first.length > 50, `only ${first.length} trace lines`);
  assert.deepEqual(traceOf(), first);
});
