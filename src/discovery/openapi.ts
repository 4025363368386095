// The HTTP API as an OpenAPI 3.1 document, served at GET /v1/openapi.json (docs/design.md 5.2).
// test/integration/openapi.test.ts compares its paths and methods with the routes the node
// really registers, so the two cannot drift apart.

import { SHARD_STATUSES } from './node-state.js';

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
});

const schemas: Record<string, Schema> = {
  Error: obj({ error: obj({ code: str, message: str }) }),
  Member: obj({
    id: str,
    role: { enum: ['voter', 'learner'] },
    state: str,
    raft: nullable(str),
    http: nullable(str),
    sentinel: nullable(str),
    healthy: bool,
    lastContactMs: nullable(int),
  }),
  Cluster: obj({
    cluster: str,
    node: str,
    term: int,
    leader: nullable(str),
    commitIndex: int,
    appliedIndex: int,
    members: { type: 'array', items: ref('Member') },
  }),
  RedisNodeState: obj({
    id: str,
    host: str,
    port: int,
    status: {
      enum: ['up', 'unsure', 'unreachable', 'sdown', 'odown'],
      description: 'docs/design.md 5.3: worst first odown, sdown, unreachable, unsure, up',
    },
    reachable: { ...bool, description: 'the answering node got a valid reply within a few probe intervals' },
    sdown: { ...bool, description: "SDOWN in the answering node's own view" },
    reportedRole: { enum: ['master', 'slave', 'unknown'] },
    maintenance: {
      ...bool,
      description:
        'in maintenance (`raftinel maintenance on`): never promoted; a master in maintenance holds back automatic failover',
    },
  }),
  Replica: {
    allOf: [
      ref('RedisNodeState'),
      obj({
        lagBytes: nullable(int),
        lagSeconds: {
          ...nullable({ type: 'number' }),
          description: "seconds since the master first went past the replica's processed offset",
        },
        linkUp: {
          ...nullable(bool),
          description: 'master_link_status; null while the replica does not answer',
        },
      }),
    ],
  },
  ObserverMap: {
    type: 'object',
    description: 'Redis node id -> raftinel node ids (nodes seen up by every observer are absent)',
    additionalProperties: { type: 'array', items: str },
  },
  Shard: obj(
    {
      name: str,
      epoch: int,
      master: nullable(ref('RedisNodeState')),
      replicas: { type: 'array', items: ref('Replica') },
      state: { enum: [...SHARD_STATUSES], description: 'docs/design.md 5.3, worst first' },
      paused: bool,
      cooldownUntil: {
        ...nullable(int),
        description: 'wall-clock ms until which automatic failovers wait after the last failover',
      },
      quorum: { ...int, description: 'raftinel nodes that must see the master SDOWN for ODOWN' },
      observedBy: { type: 'array', items: str, description: 'raftinel nodes with a fresh report' },
      sdownBy: ref('ObserverMap'),
      unsureBy: ref('ObserverMap'),
      stale: bool,
      problem: str,
      preflight: {
        type: 'array',
        description:
          "the answering node's preflight problems with the shard's Redis nodes (docs/design.md 4.4)",
        items: obj({ node: str, severity: { enum: ['error', 'warn'] }, message: str }),
      },
    },
    [
      'name',
      'epoch',
      'master',
      'replicas',
      'state',
      'paused',
      'cooldownUntil',
      'quorum',
      'observedBy',
      'sdownBy',
      'unsureBy',
    ],
  ),
  Master: obj({ id: str, host: str, port: int, epoch: int }),
  Switchover: obj({ to: str, dryRun: bool }, []),
  Failover: obj({ to: str, allowDataLoss: bool }, ['to']),
  RedisNode: obj({ id: str, host: str, port: int, priority: int, noFailover: bool }, ['id', 'host', 'port']),
  NewShard: obj(
    {
      name: str,
      nodes: { type: 'array', items: ref('RedisNode') },
      initialMaster: str,
      settings: { type: 'object', description: 'shard settings (docs/design.md 6a defaults)' },
    },
    ['name', 'nodes'],
  ),
  ShardChange: obj({ nodes: { type: 'array', items: ref('RedisNode') }, settings: { type: 'object' } }, []),
  NewMember: obj({ id: str, raft: { type: 'string', description: 'host:port of its Raft listener' } }),
  Result: { type: 'object', description: 'the action result (a switchover: the drill report)' },
};

interface Op {
  summary: string;
  body?: string;
  query?: Record<string, string>;
  admin?: boolean;
  reply?: string;
  contentType?: string;
}

const shard = { name: 'shard name' };
const node = { shard: 'shard name', node: 'Redis node id' };

/** path -> method -> operation; `{x}` path parameters are described in `params`. */
const routes: Record<string, { params?: Record<string, string>; ops: Record<string, Op> }> = {
  '/v1/cluster': { ops: { get: { summary: 'Raft members, term and leader', reply: 'Cluster' } } },
  '/v1/shards': {
    ops: {
      get: {
        summary: 'every shard, after a ReadIndex round',
        query: { stale: 'ok: the applied view, marked stale' },
        reply: 'Shard[]',
      },
      post: { summary: 'add a shard through the log', body: 'NewShard', admin: true },
    },
  },
  '/v1/shards/{name}': {
    params: shard,
    ops: {
      get: {
        summary: 'one shard, after a ReadIndex round',
        query: { stale: 'ok: the applied view, marked stale' },
        reply: 'Shard',
      },
      patch: {
        summary: 'change a shard (nodes, settings) through the log',
        body: 'ShardChange',
        admin: true,
      },
      delete: { summary: 'remove a shard through the log', admin: true },
    },
  },
  '/v1/shards/{name}/master': {
    params: shard,
    ops: { get: { summary: "the shard's committed master", reply: 'Master' } },
  },
  '/v1/shards/{name}/candidates': {
    params: shard,
    ops: { get: { summary: 'the candidate report: why each replica would win or lose', reply: 'Result' } },
  },
  '/v1/shards/{name}/history': {
    params: shard,
    ops: {
      get: { summary: 'failovers and switchovers with timeline and candidate report', reply: 'Result' },
    },
  },
  '/v1/shards/{name}/watch': {
    params: shard,
    ops: {
      get: {
        summary: 'Server-Sent Events: the current state, then every change',
        contentType: 'text/event-stream',
      },
    },
  },
  '/v1/watch': {
    ops: {
      get: {
        summary:
          'Server-Sent Events for the whole cluster: cluster, every shard, synced; then every change (cluster, shard, removed)',
        contentType: 'text/event-stream',
      },
    },
  },
  '/ui': {
    ops: { get: { summary: 'the live status page (self-contained HTML)', contentType: 'text/html' } },
  },
  '/v1/shards/{name}/switchover': {
    params: shard,
    ops: {
      post: {
        summary: 'planned switchover (drill); dryRun: preflight only',
        body: 'Switchover',
        admin: true,
      },
    },
  },
  '/v1/shards/{name}/failover': {
    params: shard,
    ops: { post: { summary: 'forced failover to a named replica', body: 'Failover', admin: true } },
  },
  '/v1/shards/{name}/pause': {
    params: shard,
    ops: { post: { summary: 'hold automatic failovers of the shard', admin: true } },
  },
  '/v1/shards/{name}/resume': {
    params: shard,
    ops: { post: { summary: 'allow automatic failovers again', admin: true } },
  },
  '/v1/shards/{name}/ack': {
    params: shard,
    ops: { post: { summary: "end the cooldown and clear the shard's problem", admin: true } },
  },
  '/v1/shards/{name}/nodes/{node}/maintenance': {
    params: { ...shard, node: 'Redis node id' },
    ops: {
      post: {
        summary:
          'put a Redis node in maintenance: never promoted; while it is the master, no automatic failover',
        admin: true,
      },
      delete: { summary: 'end the maintenance of a Redis node', admin: true },
    },
  },
  '/v1/pause': { ops: { post: { summary: 'hold automatic failovers of every shard', admin: true } } },
  '/v1/resume': { ops: { post: { summary: 'allow automatic failovers of every shard', admin: true } } },
  '/v1/members': {
    ops: { post: { summary: 'add a Raft member as a learner', body: 'NewMember', admin: true } },
  },
  '/v1/members/{id}': {
    params: { id: 'raftinel node id' },
    ops: {
      delete: { summary: 'remove a Raft member (refused if a live majority would not remain)', admin: true },
    },
  },
  '/health/primary/{shard}/{node}': {
    params: node,
    ops: {
      get: { summary: "200 when the node is the committed master and up in this node's view, else 503" },
    },
  },
  '/health/replica/{shard}/{node}': {
    params: node,
    ops: {
      get: {
        summary: '200 when the node is a replica, link up, lag within maxLagBytes, else 503',
        query: { maxLagBytes: 'lag budget in bytes' },
      },
    },
  },
  '/primary': {
    ops: { get: { summary: "sidecar: 200 when this node's Redis is the master (Patroni-compatible)" } },
  },
  '/replica': {
    ops: {
      get: {
        summary: "sidecar: 200 when this node's Redis is a healthy replica",
        query: { lag: 'lag budget in bytes' },
      },
    },
  },
  '/livez': { ops: { get: { summary: '200 while the process runs its loop' } } },
  '/readyz': {
    ops: { get: { summary: '200 when the node knows its leader and has applied what it committed' } },
  },
  '/leader': { ops: { get: { summary: '200 on the Raft leader only' } } },
  '/metrics': {
    ops: { get: { summary: 'Prometheus text format', contentType: 'text/plain; version=0.0.4' } },
  },
  '/v1/openapi.json': { ops: { get: { summary: 'this document', reply: 'Result' } } },
};

function operation(op: Op, params: Record<string, string> | undefined): Schema {
  const parameters = [
    ...Object.entries(params ?? {}).map(([name, description]) => ({
      name,
      in: 'path',
      required: true,
      description,
      schema: str,
    })),
    ...Object.entries(op.query ?? {}).map(([name, description]) => ({
      name,
      in: 'query',
      required: false,
      description,
      schema: str,
    })),
  ];
  const okSchema = op.reply?.endsWith('[]')
    ? { type: 'array', items: ref(op.reply.slice(0, -2)) }
    : op.reply
      ? ref(op.reply)
      : ref('Result');
  const errors = { description: 'an error', content: { 'application/json': { schema: ref('Error') } } };
  return {
    summary: op.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body === 'Failover' || op.body.startsWith('New'),
            content: { 'application/json': { schema: ref(op.body) } },
          },
        }
      : {}),
    ...(op.admin ? { security: [{ adminToken: [] }], 'x-forwarded-to-leader': true } : {}),
    responses: {
      '200': {
        description: 'ok',
        content: { [op.contentType ?? 'application/json']: { schema: op.contentType ? str : okSchema } },
      },
      '4XX': errors,
      '5XX': errors,
    },
  };
}

/** The document; `version` is the package version. */
export function openApiDocument(version: string): Schema {
  const paths: Record<string, Schema> = {};
  for (const [path, { params, ops }] of Object.entries(routes)) {
    paths[path] = Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, operation(op, params)]));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'raftinel HTTP API',
      version,
      description:
        'Discovery, health checks and admin actions of a raftinel node (docs/design.md 5.2). ' +
        'Admin routes need `Authorization: Bearer <token>` when the cluster has admin.tokenFile, ' +
        'else a client on loopback; followers forward them to the leader.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
    },
  };
}

/** Every (METHOD, path) the document describes, for the test that compares it with the router. */
export function documentedRoutes(): string[] {
  return Object.entries(routes).flatMap(([path, { ops }]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
}
