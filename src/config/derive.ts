// Values that follow from the config by a rule of docs/design.md rather than being written in it.
// Kept here so that each rule has one implementation.
import { readFileSync } from 'node:fs';
import { RaftinelError } from '../util/errors.js';
import { formatHostPort, parseHostPort } from './address.js';
import { FENCE_DOWN_FACTOR, FENCE_MAX_DEFAULT_MS, LINK_DOWN_FACTOR, type Quorum } from './defaults.js';
import type { NodeConfig, RaftinelConfig, RedisNodeConfig, ShardConfig, ShardSettings } from './schema.js';

export interface AdvertisedAddresses {
  readonly sentinel: string;
  readonly http: string;
  readonly raft: string;
}

/**
 * What others should dial: `announce.<listener>` if set, else the listen port on
 * `announce.host` if set, else the listen address itself.
 */
export function advertisedAddresses(node: NodeConfig): AdvertisedAddresses {
  const pick = (which: 'sentinel' | 'http' | 'raft'): string => {
    const explicit = node.announce[which];
    if (explicit !== null) return explicit;
    const listen = node.listen[which];
    const parsed = parseHostPort(listen);
    return node.announce.host !== null && parsed ? formatHostPort(node.announce.host, parsed.port) : listen;
  };
  return { sentinel: pick('sentinel'), http: pick('http'), raft: pick('raft') };
}

/** `maxLinkDownMs`, with null meaning LINK_DOWN_FACTOR x downAfterMs. */
export function effectiveMaxLinkDownMs(
  settings: Pick<ShardSettings, 'maxLinkDownMs' | 'downAfterMs'>,
): number {
  return settings.maxLinkDownMs ?? LINK_DOWN_FACTOR * settings.downAfterMs;
}

/**
 * How many observers must report SDOWN. The voter count is the committed membership's, which
 * may differ from `peers` after membership changes; a number above it can never be met, and is
 * returned as is so that the caller can report that.
 */
export function quorumSize(quorum: Quorum, voters: number): number {
  return quorum === 'majority' ? Math.floor(voters / 2) + 1 : quorum;
}

/**
 * The sidecar's fenceAfterMs: as written, or FENCE_DOWN_FACTOR x the downAfterMs of its Redis
 * node's shard, capped at FENCE_MAX_DEFAULT_MS (config checks.ts refuses a written value over
 * the factor). Null without a sidecar.
 */
export function effectiveFenceAfterMs(config: Pick<RaftinelConfig, 'shards' | 'sidecar'>): number | null {
  const redis = config.sidecar.redis;
  const found = redis !== null ? findRedisNode(config, redis) : null;
  if (!found) return null;
  if (config.sidecar.fenceAfterMs !== null) return config.sidecar.fenceAfterMs;
  return Math.max(1, Math.min(FENCE_MAX_DEFAULT_MS, Math.floor(FENCE_DOWN_FACTOR * found.shard.downAfterMs)));
}

/** The shard and node of a Redis node id (sidecar.redis names one). */
export function findRedisNode(
  config: Pick<RaftinelConfig, 'shards'>,
  id: string,
): { shard: ShardConfig; node: RedisNodeConfig } | null {
  for (const shard of config.shards) {
    const node = shard.nodes.find((n) => n.id === id);
    if (node) return { shard, node };
  }
  return null;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** Things that are allowed but deserve one log line at start (none of them is an error). */
export function configWarnings(config: RaftinelConfig): string[] {
  const warnings: string[] = [];
  if (config.node.bootstrap === 'new' && !config.isBootstrapVoter) {
    warnings.push(
      `peers does not list node ${config.node.id}: it starts empty and waits to be added (raftinel members add)`,
    );
  }
  if (config.admin === null) {
    warnings.push('no admin block: admin routes accept clients on loopback only, without a token');
  }
  const advertised = advertisedAddresses(config.node);
  for (const which of ['sentinel', 'http', 'raft'] as const) {
    const host = parseHostPort(advertised[which])?.host;
    if (host !== undefined && WILDCARD_HOSTS.has(host)) {
      warnings.push(
        `node.listen.${which} is a wildcard address and node.announce sets none: others cannot dial ${advertised[which]}`,
      );
    }
  }
  for (const shard of config.shards) {
    if (shard.nodes.length > 1 && shard.nodes.every((n) => n.priority === 0 || n.noFailover)) {
      warnings.push(`shard ${shard.name}: no node may be promoted (every node has priority 0 or noFailover)`);
    }
  }
  return warnings;
}

/**
 * Reads a secret (password or token) file: its contents without one trailing newline. The
 * error names the file, never the contents.
 */
export function readSecretFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new RaftinelError('secret_unreadable', `cannot read secret file ${JSON.stringify(file)}: ${code}`, {
      file,
    });
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '')
    throw new RaftinelError('secret_unreadable', `secret file ${JSON.stringify(file)} is empty`, { file });
  return secret;
}
