// Every surface tells the same truth about each Redis node and the shard (docs/design.md 5.3),
// against real redis-server and raftinel processes: after a SIGKILL of replica r3, `raftinel
// status`, GET /v1/shards (what `status --json` prints), SENTINEL REPLICAS/MASTER and /metrics of one node
// all say r3 is down (never its last link "up"); after the master is killed too (the shard
// paused, so the state holds), the first view without a reply from the master is not "ok" and
// every surface reaches odown; after resume and the failover, every surface shows the new master
// and the cooldown. The deadlines are hang guards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailoverRig, type ShardView } from '../helpers/failover-rig.js';
import type { RaftinelProcess } from '../helpers/raftinel-process.js';
import { redisQuery, type RespValue } from '../helpers/redis-query.js';
import { runRaftinel } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait.js';

const DOWN_AFTER_MS = 1000;

interface NodeView {
  readonly id: string;
  readonly status: string;
  readonly reachable: boolean;
  readonly sdown: boolean;
  readonly linkUp?: boolean | null;
  readonly lagBytes?: number | null;
}

type FullView = Omit<ShardView, 'master' | 'replicas'> & {
  readonly master: NodeView | null;
  readonly replicas: readonly NodeView[];
  readonly cooldownUntil: number | null;
  readonly quorum: number;
  readonly sdownBy: Record<string, string[]>;
};

/** What every surface of one raftinel node says, read one after the other. */
interface Surfaces {
  readonly http: FullView;
  readonly cliTable: string;
  readonly respMaster: Map<string, string>;
  readonly respReplicas: Map<string, Map<string, string>>;
  readonly metrics: string;
}

function record(v: RespValue): Map<string, string> {
  assert.ok(Array.isArray(v), `a record: ${JSON.stringify(v)}`);
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < v.length; i += 2) m.set(String(v[i]), String(v[i + 1]));
  return m;
}

async function surfaces(node: RaftinelProcess): Promise<Surfaces> {
  const http = await node.get<FullView>('/v1/shards/mymaster');
  assert.equal(http.status, 200, JSON.stringify(http.body));
  const env = { ...process.env, RAFTINEL_ENDPOINT: node.httpUrl, NO_COLOR: '1' };
  const table = await runRaftinel(['status'], { env });
  assert.equal(table.code, 0, `raftinel status: ${table.stdout}${table.stderr}`);
  const port = Number(node.options.node.sentinel.split(':')[1]);
  const respMaster = record(await redisQuery(port, ['SENTINEL', 'MASTER', 'mymaster']));
  const replicas = await redisQuery(port, ['SENTINEL', 'REPLICAS', 'mymaster']);
  assert.ok(Array.isArray(replicas));
  const respReplicas = new Map(
    replicas.map((r) => {
      const rec = record(r);
      return [rec.get('port') ?? '', rec] as const;
    }),
  );
  const metrics = await fetch(`${node.httpUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
  return {
    http: http.body,
    cliTable: table.stdout,
    respMaster,
    respReplicas,
    metrics: await metrics.text(),
  };
}

/** The `raftinel status` table row of a Redis node: its STATUS and LINK cells. */
function cliRow(table: string, id: string): { status: string; link: string } {
  const lines = table.split('\n');
  const header = lines.find((l) => l.startsWith('SHARD')) ?? assert.fail(`no shard table:\n${table}`);
  const col = (name: string): number => header.indexOf(name);
  const row =
    lines.find((l) => l.slice(col('NODE')).startsWith(`${id} `)) ?? assert.fail(`no row ${id}:\n${table}`);
  return {
    status: row.slice(col('STATUS'), col('ADDRESS')).trim(),
    link: row.slice(col('LINK')).trim(),
  };
}

function metric(text: string, name: string, labels: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

const nodeLabels = (id: string): string => `shard="mymaster",node="${id}"`;

test(
  'a killed replica, then a killed master: CLI, HTTP, RESP and /metrics say the same at each step',
  { timeout: 180_000 },
  async (t) => {
    const rig = await FailoverRig.create({ defaults: { downAfterMs: DOWN_AFTER_MS, pingIntervalMs: 100 } });
    t.after(() => rig.destroy());
    await rig.start();
    const t0 = performance.now();
    const phase = (what: string): void => t.diagnostic(`${what} at ${Math.round(performance.now() - t0)} ms`);
    const [n1] = rig.nodes;
    const [r1, r2, r3] = rig.shard().nodes;
    const view = async (): Promise<FullView> => {
      const r = await n1.get<FullView>('/v1/shards/mymaster');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    const waitView = (what: string, pred: (v: FullView) => boolean): Promise<FullView> =>
      waitFor(what, async () => ((x) => (pred(x) ? x : undefined))(await view()), {
        timeoutMs: 20 * DOWN_AFTER_MS,
        intervalMs: 20,
      }).catch((err: unknown) =>
        assert.fail(`${err instanceof Error ? err.message : String(err)}\n${n1.tail()}`),
      );
    await waitView('every node up and linked', (v) =>
      v.replicas.every((r) => r.status === 'up' && r.linkUp === true),
    );

    // 1. Replica r3 killed.
    await r3.kill();
    await waitView('r3 seen down', (v) => v.replicas.find((r) => r.id === 'r3')?.status === 'sdown');
    phase('r3 sdown');
    let s = await surfaces(n1);
    phase('surfaces read');
    let v = s.http;
    assert.equal(v.state, 'ok', 'a replica down leaves the shard ok');
    const dead = v.replicas.find((r) => r.id === 'r3');
    assert.deepEqual(
      [dead?.status, dead?.reachable, dead?.sdown, dead?.linkUp, dead?.lagBytes],
      ['sdown', false, true, null, null],
      'r3: down, its link and lag unknown',
    );
    assert.equal(v.replicas.find((r) => r.id === 'r2')?.status, 'up');
    const r3Row = cliRow(s.cliTable, 'r3');
    assert.match(r3Row.status, /^sdown [123]\/2$/, s.cliTable);
    assert.equal(r3Row.link, '?', s.cliTable);
    assert.equal(cliRow(s.cliTable, 'r2').link, 'up');
    const r3Record = s.respReplicas.get(String(r3.port));
    assert.equal(r3Record?.get('flags'), 's_down,slave,disconnected');
    assert.equal(r3Record?.get('master-link-status'), 'err');
    assert.equal(s.respReplicas.get(String(r2.port))?.get('flags'), 'slave');
    assert.equal(s.respMaster.get('flags'), 'master');
    assert.equal(metric(s.metrics, 'raftinel_redis_up', nodeLabels('r3')), 0);
    assert.equal(metric(s.metrics, 'raftinel_redis_sdown', nodeLabels('r3')), 1);
    assert.equal(metric(s.metrics, 'raftinel_replica_lag_bytes', nodeLabels('r3')), null);
    assert.equal(metric(s.metrics, 'raftinel_redis_up', nodeLabels('r2')), 1);
    assert.equal(metric(s.metrics, 'raftinel_shard_state', 'shard="mymaster",state="ok"'), 1);

    // 2. The shard paused (the odown state holds), master r1 killed.
    assert.equal((await rig.post('/v1/shards/mymaster/pause')).status, 200);
    await r1.kill();
    const firstMiss = await waitView('r1 missing replies', (v) => v.master?.reachable === false);
    assert.notEqual(
      firstMiss.state,
      'ok',
      `no reply from the master is never "ok": ${JSON.stringify(firstMiss)}`,
    );
    const odown = await waitView('r1 odown', (v) => v.state === 'odown');
    t.diagnostic(
      `first view without r1: state ${firstMiss.state}; then ${odown.state}, sdownBy ${JSON.stringify(odown.sdownBy)}`,
    );
    phase('r1 odown');
    s = await surfaces(n1);
    phase('surfaces read');
    v = s.http;
    assert.equal(v.state, 'odown');
    assert.equal(v.paused, true);
    assert.equal(v.master?.id, 'r1');
    assert.equal(v.master?.status, 'odown');
    assert.ok((v.sdownBy.r1 ?? []).length >= v.quorum, `a quorum sees r1 down: ${JSON.stringify(v.sdownBy)}`);
    assert.match(cliRow(s.cliTable, 'r1').status, /^odown [23]\/2$/);
    assert.match(s.cliTable, /^mymaster +0 +odown +yes /m);
    assert.equal(s.respMaster.get('flags'), 's_down,o_down,master,disconnected');
    assert.equal(metric(s.metrics, 'raftinel_shard_state', 'shard="mymaster",state="odown"'), 1);
    assert.equal(metric(s.metrics, 'raftinel_redis_up', nodeLabels('r1')), 0);
    assert.ok((metric(s.metrics, 'raftinel_redis_sdown_observers', nodeLabels('r1')) ?? 0) >= 2);

    // 3. Resumed: r2 (the only live replica) is promoted; then the cooldown shows everywhere.
    assert.equal((await rig.post('/v1/shards/mymaster/resume')).status, 200);
    const cooling = await waitView('failed over, cooldown', (v) => v.epoch === 1 && v.state === 'cooldown');
    assert.equal(cooling.master?.id, 'r2');
    phase('failed over');
    s = await surfaces(n1);
    phase('surfaces read');
    v = s.http;
    assert.equal(v.state, 'cooldown');
    assert.ok(v.cooldownUntil !== null && v.cooldownUntil > Date.now(), `cooldownUntil ${v.cooldownUntil}`);
    assert.equal(v.master?.status, 'up');
    for (const id of ['r1', 'r3']) assert.equal(v.replicas.find((r) => r.id === id)?.status, 'sdown', id);
    assert.match(s.cliTable, /^mymaster +1 +cooldown +no /m);
    assert.match(s.cliTable, /^mymaster: automatic failovers held back until \d{4}-\d\d-\d\dT/m);
    assert.equal(s.respMaster.get('port'), String(r2.port));
    assert.equal(s.respMaster.get('flags'), 'master', 'no o_down once promoted');
    assert.equal(s.respReplicas.get(String(r1.port))?.get('flags'), 's_down,slave,disconnected');
    assert.equal(metric(s.metrics, 'raftinel_shard_state', 'shard="mymaster",state="cooldown"'), 1);
    assert.equal(metric(s.metrics, 'raftinel_redis_up', nodeLabels('r2')), 1);
  },
);
