// The shards of this node's config as the failover shell needs them: the specs the first leader
// of an empty log proposes, and how this node reaches each shard's Redis nodes (auth, TLS,
// renamed commands), which come from its own config and never from the Raft log.
import type { RaftinelConfig } from '../config/core.js';
import { readSecretFile } from '../config/core.js';
import type { Logger } from '../util/log.js';
import type { RedisCredentials, RedisTarget } from './ports.js';
import type { RedisNodeSpec, ShardSpec } from './types.js';

/** A Redis node of a config (or of an admin request), as the log records it: no null addresses. */
export function nodeSpecOf(n: RaftinelConfig['shards'][number]['nodes'][number]): RedisNodeSpec {
  return {
    id: n.id,
    host: n.host,
    port: n.port,
    priority: n.priority,
    noFailover: n.noFailover,
    ...(n.announce ? { announce: n.announce } : {}),
    ...(n.replicationAddress ? { replicationAddress: n.replicationAddress } : {}),
  };
}

/** The shard specs and credentials of a node's config, for the driver. */
export function shardsFromConfig(
  config: RaftinelConfig,
  logger: Logger,
): { specs: ShardSpec[]; credentials: (shard: string) => RedisCredentials } {
  const specs = config.shards.map((s): ShardSpec => {
    const { name, nodes, initialMaster, auth: _auth, tls: _tls, renameCommands: _renamed, ...settings } = s;
    return {
      name,
      nodes: nodes.map(nodeSpecOf),
      settings,
      initialMaster,
    };
  });
  const cache = new Map<string, RedisCredentials>();
  const credentials = (shard: string): RedisCredentials => {
    const hit = cache.get(shard);
    if (hit) return hit;
    const local = config.shards.find((s) => s.name === shard);
    let auth: RedisTarget['auth'] = null;
    if (local?.auth) {
      try {
        auth = { username: local.auth.username, password: readSecretFile(local.auth.passwordFile) };
      } catch (err) {
        logger.error(
          { event: 'redis-auth-unreadable', shard, err: (err as Error).message },
          'cannot read the Redis password file',
        );
      }
    }
    const tls = local?.tls
      ? { ca: local.tls.ca ?? undefined, cert: local.tls.cert ?? undefined, key: local.tls.key ?? undefined }
      : null;
    const creds = { auth, tls, renameCommands: local?.renameCommands ?? {} };
    cache.set(shard, creds);
    return creds;
  };
  return { specs, credentials };
}
