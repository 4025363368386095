// GET /v1/openapi.json describes exactly the routes a node registers (docs/design.md 5.2): the
// document's (method, path) pairs are compared with the router's own list (GET /debug/routes, a
// test-only route), so a route added without documentation, or documented and gone, fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftinelCluster } from '../helpers/raftinel-cluster.js';

interface OpenApi {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

test(
  'the OpenAPI document lists every route of a running node and nothing else',
  { timeout: 60_000 },
  async (t) => {
    const c = await RaftinelCluster.create({ size: 1 });
    t.after(() => c.destroy());
    await c.start();
    const [n1] = c.nodes;
    const doc = (await n1.get<OpenApi>('/v1/openapi.json')).body;
    assert.equal(doc.openapi, '3.1.0');
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const registered = (await n1.get<string[]>('/debug/routes')).body
      .filter((r) => !r.includes(' /debug/'))
      .sort();
    assert.deepEqual(documented, registered);
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [m, op] of Object.entries(ops))
        assert.ok(op.responses['200'], `${m} ${path} has a 200 answer`);
    t.diagnostic(`${registered.length} routes documented`);
  },
);
