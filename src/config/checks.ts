// Cross-field rules: what no single key can check by itself. They read the value defensively
// (it may be the raw YAML, wrong in any way) and check only what is well-formed enough, so that
// they run alongside the shape errors and every mistake is listed in one go.
import { endpointKey, parseHostPort } from './address.js';
import { DEFAULTS, FENCE_DOWN_FACTOR } from './defaults.js';

export type IssuePath = (string | number)[];

/** A rule broken: where, what was expected there, and an optional note saying why. */
export interface CrossIssue {
  readonly path: IssuePath;
  readonly expected: string;
  readonly note?: string;
}

type Raw = Record<string, unknown>;

function record(value: unknown): Raw | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : null;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function int(value: unknown, min: number): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min ? value : null;
}

export function pathText(path: IssuePath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

/** Remembers where each key was first seen; reports the later occurrences. */
class Seen {
  private readonly first = new Map<string, IssuePath>();
  constructor(
    private readonly issues: CrossIssue[],
    private readonly expected: string,
    private readonly describe: (key: string, first: string) => string,
  ) {}
  add(key: string | null, path: IssuePath): void {
    if (key === null) return;
    const earlier = this.first.get(key);
    if (earlier)
      this.issues.push({ path, expected: this.expected, note: this.describe(key, pathText(earlier)) });
    else this.first.set(key, path);
  }
}

export function crossCheck(value: unknown): CrossIssue[] {
  const root = record(value);
  if (!root) return [];
  const issues: CrossIssue[] = [];
  checkPeers(root, issues);
  const redisIds = checkShards(root, issues);
  checkQuorums(root, issues);
  checkIntervals(root, issues);
  checkPeerAuth(root, issues);
  const sidecarRedis = text(record(root.sidecar)?.redis);
  if (sidecarRedis !== null && !redisIds.includes(sidecarRedis)) {
    issues.push({
      path: ['sidecar', 'redis'],
      expected: `the id of a Redis node in shards (${shortList(redisIds)})`,
    });
  }
  checkFence(root, sidecarRedis, issues);
  return issues;
}

/**
 * A written sidecar.fenceAfterMs must let the fence engage before another master can be
 * published: at most FENCE_DOWN_FACTOR x the downAfterMs of the sidecar's shard (defaults.ts).
 */
function checkFence(root: Raw, sidecarRedis: string | null, issues: CrossIssue[]): void {
  const fence = int(record(root.sidecar)?.fenceAfterMs, 1);
  if (sidecarRedis === null || fence === null) return;
  const shard = list(root.shards)
    .map(record)
    .find((s) => list(s?.nodes).some((n) => text(record(n)?.id) === sidecarRedis));
  if (!shard) return;
  const down =
    int(shard.downAfterMs, 1) ?? int(record(root.defaults)?.downAfterMs, 1) ?? DEFAULTS.shard.downAfterMs;
  const limit = Math.floor(FENCE_DOWN_FACTOR * down);
  if (fence <= limit) return;
  issues.push({
    path: ['sidecar', 'fenceAfterMs'],
    expected:
      `at most ${limit} (${FENCE_DOWN_FACTOR} x downAfterMs ${down} of shard ${text(shard.name) ?? '?'}): ` +
      'the fence, checked every fenceAfterMs / 10, must engage before the majority can mark the master ' +
      'down and publish another; or null for that default',
  });
}

function checkPeers(root: Raw, issues: CrossIssue[]): void {
  const ids = new Seen(issues, 'a peer id not listed before', (k, first) => `"${k}" is also ${first}`);
  const addrs = new Seen(issues, 'a raft address no other peer has', (k, first) => `${k} is also ${first}`);
  list(root.peers).forEach((entry, i) => {
    const peer = record(entry);
    ids.add(text(peer?.id), ['peers', i, 'id']);
    const parsed = parseHostPort(text(peer?.raft) ?? '');
    addrs.add(parsed && endpointKey(parsed.host, parsed.port), ['peers', i, 'raft']);
  });
}

/** Checks names, node ids, endpoints and initialMaster; returns every Redis node id seen. */
function checkShards(root: Raw, issues: CrossIssue[]): string[] {
  const names = new Seen(issues, 'a shard name not used before', (k, first) => `"${k}" is also ${first}`);
  const nodeIds = new Seen(
    issues,
    'a Redis node id unique in the whole config',
    (k, first) => `"${k}" is also ${first}`,
  );
  const endpoints = new Seen(
    issues,
    'a Redis node that no other entry names (one Redis node belongs to one shard)',
    (k, first) => `${k} is already ${first}`,
  );
  const allIds: string[] = [];
  list(root.shards).forEach((entry, i) => {
    const shard = record(entry);
    names.add(text(shard?.name), ['shards', i, 'name']);
    const ids: string[] = [];
    list(shard?.nodes).forEach((nodeEntry, j) => {
      const node = record(nodeEntry);
      const id = text(node?.id);
      if (id !== null) ids.push(id);
      nodeIds.add(id, ['shards', i, 'nodes', j, 'id']);
      const host = text(node?.host);
      const port = int(node?.port, 1);
      endpoints.add(host !== null && port !== null ? endpointKey(host, port) : null, [
        'shards',
        i,
        'nodes',
        j,
      ]);
    });
    allIds.push(...ids);
    const initialMaster = text(shard?.initialMaster);
    if (initialMaster !== null && !ids.includes(initialMaster)) {
      issues.push({
        path: ['shards', i, 'initialMaster'],
        expected: `the id of a node of this shard (${shortList(ids)})`,
      });
    }
  });
  return allIds;
}

function checkQuorums(root: Raw, issues: CrossIssue[]): void {
  const voters = list(root.peers).length;
  if (voters === 0) return;
  const expected = `"majority" or an integer from 2 to ${voters} (the number of peers)`;
  const check = (holder: Raw | null, path: IssuePath): void => {
    const quorum = int(holder?.quorum, 2);
    if (quorum !== null && quorum > voters) issues.push({ path: [...path, 'quorum'], expected });
  };
  check(record(root.defaults), ['defaults']);
  list(root.shards).forEach((shard, i) => check(record(shard), ['shards', i]));
}

// A node is down after downAfterMs without a reply; with pings rarer than that, every gap
// between two pings would already count as down.
function checkIntervals(root: Raw, issues: CrossIssue[]): void {
  const defaults = record(root.defaults);
  const baseDown = int(defaults?.downAfterMs, 1) ?? DEFAULTS.shard.downAfterMs;
  const basePing = int(defaults?.pingIntervalMs, 1) ?? DEFAULTS.shard.pingIntervalMs;
  const check = (holder: Raw | null, down: number, ping: number, path: IssuePath): void => {
    if (ping < down) return;
    if (holder?.downAfterMs !== undefined) {
      issues.push({
        path: [...path, 'downAfterMs'],
        expected: `an integer greater than pingIntervalMs (${ping})`,
      });
    } else {
      issues.push({
        path: [...path, 'pingIntervalMs'],
        expected: `an integer less than downAfterMs (${down})`,
      });
    }
  };
  if (defaults && (defaults.downAfterMs !== undefined || defaults.pingIntervalMs !== undefined)) {
    check(defaults, baseDown, basePing, ['defaults']);
  }
  list(root.shards).forEach((entry, i) => {
    const shard = record(entry);
    if (!shard || (shard.downAfterMs === undefined && shard.pingIntervalMs === undefined)) return;
    const down = int(shard.downAfterMs, 1) ?? baseDown;
    const ping = int(shard.pingIntervalMs, 1) ?? basePing;
    check(shard, down, ping, ['shards', i]);
  });
}

/** All of 127.0.0.0/8, ::1 and localhost: reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// A Raft port reachable from other hosts must know who is talking to it (docs/design.md 2):
// without a cluster secret or mutual TLS, anyone who can reach it could claim a node id.
function checkPeerAuth(root: Raw, issues: CrossIssue[]): void {
  const raft = text(record(record(record(root.node)?.listen))?.raft) ?? DEFAULTS.listen.raft;
  const listen = parseHostPort(raft);
  if (!listen || isLoopbackHost(listen.host)) return;
  const peerTls = record(record(root.tls)?.peer);
  const tlsOn = ['ca', 'cert', 'key'].every((k) => typeof peerTls?.[k] === 'string');
  if (record(root.peerAuth) !== null || tlsOn) return;
  issues.push({
    path: ['node', 'listen', 'raft'],
    expected: 'a loopback address, or peer authentication: peerAuth.secretFile or tls.peer {ca, cert, key}',
    note: `${raft} is reachable from other hosts, and without either anyone who reaches it could claim a node id`,
  });
}

function shortList(all: string[]): string {
  const items = [...new Set(all)];
  if (items.length === 0) return 'none';
  const shown = items.slice(0, 8).join(', ');
  return items.length > 8 ? `${shown}, ...` : shown;
}
