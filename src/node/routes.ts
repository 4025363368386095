// HTTP routes about the raftinel cluster itself (docs/design.md 5.2): /v1/cluster, /livez, /readyz,
// /leader, and, only with --debug-routes, the routes tests use to commit entries.
import type { RaftinelConfig } from '../config/core.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { TcpTransport } from '../transport/index.js';
import type { Logger } from '../util/log.js';
import type { ClusterState } from './cluster-state.js';
import { heardRecently, type MemberHealth } from './member-health.js';
import { errorReply, type HttpReply, type Router } from './http-server.js';

export interface ClusterRouteDeps {
  readonly config: RaftinelConfig;
  readonly runtime: RaftRuntime;
  readonly state: ClusterState;
  readonly transport: TcpTransport;
  readonly health: MemberHealth;
  readonly debugRoutes: boolean;
  readonly logger: Logger;
}

export function addClusterRoutes(router: Router, deps: ClusterRouteDeps): void {
  const { runtime } = deps;
  router.on('GET', '/livez', () => ({ status: 200, body: { status: 'ok' } }));
  router.on('GET', '/readyz', () => readiness(runtime));
  router.on('GET', '/leader', () => {
    const s = runtime.status();
    return s.role === 'leader'
      ? { status: 200, body: { leader: s.id } }
      : errorReply(503, 'not_leader', s.leader ? `the leader is ${s.leader}` : 'no leader known');
  });
  router.on('GET', '/v1/cluster', () => ({ status: 200, body: clusterView(deps) }));
  if (deps.debugRoutes) addDebugRoutes(router, deps);
}

/** 200 once the node knows its term's leader and has applied what that leader committed. */
function readiness(runtime: RaftRuntime): HttpReply {
  const s = runtime.status();
  if (s.leader === null) return errorReply(503, 'no_leader', `no leader known in term ${s.term}`);
  if (s.role === 'leader' && !runtime.core.committedInTerm()) {
    return errorReply(503, 'leader_not_ready', 'the leader has not committed its first entry yet');
  }
  if (s.applied < s.commit) return errorReply(503, 'catching_up', `applied ${s.applied} of ${s.commit}`);
  return { status: 200, body: { status: 'ready', leader: s.leader } };
}

/** The body of GET /v1/cluster (the cluster watch stream sends it too). */
export function clusterView(deps: ClusterRouteDeps): unknown {
  const { runtime, state, transport, config, health } = deps;
  const s = runtime.status();
  const peers = transport.peers();
  const committed = state.members();
  const electionMs = config.raft.electionTicks * config.raft.tickMs;
  const ids = [...s.conf.voters, ...s.conf.learners];
  const members = ids.map((id) => {
    const addrs = committed[id] ?? peers.get(id)?.addresses ?? null;
    const self = id === s.id;
    const lastContactMs = health.lastContactMs(id);
    return {
      id,
      role: s.conf.learners.includes(id) ? 'learner' : 'voter',
      state: id === s.leader ? 'leader' : self ? s.role : 'follower',
      raft: addrs?.raft ?? null,
      http: addrs?.http ?? null,
      sentinel: addrs?.sentinel ?? null,
      healthy: self || heardRecently(lastContactMs, electionMs),
      lastContactMs,
    };
  });
  return {
    cluster: config.cluster,
    node: s.id,
    term: s.term,
    leader: s.leader,
    commitIndex: s.commit,
    appliedIndex: s.applied,
    members,
  };
}

function addDebugRoutes(router: Router, deps: ClusterRouteDeps): void {
  const { runtime, state } = deps;
  router.on('POST', '/debug/propose', (req) => {
    const value = (req.body as { value?: unknown } | undefined)?.value;
    if (typeof value !== 'string') return errorReply(400, 'bad_request', 'body must be {"value": string}');
    return new Promise<HttpReply>((resolve) => {
      runtime.propose(JSON.stringify({ type: 'debugAppend', value }), (err, result) => {
        if (err) resolve(errorReply(err.code === 'not_leader' ? 503 : 500, err.code, err.message));
        else resolve({ status: 200, body: result });
      });
    });
  });
  router.on('GET', '/debug/state', () => {
    const s = runtime.status();
    return {
      status: 200,
      body: {
        ...state.debug(),
        term: s.term,
        vote: s.vote,
        commit: s.commit,
        applied: s.applied,
        lastIndex: s.lastIndex,
      },
    };
  });
}
