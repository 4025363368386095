// HTTP discovery, health and admin routes (docs/design.md 5.2). Reads of /v1/shards* go through a
// ReadIndex round (linearizable) or, with ?stale=ok, answer the applied view marked stale.
// Admin routes need the token (or loopback without an admin block), are audited, and are
// forwarded to the leader by followers.
import type { RaftinelConfig } from '../config/core.js';
import type { FailoverDriver } from '../failover/driver.js';
import type { Topology } from '../failover/topology.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Logger } from '../util/log.js';
import { errorReply, type HttpReply, type HttpRequest, type Router } from '../node/http-server.js';
import { addAdminRoutes, admin } from './admin-routes.js';
import { ChangeCache, ViewChanges } from './change-cache.js';
import type { LiveDetail, LiveShardView } from './live-detail.js';
import type { ShardStates } from './shard-states.js';
import { shardView, type PreflightLine, type ShardView } from './shard-view.js';
import { addUiRoute } from './ui/ui-route.js';
import { addWatchRoutes } from './watch-routes.js';

export interface DiscoveryDeps {
  readonly config: RaftinelConfig;
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  readonly driver: FailoverDriver;
  readonly logger: Logger;
  /** Whether a member was heard from recently (member removal keeps a live majority). */
  readonly memberLive: (id: string) => boolean;
  /** Calls the listener with a shard's name after each applied change of it; returns unsubscribe. */
  readonly onShardChange: (listener: (shard: string) => void) => () => void;
  /** Sends an admin request to the leader and resolves with its reply. */
  readonly forward: (req: HttpRequest) => Promise<HttpReply>;
  /** The body of GET /v1/cluster (the cluster watch stream sends it on every change). */
  readonly clusterView: () => unknown;
  /** Each Redis node's state and the shard's (node-state.ts): every surface reads these. */
  readonly states: ShardStates;
  /** Lag seconds and per-observer SDOWN for the JSON views (absent: the plain view). */
  readonly live?: LiveDetail;
  /** This node's preflight problems with a shard's Redis nodes. */
  readonly preflight?: (shard: string) => readonly PreflightLine[];
  /** Changes of topology and observations: the shard views are rebuilt only after one. */
  readonly changes?: ViewChanges;
}

export function addDiscoveryRoutes(router: Router, deps: DiscoveryDeps): void {
  const { runtime, topology, driver } = deps;
  const { states } = deps;
  // Every shard's view, built once per change of topology or observations (change-cache.ts).
  const views = new ChangeCache(deps.changes ?? new ViewChanges(), () => {
    const built = new Map<string, { view: ShardView; observers: ReturnType<ShardStates['observersOf']> }>();
    for (const s of Object.values(topology().shards)) {
      const st = states.of(s.name);
      if (st)
        built.set(s.name, {
          view: shardView(s, st, deps.preflight),
          observers: states.observersOf(s.name, st),
        });
    }
    return built;
  });
  const view = (name: string): ShardView | LiveShardView | null => {
    const topo = topology();
    const s = Object.hasOwn(topo.shards, name) ? topo.shards[name] : undefined;
    if (!s) return null;
    let cached = views.get().get(name);
    // Applied but not yet counted as a change (the listeners run after this request): as of now.
    if (!cached || cached.view.epoch !== s.epoch) {
      const st = states.of(name);
      if (!st) return null;
      cached = { view: shardView(s, st, deps.preflight), observers: states.observersOf(name, st) };
    }
    return deps.live ? deps.live.decorate(cached.view, cached.observers) : cached.view;
  };

  router.on('GET', '/v1/shards', (req) =>
    linearizable(runtime, req, () => ({
      status: 200,
      body: Object.keys(topology().shards)
        .sort()
        .map((n) => view(n)),
    })),
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
      if (!v.master)
        return errorReply(
          503,
          'no_master',
          `shard ${p.name} has no master: ${v.problem ?? 'not adopted yet'}`,
        );
      const { id, host, port } = v.master;
      return { status: 200, body: { id, host, port, epoch: v.epoch } };
    }),
  );
  addWatchRoutes(router, deps, view);
  router.on('GET', '/v1/shards/{name}/history', (req, p) =>
    linearizable(runtime, req, () =>
      topology().shards[p.name]
        ? { status: 200, body: { shard: p.name, entries: historyWithHooks(topology(), p.name) } }
        : notFound(p.name),
    ),
  );
  router.on('GET', '/v1/shards/{name}/candidates', (req, p) =>
    admin(deps, req, () => {
      const report = driver.candidates(p.name);
      return report ? { status: 200, body: report } : notFound(p.name);
    }),
  );

  router.on('GET', '/health/primary/{shard}/{node}', (_req, p) => {
    const m = states.of(p.shard)?.master;
    const ok =
      !!m &&
      m.id === p.node &&
      runtime.hasFreshLeader() &&
      m.reachable &&
      !m.sdown &&
      m.reportedRole === 'master';
    return ok
      ? { status: 200, body: { role: 'master', node: p.node } }
      : errorReply(503, 'not_primary', `${p.node} is not the up master of ${p.shard}`);
  });
  router.on('GET', '/health/replica/{shard}/{node}', (req, p) => {
    const r = states.of(p.shard)?.replicas.find((x) => x.id === p.node);
    const maxLag = req.query.has('maxLagBytes') ? Number(req.query.get('maxLagBytes')) : Infinity;
    const ok =
      !!r &&
      r.reachable &&
      r.reportedRole === 'slave' &&
      r.linkUp === true &&
      (r.lagBytes ?? Infinity) <= maxLag;
    return ok
      ? { status: 200, body: { role: 'replica', node: p.node, lagBytes: r?.lagBytes } }
      : errorReply(503, 'not_replica', `${p.node} is not a healthy replica of ${p.shard}`);
  });

  addAdminRoutes(router, deps);
  addUiRoute(router);
}

/** Answers after a ReadIndex round; 503 without a majority, or the applied view marked stale. */
function linearizable(
  runtime: RaftRuntime,
  req: HttpRequest,
  answer: () => HttpReply,
): Promise<HttpReply> | HttpReply {
  if (req.query.get('stale') === 'ok') {
    const r = answer();
    const stale = !runtime.hasFreshLeader();
    return stale && r.status === 200 ? { ...r, body: markStale(r.body) } : r;
  }
  // No leader heard from within an election timeout: a ReadIndex would wait for the request
  // timeout (ten election timeouts) on a leader that cannot answer; say so at once, as RESP does.
  if (!runtime.hasFreshLeader())
    return errorReply(503, 'no_quorum', 'no leader heard from within an election timeout');
  return new Promise((resolve) => {
    runtime.readIndex((err) =>
      resolve(
        err ? errorReply(503, 'no_quorum', `no majority confirmed the read: ${err.message}`) : answer(),
      ),
    );
  });
}

function markStale(body: unknown): unknown {
  if (Array.isArray(body)) return body.map((b) => ({ ...(b as object), stale: true }));
  return { ...(body as object), stale: true };
}

export function notFound(name: string): HttpReply {
  return errorReply(404, 'shard_not_found', `no shard named ${name}`);
}

/** History entries with the hook runs of their epoch (output captured by the leader). */
function historyWithHooks(topo: Topology, shard: string): unknown[] {
  const runs = topo.hookRuns?.[shard] ?? [];
  return (topo.history[shard] ?? []).map((e) => ({ ...e, hooks: runs.filter((r) => r.epoch === e.epoch) }));
}
