// Server-Sent Events (docs/design.md 5.2): GET /v1/shards/{name}/watch follows one shard;
// GET /v1/watch follows the whole cluster (Raft members and every shard), which is what the
// status page listens to. Each stream sends the current state first, then every change: at
// once for applied log entries and Raft role changes, and, for what is not a log entry (a node
// seen down, lag, member health), after a look once a second.
import type http from 'node:http';
import { errorReply, type Router } from '../node/http-server.js';
import type { DiscoveryDeps } from './http-routes.js';
import { notFound } from './http-routes.js';

const MAX_SHARD_WATCHERS = 1000;
/** The cluster stream re-renders every shard: fewer of them. */
const MAX_CLUSTER_WATCHERS = 100;
const LOOK_MS = 1000;
const KEEP_ALIVE_MS = 15_000;

export function addWatchRoutes(router: Router, deps: DiscoveryDeps, view: (name: string) => unknown): void {
  const { topology } = deps;
  let shardWatchers = 0;
  router.on('GET', '/v1/shards/{name}/watch', (_req, p) => {
    if (!topology().shards[p.name]) return notFound(p.name);
    if (shardWatchers >= MAX_SHARD_WATCHERS)
      return errorReply(503, 'too_many_watchers', `at most ${MAX_SHARD_WATCHERS} watch streams`);
    return {
      status: 200,
      body: null,
      stream: (res) => {
        shardWatchers++;
        let last = '';
        const sendIfChanged = (): void => {
          const json = JSON.stringify(view(p.name) ?? { name: p.name, removed: true });
          if (json === last) return;
          last = json;
          res.write(`event: shard\ndata: ${json}\n\n`);
        };
        sendIfChanged();
        const unsubscribe = deps.onShardChange((shard) => {
          if (shard === p.name || shard === '*') sendIfChanged();
        });
        keepOpen(res, sendIfChanged, () => {
          shardWatchers--;
          unsubscribe();
        });
      },
    };
  });

  // Raft role changes reach the cluster streams at once, not at the next look.
  const roleListeners = new Set<() => void>();
  deps.runtime.onSoftState(() => {
    if (roleListeners.size > 0) setImmediate(() => roleListeners.forEach((l) => l()));
  });
  let clusterWatchers = 0;
  router.on('GET', '/v1/watch', () => {
    if (clusterWatchers >= MAX_CLUSTER_WATCHERS)
      return errorReply(503, 'too_many_watchers', `at most ${MAX_CLUSTER_WATCHERS} cluster watch streams`);
    return {
      status: 200,
      body: null,
      stream: (res) => {
        clusterWatchers++;
        let lastCluster = '';
        const lastShard = new Map<string, string>();
        const sendCluster = (): void => {
          const json = JSON.stringify(deps.clusterView());
          if (json === lastCluster) return;
          lastCluster = json;
          res.write(`event: cluster\ndata: ${json}\n\n`);
        };
        const sendShard = (name: string): void => {
          const v = topology().shards[name] ? view(name) : null;
          if (v === null) {
            if (lastShard.delete(name)) res.write(`event: removed\ndata: ${JSON.stringify({ name })}\n\n`);
            return;
          }
          const json = JSON.stringify(v);
          if (json === lastShard.get(name)) return;
          lastShard.set(name, json);
          res.write(`event: shard\ndata: ${json}\n\n`);
        };
        const sendAll = (): void => {
          sendCluster();
          const names = new Set([...Object.keys(topology().shards), ...lastShard.keys()]);
          for (const name of [...names].sort()) sendShard(name);
        };
        sendAll();
        // The first state is complete: the page may draw the summary now.
        res.write(`event: synced\ndata: {}\n\n`);
        const unsubscribe = deps.onShardChange((shard) => {
          if (shard === '*') sendAll();
          else {
            sendShard(shard);
            sendCluster(); // an applied entry moves the commit index
          }
        });
        roleListeners.add(sendCluster);
        keepOpen(res, sendAll, () => {
          clusterWatchers--;
          roleListeners.delete(sendCluster);
          unsubscribe();
        });
      },
    };
  });
}

/** The once-a-second look and the keep-alive comments, until the client goes away. */
function keepOpen(res: http.ServerResponse, look: () => void, closed: () => void): void {
  const poll = setInterval(look, LOOK_MS);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  res.on('close', () => {
    clearInterval(poll);
    clearInterval(keepAlive);
    closed();
  });
}
