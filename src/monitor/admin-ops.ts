// The Redis commands behind each RedisOp, and what their replies mean. Transactions are
// MULTI/EXEC so that a promotion or a demotion and the client kill that goes with it happen at
// one instant (docs/design.md 4.4, 4.5); Redis 7.0 accepts REPLICAOF, CONFIG and CLIENT KILL inside
// MULTI. A step that may fail without failing the operation (CONFIG REWRITE on a node started
// without a config file) comes back as a warning for the caller to log.
import type { Redis } from 'ioredis';
import type { RedisOp, RedisOpResult } from '../failover/engine.js';
import { FENCE_MIN_REPLICAS, type WriteSafetyOp } from '../failover/engine-types.js';
import type { RedisObservation } from '../failover/types.js';
import { classifyError, clean } from './classify.js';
import type { ProbeTarget } from './connection.js';
import { parseInfo, type InfoReply } from './parse.js';

export interface OpWarning {
  /** The step that failed, e.g. 'CONFIG REWRITE'. */
  readonly step: string;
  readonly error: string;
}

export interface OpOutcome {
  readonly result: RedisOpResult;
  readonly warnings: readonly OpWarning[];
}

/** Runs one operation. Transport failures reject (the caller knows the connection's story). */
export async function performOp(conn: Redis, target: ProbeTarget, op: RedisOp): Promise<OpOutcome> {
  switch (op.kind) {
    case 'promote':
      return promote(conn);
    case 'replicaof':
      return replicaOf(conn, op.host, op.port, op.killClients);
    case 'inspect':
      return { result: await inspect(conn, target), warnings: [] };
    case 'pause':
      return simple(conn.call('CLIENT', 'PAUSE', String(Math.max(0, Math.round(op.ms))), 'WRITE'));
    case 'unpause':
      return simple(conn.call('CLIENT', 'UNPAUSE'));
    case 'write-safety':
      return writeSafety(conn, op);
  }
}

/**
 * min-replicas-max-lag, then min-replicas-to-write, in one MULTI (a master never runs with the
 * new count and the old lag), and CONFIG REWRITE when asked, so that a fence survives a restart
 * of Redis (a warning where Redis runs without a config file). With `minReplicas` null the
 * shard leaves the setting to the operator: only a fence (FENCE_MIN_REPLICAS) is replaced, by 0.
 */
async function writeSafety(conn: Redis, op: WriteSafetyOp): Promise<OpOutcome> {
  let count = op.minReplicas;
  if (count === null) {
    let reply: unknown;
    try {
      reply = await conn.call('CONFIG', 'GET', 'min-replicas-to-write');
    } catch (err) {
      if (classifyError(err).kind === 'transport') throw err;
      return failed(`CONFIG GET min-replicas-to-write: ${classifyError(err).reason}`);
    }
    const current = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    if (current !== FENCE_MIN_REPLICAS) return { result: { ok: true }, warnings: [] };
    count = 0;
  }
  let tx = conn
    .multi()
    .call('CONFIG', 'SET', 'min-replicas-max-lag', String(op.maxLagS))
    .call('CONFIG', 'SET', 'min-replicas-to-write', String(count));
  if (op.persist) tx = tx.call('CONFIG', 'REWRITE');
  const replies = await exec(tx);
  if (!replies.ok) return failed(replies.error);
  const [lag, toWrite, rewrite] = replies.value;
  if (lag.error) return failed(`CONFIG SET min-replicas-max-lag: ${lag.error}`);
  if (toWrite.error) return failed(`CONFIG SET min-replicas-to-write: ${toWrite.error}`);
  return { result: { ok: true }, warnings: op.persist ? warnings([['CONFIG REWRITE', rewrite]]) : [] };
}

/** MULTI; REPLICAOF NO ONE; CONFIG REWRITE; CLIENT KILL TYPE normal; CLIENT KILL TYPE pubsub; EXEC. */
async function promote(conn: Redis): Promise<OpOutcome> {
  const tx = conn
    .multi()
    .call('REPLICAOF', 'NO', 'ONE')
    .call('CONFIG', 'REWRITE')
    .call('CLIENT', 'KILL', 'TYPE', 'normal')
    .call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  const replies = await exec(tx);
  if (!replies.ok) return failed(replies.error);
  const [replicaof, rewrite, killNormal, killPubsub] = replies.value;
  if (replicaof.error) return failed(`REPLICAOF NO ONE: ${replicaof.error}`);
  return {
    result: { ok: true },
    warnings: warnings([
      ['CONFIG REWRITE', rewrite],
      ['CLIENT KILL TYPE normal', killNormal],
      ['CLIENT KILL TYPE pubsub', killPubsub],
    ]),
  };
}

/**
 * Repoints (or demotes) a node: a read-only replica of host:port, the config saved, and on
 * demotion its clients dropped. CLIENT KILL's new-style form defaults to SKIPME yes, so our own
 * connection survives it.
 */
async function replicaOf(conn: Redis, host: string, port: number, killClients: boolean): Promise<OpOutcome> {
  let tx = conn
    .multi()
    .call('CONFIG', 'SET', 'replica-read-only', 'yes')
    .call('REPLICAOF', host, String(port))
    .call('CONFIG', 'REWRITE');
  if (killClients) tx = tx.call('CLIENT', 'KILL', 'TYPE', 'normal');
  const replies = await exec(tx);
  if (!replies.ok) return failed(replies.error);
  const [readOnly, replicaof, rewrite, kill] = replies.value;
  if (replicaof.error) return failed(`REPLICAOF ${host} ${port}: ${replicaof.error}`);
  return {
    result: { ok: true },
    warnings: warnings([
      ['CONFIG SET replica-read-only yes', readOnly],
      ['CONFIG REWRITE', rewrite],
      ['CLIENT KILL TYPE normal', kill],
    ]),
  };
}

async function inspect(conn: Redis, target: ProbeTarget): Promise<RedisOpResult> {
  let reply: unknown;
  try {
    reply = await conn.call('INFO', 'replication', 'server');
  } catch (err) {
    // Redis before 7.0 takes one section only.
    if (!/syntax error|wrong number of arguments/i.test(err instanceof Error ? err.message : '')) throw err;
    reply = await conn.call('INFO');
  }
  const parsed = parseInfo(reply);
  if (parsed.ok) return { ok: true, view: viewOf(target, parsed.value) };
  return {
    ok: false,
    error: parsed.error.kind === 'garbage' ? `garbage INFO: ${parsed.error.reason}` : parsed.error.reason,
  };
}

/** inspect's answer, in the shape of an observation: what the node says right now. */
export function viewOf(target: ProbeTarget, info: InfoReply): RedisObservation {
  const replica = info.role === 'slave';
  return {
    shard: target.shard,
    node: target.node.id,
    sdown: false,
    unsure: false,
    reachable: true,
    role: info.role,
    masterHost: info.masterHost,
    masterPort: info.masterPort,
    linkUp: info.masterLinkUp,
    linkDownMs:
      replica && info.masterLinkDownSinceSeconds !== null ? info.masterLinkDownSinceSeconds * 1000 : null,
    offset: replica ? (info.slaveReplOffset ?? info.masterReplOffset) : info.masterReplOffset,
    replId: info.masterReplId,
    replId2: info.masterReplId2,
    runId: info.runId,
    // One INFO knows nothing of earlier runs; the observers' reports carry that.
    restartedFrom: null,
    error: null,
    lastOkAgoMs: 0,
    probeRttMs: null,
  };
}

interface Reply {
  readonly error: string | null;
  readonly value: unknown;
}

type ExecResult =
  { readonly ok: true; readonly value: readonly Reply[] } | { readonly ok: false; readonly error: string };

async function exec(tx: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<ExecResult> {
  let res: [Error | null, unknown][] | null;
  try {
    res = await tx.exec();
  } catch (err) {
    if (classifyError(err).kind === 'transport') throw err;
    // EXECABORT: a command was refused while queueing (ACL, unknown command); nothing ran.
    const previous = (err as { previousErrors?: unknown }).previousErrors;
    const why = Array.isArray(previous)
      ? previous.map((e) => clean(e instanceof Error ? e.message : String(e))).join('; ')
      : '';
    return { ok: false, error: `${classifyError(err).reason}${why ? `: ${why}` : ''}` };
  }
  if (res === null) return { ok: false, error: 'transaction aborted' };
  return { ok: true, value: res.map(([e, v]) => ({ error: e ? clean(e.message) : null, value: v })) };
}

function warnings(steps: readonly [string, Reply | undefined][]): OpWarning[] {
  return steps.filter(([, r]) => r?.error).map(([step, r]) => ({ step, error: r?.error as string }));
}

function failed(error: string): OpOutcome {
  return { result: { ok: false, error }, warnings: [] };
}

async function simple(reply: Promise<unknown>): Promise<OpOutcome> {
  const r = await reply;
  return r === 'OK' ? { result: { ok: true }, warnings: [] } : failed(`unexpected reply ${clean(String(r))}`);
}
