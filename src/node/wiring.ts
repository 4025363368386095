// Small adapters between the node's parts, kept out of node.ts so that it reads as a list of steps.
import { readFileSync } from 'node:fs';
import type { RaftinelConfig } from '../config/core.js';
import { nodeOf } from '../failover/topology.js';
import type { RedisObservation } from '../failover/types.js';
import type { ClusterState } from './cluster-state.js';
import type { Sidecar } from '../sidecar/sidecar.js';
import { errorReply, type HttpRequest, type Router } from './http-server.js';

/** A request the node makes to its own router on behalf of an authenticated RESP admin. */
export function internalRequest(method: string, path: string, body: unknown): HttpRequest {
  return { method, path, query: new URLSearchParams(), headers: {}, body, remoteAddress: 'internal' };
}

/** An HTTP error body as Sentinel-style error text (`NOGOODSLAVE ...`, `ERR ...`). */
export function failoverErrorText(body: unknown): string {
  const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
  if (!err) return 'ERR the switchover failed';
  if (err.code === 'no_candidate') return `NOGOODSLAVE ${err.message ?? 'No suitable replica to promote'}`;
  if (err.code === 'busy') return `INPROG ${err.message ?? 'Failover already in progress'}`;
  return `ERR ${err.message ?? err.code ?? 'the switchover failed'}`;
}

/** TLS for a client-facing listener: set when its block names a certificate and key. */
export function listenerTls(
  files: RaftinelConfig['tls']['sentinel'],
): { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert?: boolean } | null {
  if (!files?.cert || !files.key) return null;
  return {
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    ...(files.ca ? { ca: readFileSync(files.ca), requireClientCert: true } : {}),
  };
}

interface ProbeEvents {
  onChange(cb: (changed: RedisObservation[]) => void): unknown;
}

/** +sdown / -sdown from this node's own probes, in Sentinel's `<type> <name> <ip> <port> @ ...` form. */
export function publishSdownEvents(
  prober: ProbeEvents,
  state: ClusterState,
  publish: (name: string, message: string) => void,
): void {
  const wasDown = new Map<string, boolean>();
  prober.onChange((changed) => {
    for (const o of changed) {
      const key = `${o.shard}/${o.node}`;
      if ((wasDown.get(key) ?? false) === o.sdown) continue;
      wasDown.set(key, o.sdown);
      const shard = state.topology().shards[o.shard];
      const node = shard ? nodeOf(shard, o.node) : null;
      if (!shard || !node) continue;
      const master = nodeOf(shard, shard.master);
      const isMaster = shard.master === o.node;
      const at = master ? ` @ ${shard.name} ${master.host} ${master.port}` : '';
      const message = isMaster
        ? `master ${shard.name} ${node.host} ${node.port}`
        : `slave ${node.host}:${node.port} ${node.host} ${node.port}${at}`;
      publish(o.sdown ? '+sdown' : '-sdown', message);
    }
  });
}

/** Patroni-compatible /primary and /replica?lag=N about the sidecar's own Redis (docs/design.md 5.2). */
export function addSidecarRoutes(router: Router, sidecar: Sidecar | null): void {
  const notSidecar = () =>
    errorReply(
      503,
      'not_sidecar',
      'this node runs without sidecar.redis: use /health/primary/{shard}/{node}',
    );
  router.on('GET', '/primary', () => (sidecar ? sidecar.primary() : notSidecar()));
  router.on('GET', '/replica', (req) => {
    if (!sidecar) return notSidecar();
    const lag = req.query.has('lag') ? Number(req.query.get('lag')) : Infinity;
    if (Number.isNaN(lag) || lag < 0)
      return errorReply(400, 'bad_request', 'lag must be a non-negative number of bytes');
    return sidecar.replica(lag);
  });
}
