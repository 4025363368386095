// HTTP discovery, health and admin routes (DESIGN.md 5.2). Reads of /v1/shards* go through a
// ReadIndex round (linearizable) or, with ?stale=ok, answer the applied view marked stale.
// Admin routes need the token (or loopback without an admin block), are audited, and are
// forwarded to the leader by followers.
import { timingSafeEqual } from 'node:crypto';
import { readSecretFile, type RaftinelConfig } from '../config/index.js';
import type { FailoverDriver } from '../failover/driver.js';
import type { Topology } from '../failover/topology.js';
import type { TopologyCommand } from '../failover/types.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Logger } from '../util/log.js';
import { errorReply, type HttpReply, type HttpRequest, type Router } from '../node/http-server.js';
import { shardView } from './shard-view.js';

export interface DiscoveryDeps {
  readonly config: RaftinelConfig;
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  readonly driver: FailoverDriver;
  readonly logger: Logger;
  /** Sends an admin request to the leader and resolves with its reply. */
  readonly forward: (req: HttpRequest) => Promise<HttpReply>;
}

const SWITCHOVER_TIMEOUT_MS = 30_000;

export function addDiscoveryRoutes(router: Router, deps: DiscoveryDeps): void {
  const { runtime, topology, driver } = deps;
  const view = (name: string): ReturnType<typeof shardView> | null => {
    const s = topology().shards[name];
    return s ? shardView(topology(), s, (shard, node) => driver.ownView(shard, node)) : null;
  };

  router.on('GET', '/v1/shards', (req) =>
    linearizable(runtime, req, () => ({ status: 200, body: Object.keys(topology().shards).sort().map((n) => view(n)) })),
  );
  router.on('GET', '/v1/shards/{name}', (req, p) =>
    linearizable(runtime, req, () => {
      const v = view(p.name);
      return v ? { status: 200, body: v } : notFound(p.name);
    }),
  );
  router.on('GET', '/v1/shards/{name}/master', (req, p) =>
    linearizable(runtime, req, () => {
      const v = view(p.name);
      if (!v) return notFound(p.name);
      if (!v.master) return errorReply(503, 'no_master', `shard ${p.name} has no master: ${v.problem ?? 'not adopted yet'}`);
      return { status: 200, body: { ...v.master, epoch: v.epoch } };
    }),
  );
  router.on('GET', '/v1/shards/{name}/history', (req, p) =>
    linearizable(runtime, req, () =>
      topology().shards[p.name] ? { status: 200, body: { shard: p.name, entries: topology().history[p.name] ?? [] } } : notFound(p.name),
    ),
  );
  router.on('GET', '/v1/shards/{name}/candidates', (req, p) =>
    admin(deps, req, () => {
      const report = driver.candidates(p.name);
      return report ? { status: 200, body: report } : notFound(p.name);
    }),
  );

  router.on('GET', '/health/primary/{shard}/{node}', (_req, p) => {
    const s = topology().shards[p.shard];
    const own = driver.ownView(p.shard, p.node);
    const ok = !!s && s.master === p.node && runtime.hasFreshLeader() && !!own && own.reachable && !own.sdown && own.role === 'master';
    return ok ? { status: 200, body: { role: 'master', node: p.node } } : errorReply(503, 'not_primary', `${p.node} is not the up master of ${p.shard}`);
  });
  router.on('GET', '/health/replica/{shard}/{node}', (req, p) => {
    const s = topology().shards[p.shard];
    const v = s ? view(p.shard) : null;
    const r = v?.replicas.find((x) => x.id === p.node);
    const own = driver.ownView(p.shard, p.node);
    const maxLag = req.query.has('maxLagBytes') ? Number(req.query.get('maxLagBytes')) : Infinity;
    const ok = !!r && !!own && own.reachable && own.role === 'slave' && r.linkUp === true && (r.lagBytes ?? Infinity) <= maxLag;
    return ok ? { status: 200, body: { role: 'replica', node: p.node, lagBytes: r?.lagBytes } } : errorReply(503, 'not_replica', `${p.node} is not a healthy replica of ${p.shard}`);
  });

  const command = (cmd: (p: Record<string, string>) => TopologyCommand, what: string) => (req: HttpRequest, p: Record<string, string>) =>
    admin(deps, req, () => propose(runtime, cmd(p), what, deps.logger));
  router.on('POST', '/v1/shards/{name}/pause', command((p) => ({ type: 'pause', shard: p.name }), 'pause'));
  router.on('POST', '/v1/shards/{name}/resume', command((p) => ({ type: 'resume', shard: p.name }), 'resume'));
  router.on('POST', '/v1/shards/{name}/ack', command((p) => ({ type: 'ack', shard: p.name }), 'ack'));
  router.on('POST', '/v1/pause', command(() => ({ type: 'pause', shard: null }), 'pause all'));
  router.on('POST', '/v1/resume', command(() => ({ type: 'resume', shard: null }), 'resume all'));
  router.on('POST', '/v1/shards/{name}/switchover', (req, p) =>
    admin(deps, req, async () => {
      const body = parseBody(req.body, ['to', 'dryRun']);
      if (typeof body === 'string') return errorReply(400, 'bad_request', body);
      const to = typeof body.to === 'string' ? body.to : null;
      if (!topology().shards[p.name]) return notFound(p.name);
      if (body.dryRun === true) {
        return { status: 200, body: { ok: true, dryRun: true, shard: p.name, to, candidates: driver.candidates(p.name) } };
      }
      const result = await driver.switchover(p.name, to, SWITCHOVER_TIMEOUT_MS);
      return { status: result.ok ? 200 : 409, body: result };
    }),
  );
}

/** Answers after a ReadIndex round; 503 without a majority, or the applied view marked stale. */
function linearizable(runtime: RaftRuntime, req: HttpRequest, answer: () => HttpReply): Promise<HttpReply> | HttpReply {
  if (req.query.get('stale') === 'ok') {
    const r = answer();
    const stale = !runtime.hasFreshLeader();
    return stale && r.status === 200 ? { ...r, body: markStale(r.body) } : r;
  }
  return new Promise((resolve) => {
    runtime.readIndex((err) => resolve(err ? errorReply(503, 'no_quorum', `no majority confirmed the read: ${err.message}`) : answer()));
  });
}

function markStale(body: unknown): unknown {
  if (Array.isArray(body)) return body.map((b) => ({ ...(b as object), stale: true }));
  return { ...(body as object), stale: true };
}

/** Admin: authorize, audit, then run on the leader (followers forward). */
async function admin(deps: DiscoveryDeps, req: HttpRequest, run: () => HttpReply | Promise<HttpReply>): Promise<HttpReply> {
  const denied = authorize(deps.config, req);
  if (denied) return denied;
  deps.logger.info({ event: 'audit', method: req.method, path: req.path, remote: req.remoteAddress, forwarded: req.headers['x-raftinel-forwarded'] === '1' }, 'admin request');
  const s = deps.runtime.status();
  if (s.role !== 'leader') {
    if (req.headers['x-raftinel-forwarded'] === '1') return errorReply(503, 'not_leader', 'leadership moved while forwarding');
    if (s.leader === null) return errorReply(503, 'no_leader', 'no leader to forward to');
    return deps.forward(req);
  }
  return run();
}

function authorize(config: RaftinelConfig, req: HttpRequest): HttpReply | null {
  if (req.headers['x-raftinel-forwarded'] === '1' && req.remoteAddress === 'peer') return null; // authorized by the follower
  if (req.remoteAddress === 'internal') return null; // the RESP side authenticated it (AUTH admin)
  if (!config.admin) {
    const loopback = req.remoteAddress === '127.0.0.1' || req.remoteAddress === '::1' || req.remoteAddress.startsWith('::ffff:127.');
    return loopback ? null : errorReply(403, 'forbidden', 'admin routes accept loopback clients only (no admin block in the config)');
  }
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  let token: string;
  try {
    token = readSecretFile(config.admin.tokenFile);
  } catch {
    return errorReply(500, 'token_unreadable', 'the admin token file cannot be read');
  }
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b) ? null : errorReply(401, 'unauthorized', 'a valid admin token is required (Authorization: Bearer)');
}

function propose(runtime: RaftRuntime, command: TopologyCommand, what: string, logger: Logger): Promise<HttpReply> {
  return new Promise((resolve) => {
    runtime.propose(JSON.stringify({ type: 'topology', command }), (err) => {
      if (err) resolve(errorReply(503, err.code, err.message));
      else {
        logger.info({ event: 'admin-action', action: what }, what);
        resolve({ status: 200, body: { ok: true, action: what } });
      }
    });
  });
}

function parseBody(body: unknown, allowed: readonly string[]): Record<string, unknown> | string {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  return unknown.length > 0 ? `unknown field(s): ${unknown.join(', ')}` : (body as Record<string, unknown>);
}

function notFound(name: string): HttpReply {
  return errorReply(404, 'shard_not_found', `no shard named ${name}`);
}
