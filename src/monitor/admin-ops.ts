// The Redis commands behind each RedisOp, and what their replies mean (docs/design.md 4.4, 4.5).
// The step that changes a node's role (REPLICAOF) is sent on its own: inside MULTI, any other
// command refused at queue time (renamed, disabled, or denied by an ACL) would abort the whole
// EXEC and nothing would be promoted. The other steps follow, best effort, each on its own: a
// failure comes back as a warning for the caller to log, never as a failed operation. Every
// admin command goes out under the name the shard's renameCommands gives it.
import type { RedisOp, RedisOpResult } from '../failover/engine.js';
import { FENCE_MIN_REPLICAS, type WriteSafetyOp } from '../failover/engine-types.js';
import type { RedisObservation } from '../failover/types.js';
import { classifyError, clean } from './classify.js';
import type { ProbeTarget } from './connection.js';
import { parseInfo, type InfoReply } from './parse.js';
import type { RedisCommands } from './resp-client.js';
import type { RespValue } from './resp-reply.js';

export interface OpWarning {
  /** The step that failed, e.g. 'CONFIG REWRITE'. */
  readonly step: string;
  readonly error: string;
}

export interface OpOutcome {
  readonly result: RedisOpResult;
  readonly warnings: readonly OpWarning[];
}

/** The name a command has on the target's nodes: renamed, the same, or null when disabled. */
export function commandName(target: ProbeTarget, command: string): string | null {
  const renamed = target.renameCommands?.[command];
  if (renamed === undefined) return command;
  return renamed === '' ? null : renamed;
}

/** Runs one operation. Transport failures of the essential step reject (the caller knows the connection's story). */
export async function performOp(conn: RedisCommands, target: ProbeTarget, op: RedisOp): Promise<OpOutcome> {
  const run = (command: string, ...args: string[]): Promise<RespValue> => {
    const name = commandName(target, command);
    if (name === null) return Promise.reject(new DisabledCommand(command));
    return conn.send([name, ...args]);
  };
  switch (op.kind) {
    case 'promote':
      return promote(run);
    case 'replicaof':
      return replicaOf(run, op.host, op.port, op.killClients);
    case 'inspect':
      return { result: await inspect(conn, target), warnings: [] };
    case 'pause':
      return simple(run('CLIENT', 'PAUSE', String(Math.max(0, Math.round(op.ms))), 'WRITE'));
    case 'unpause':
      return simple(run('CLIENT', 'UNPAUSE'));
    case 'write-safety':
      return writeSafety(conn, target, run, op);
  }
}

type Run = (command: string, ...args: string[]) => Promise<RespValue>;

class DisabledCommand extends Error {
  constructor(command: string) {
    super(`${command} is disabled on this node (renameCommands ${command}: "")`);
  }
}

/**
 * min-replicas-max-lag, then min-replicas-to-write, in one MULTI (a master never runs with the
 * new count and the old lag; both are CONFIG, so one refused at queue time means neither is
 * set, which is the point), then CONFIG REWRITE on its own, best effort, when asked, so that a
 * fence survives a restart of Redis (a warning where Redis runs without a config file). With
 * `minReplicas` null the shard leaves the setting to the operator: only a fence
 * (FENCE_MIN_REPLICAS) is replaced, by 0.
 */
async function writeSafety(
  conn: RedisCommands,
  target: ProbeTarget,
  run: Run,
  op: WriteSafetyOp,
): Promise<OpOutcome> {
  const config = commandName(target, 'CONFIG');
  if (config === null) return failed(new DisabledCommand('CONFIG').message);
  let count = op.minReplicas;
  if (count === null) {
    let reply: unknown;
    try {
      reply = await run('CONFIG', 'GET', 'min-replicas-to-write');
    } catch (err) {
      if (classifyError(err).kind === 'transport') throw err;
      return failed(`CONFIG GET min-replicas-to-write: ${classifyError(err).reason}`);
    }
    const current = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    if (current !== FENCE_MIN_REPLICAS) return { result: { ok: true }, warnings: [] };
    count = 0;
  }
  const error = await transaction(conn, [
    [config, 'SET', 'min-replicas-max-lag', String(op.maxLagS)],
    [config, 'SET', 'min-replicas-to-write', String(count)],
  ]);
  if (error !== null) return failed(error);
  if (!op.persist) return { result: { ok: true }, warnings: [] };
  return {
    result: { ok: true },
    warnings: await bestEffort([['CONFIG REWRITE', () => run('CONFIG', 'REWRITE')]]),
  };
}

/**
 * Runs `commands` in one MULTI ... EXEC; returns why they did not all run, or null. MULTI is
 * answered before anything else is sent: were it refused, the commands would run one by one.
 * A transport failure rejects.
 */
async function transaction(conn: RedisCommands, commands: readonly string[][]): Promise<string | null> {
  const refused = (err: unknown): string => {
    if (classifyError(err).kind === 'transport') throw err;
    return clean(err instanceof Error ? err.message : String(err));
  };
  try {
    await conn.send(['MULTI']);
  } catch (err) {
    return `MULTI: ${refused(err)}`;
  }
  const queued = commands.map((args) => conn.send(args));
  const exec = conn.send(['EXEC']);
  // Every reply is awaited, so that none is left to reject unheard.
  const outcomes = await Promise.allSettled([...queued, exec]);
  const execOutcome = outcomes[commands.length];
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') continue;
    if (i === commands.length) return `EXEC: ${refused(outcome.reason)}`;
    // Refused at queue time: EXEC discards them all (EXECABORT), nothing ran; both are said.
    const abort = execOutcome.status === 'rejected' ? ` (${refused(execOutcome.reason)})` : '';
    return `${commands[i].slice(0, 3).join(' ')}: ${refused(outcome.reason)}${abort}`;
  }
  const replies = (execOutcome as PromiseFulfilledResult<RespValue>).value;
  if (replies === null) return 'EXEC aborted';
  if (!Array.isArray(replies)) return `EXEC: unexpected reply ${clean(String(replies))}`;
  for (const [i, reply] of replies.entries()) {
    if (reply instanceof Error) return `${commands[i]?.slice(0, 3).join(' ')}: ${clean(reply.message)}`;
  }
  return null;
}

/**
 * REPLICAOF NO ONE; then, best effort: a fence lifted (a node demoted by a switchover keeps the
 * one that switchover set); CONFIG REWRITE; CLIENT KILL TYPE normal; CLIENT KILL TYPE pubsub.
 */
async function promote(run: Run): Promise<OpOutcome> {
  const essential = await step(run('REPLICAOF', 'NO', 'ONE'));
  if (essential !== null) return failed(`REPLICAOF NO ONE: ${essential}`);
  return {
    result: { ok: true },
    warnings: await bestEffort([
      ['lift a write fence (min-replicas-to-write)', () => liftFence(run)],
      ['CONFIG REWRITE', () => run('CONFIG', 'REWRITE')],
      ['CLIENT KILL TYPE normal', () => run('CLIENT', 'KILL', 'TYPE', 'normal')],
      ['CLIENT KILL TYPE pubsub', () => run('CLIENT', 'KILL', 'TYPE', 'pubsub')],
    ]),
  };
}

/**
 * Repoints (or demotes) a node: read-only first (best effort: a node that already is read-only
 * loses nothing when this fails), then REPLICAOF host port, then the config saved and on
 * demotion its clients dropped. CLIENT KILL's new-style form defaults to SKIPME yes, so our own
 * connection survives it.
 */
async function replicaOf(run: Run, host: string, port: number, killClients: boolean): Promise<OpOutcome> {
  const before = await bestEffort([
    ['CONFIG SET replica-read-only yes', () => run('CONFIG', 'SET', 'replica-read-only', 'yes')],
  ]);
  const essential = await step(run('REPLICAOF', host, String(port)));
  if (essential !== null) return failed(`REPLICAOF ${host} ${port}: ${essential}`);
  const afterSteps: [string, () => Promise<unknown>][] = [['CONFIG REWRITE', () => run('CONFIG', 'REWRITE')]];
  if (killClients)
    afterSteps.push(['CLIENT KILL TYPE normal', () => run('CLIENT', 'KILL', 'TYPE', 'normal')]);
  return { result: { ok: true }, warnings: [...before, ...(await bestEffort(afterSteps))] };
}

/** min-replicas-to-write back to 0 when it holds the fence value; any other value is the operator's. */
async function liftFence(run: Run): Promise<unknown> {
  const reply = await run('CONFIG', 'GET', 'min-replicas-to-write');
  if (!Array.isArray(reply) || Number(reply[1]) !== FENCE_MIN_REPLICAS) return null;
  return run('CONFIG', 'SET', 'min-replicas-to-write', '0');
}

/** The error text of a refused command, or null when it ran; a transport failure rejects. */
async function step(reply: Promise<unknown>): Promise<string | null> {
  try {
    await reply;
    return null;
  } catch (err) {
    if (err instanceof DisabledCommand) return err.message;
    if (classifyError(err).kind === 'transport') throw err;
    return clean(err instanceof Error ? err.message : String(err));
  }
}

/** Runs each step in turn; every failure, a lost connection included, is a warning only. */
async function bestEffort(steps: readonly [string, () => Promise<unknown>][]): Promise<OpWarning[]> {
  const warnings: OpWarning[] = [];
  for (const [name, send] of steps) {
    try {
      const error = await step(send());
      if (error !== null) warnings.push({ step: name, error });
    } catch (err) {
      warnings.push({ step: name, error: classifyError(err).reason });
    }
  }
  return warnings;
}

async function inspect(conn: RedisCommands, target: ProbeTarget): Promise<RedisOpResult> {
  let reply: unknown;
  try {
    reply = await conn.send(['INFO', 'replication', 'server']);
  } catch (err) {
    // Redis before 7.0 takes one section only.
    if (!/syntax error|wrong number of arguments/i.test(err instanceof Error ? err.message : '')) throw err;
    reply = await conn.send(['INFO']);
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
    replicaPriority: info.replicaPriority ?? null,
  };
}

function failed(error: string): OpOutcome {
  return { result: { ok: false, error }, warnings: [] };
}

async function simple(reply: Promise<unknown>): Promise<OpOutcome> {
  let r: unknown;
  try {
    r = await reply;
  } catch (err) {
    if (err instanceof DisabledCommand) return failed(err.message);
    throw err;
  }
  return r === 'OK' ? { result: { ok: true }, warnings: [] } : failed(`unexpected reply ${clean(String(r))}`);
}
