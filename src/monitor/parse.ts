// Parsers for the two replies the prober lives on: ROLE and INFO (replication + server).
// Pure. Every input is `unknown` (whatever the client decoded off the wire from a node that may
// not be Redis at all), so nothing here throws: a bad reply becomes a typed ParseError with a
// reason an operator can act on. Sizes are capped before any work is done.

/** A replica's link state as ROLE reports it (replication.c roleCommand, Redis 7.0). */
export type ReplicaLinkState =
  'none' | 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected' | 'unknown';

const LINK_STATES: ReadonlySet<string> = new Set([
  'none',
  'connect',
  'connecting',
  'handshake',
  'sync',
  'connected',
  'unknown',
]);

export interface RoleReplica {
  readonly host: string;
  readonly port: number;
  /** The offset this replica last acknowledged (acks come about once a second). */
  readonly offset: number;
}

export type RoleReply =
  | { readonly role: 'master'; readonly offset: number; readonly replicas: readonly RoleReplica[] }
  | {
      readonly role: 'slave';
      readonly masterHost: string;
      readonly masterPort: number;
      readonly state: ReplicaLinkState;
      /** Processed offset; null while the link is down (ROLE says -1 then, INFO keeps it). */
      readonly offset: number | null;
    };

export interface InfoReply {
  readonly role: 'master' | 'slave';
  readonly runId: string;
  readonly masterReplId: string;
  /**
   * The history this node continued from (master_replid2): after REPLICAOF NO ONE it is the
   * master_replid the node had as a replica; null when unset (forty zeros), as after a full
   * resync or on a node that was never promoted, and on a Redis without the field.
   */
  readonly masterReplId2: string | null;
  /** The first offset of the current history past the previous one (second_repl_offset); null when -1 or absent. */
  readonly secondReplOffset: number | null;
  readonly masterReplOffset: number;
  readonly connectedSlaves: number | null;
  /** Replica fields: null on a master. */
  readonly masterHost: string | null;
  readonly masterPort: number | null;
  readonly masterLinkUp: boolean | null;
  /** Seconds since the link went down; null when up, absent, or -1 (never up since start). */
  readonly masterLinkDownSinceSeconds: number | null;
  readonly slaveReplOffset: number | null;
  readonly slaveReadReplOffset: number | null;
  /**
   * A replica's own replica-priority (INFO `slave_priority`, `replica_priority` where a server
   * names it so; 0 = never promote, as Sentinel honours it); null on a master or when absent.
   */
  readonly replicaPriority?: number | null;
}

/**
 * garbage: not a reply Redis would send; sentinel: the address is a Sentinel; unknown-role:
 * well formed, but a role raftinel cannot manage.
 */
export type ParseErrorKind = 'garbage' | 'sentinel' | 'unknown-role';

export interface ParseError {
  readonly kind: ParseErrorKind;
  readonly reason: string;
}

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ParseError };

/** A ROLE reply lists one entry per replica; no real topology has this many. */
export const MAX_ROLE_REPLICAS = 1000;
/** INFO replication + server is a few KiB, plus about 80 bytes per connected replica. */
export const MAX_INFO_BYTES = 1024 * 1024;
const MAX_INFO_LINES = 20_000;
const MAX_HOST_CHARS = 255;
const MAX_SHOWN_CHARS = 60;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(kind: ParseErrorKind, reason: string): Parsed<T> => ({ ok: false, error: { kind, reason } });
const garbage = <T>(reason: string): Parsed<T> => bad('garbage', reason);

/** A short, printable rendering of an untrusted value for an error message. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string')
    text = JSON.stringify(value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}...` : value);
  else if (Array.isArray(value)) text = `an array of ${value.length}`;
  else if (Buffer.isBuffer(value)) text = `${value.length} bytes`;
  else if (value === null) text = 'null';
  else text = typeof value === 'number' ? String(value) : typeof value;
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** A non-negative (or -1 where allowed) safe integer, given as an integer reply or a decimal string. */
function integer(value: unknown, min: number): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) n = Number(value);
  else return null;
  return Number.isSafeInteger(n) && n >= min ? n : null;
}

function port(value: unknown): number | null {
  const n = integer(value, 0);
  return n !== null && n <= 65535 ? n : null;
}

function hostText(value: unknown): string | null {
  return typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_HOST_CHARS &&
    /^[!-~]+$/.test(value)
    ? value
    : null;
}

export function parseRole(reply: unknown): Parsed<RoleReply> {
  if (!Array.isArray(reply)) return garbage(`ROLE reply is ${show(reply)}, expected an array`);
  if (reply.length === 0) return garbage('ROLE reply is an empty array');
  const role = reply[0];
  if (role === 'master') return parseMasterRole(reply);
  if (role === 'slave') return parseSlaveRole(reply);
  if (role === 'sentinel') return bad('sentinel', 'the address answers as a Redis Sentinel, not a data node');
  if (typeof role === 'string' && /^[a-z-]{1,20}$/.test(role))
    return bad('unknown-role', `unknown role ${show(role)}`);
  return garbage(`ROLE reply starts with ${show(role)}, expected a role name`);
}

function parseMasterRole(reply: readonly unknown[]): Parsed<RoleReply> {
  if (reply.length !== 3) return garbage(`ROLE master reply has ${reply.length} elements, expected 3`);
  const offset = integer(reply[1], 0);
  if (offset === null) return garbage(`ROLE master offset is ${show(reply[1])}`);
  const list = reply[2];
  if (!Array.isArray(list)) return garbage(`ROLE master replica list is ${show(list)}`);
  if (list.length > MAX_ROLE_REPLICAS)
    return garbage(`ROLE lists ${list.length} replicas, over the cap of ${MAX_ROLE_REPLICAS}`);
  const replicas: RoleReplica[] = [];
  for (const entry of list as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 3)
      return garbage(`ROLE replica entry is ${show(entry)}, expected [ip, port, offset]`);
    const host = hostText(entry[0]);
    const p = port(entry[1]);
    const o = integer(entry[2], 0);
    if (host === null || p === null || o === null)
      return garbage(`ROLE replica entry [${entry.map(show).join(', ')}] is malformed`);
    replicas.push({ host, port: p, offset: o });
  }
  return ok({ role: 'master', offset, replicas });
}

function parseSlaveRole(reply: readonly unknown[]): Parsed<RoleReply> {
  if (reply.length !== 5) return garbage(`ROLE slave reply has ${reply.length} elements, expected 5`);
  const masterHost = hostText(reply[1]);
  if (masterHost === null) return garbage(`ROLE slave master host is ${show(reply[1])}`);
  const masterPort = port(reply[2]);
  if (masterPort === null) return garbage(`ROLE slave master port is ${show(reply[2])}`);
  const stateText = reply[3];
  if (typeof stateText !== 'string' || !/^[a-z_]{1,32}$/.test(stateText))
    return garbage(`ROLE slave link state is ${show(stateText)}`);
  // A state a newer Redis may add is still a well-formed reply: treat it as not connected.
  const state = (LINK_STATES.has(stateText) ? stateText : 'unknown') as ReplicaLinkState;
  const offset = integer(reply[4], -1);
  if (offset === null) return garbage(`ROLE slave offset is ${show(reply[4])}`);
  return ok({ role: 'slave', masterHost, masterPort, state, offset: offset < 0 ? null : offset });
}

/** The `key:value` fields of an INFO reply, sections merged (keys are unique across sections). */
export function infoFields(text: string): Parsed<ReadonlyMap<string, string>> {
  const fields = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.length > MAX_INFO_LINES)
    return garbage(`INFO has ${lines.length} lines, over the cap of ${MAX_INFO_LINES}`);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return garbage(`INFO line ${i + 1} is ${show(line)}, expected key:value`);
    fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return ok(fields);
}

const HEX40 = /^[0-9a-f]{40}$/;
/** master_replid2 when the node has no previous history. */
const NO_REPLID = '0'.repeat(40);

export function parseInfo(reply: unknown): Parsed<InfoReply> {
  const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : reply;
  if (typeof text !== 'string') return garbage(`INFO reply is ${show(text)}, expected text`);
  if (text.length > MAX_INFO_BYTES)
    return garbage(`INFO reply is ${text.length} bytes, over the cap of ${MAX_INFO_BYTES}`);
  const parsed = infoFields(text);
  if (!parsed.ok) return parsed;
  const f = parsed.value;
  const role = f.get('role');
  if (role === undefined) return garbage('INFO has no role field (not a Redis data node?)');
  if (role !== 'master' && role !== 'slave')
    return bad('unknown-role', `INFO reports unknown role ${show(role)}`);
  const runId = f.get('run_id');
  if (runId === undefined || !HEX40.test(runId))
    return garbage(`INFO run_id is ${show(runId ?? null)}, expected 40 hex digits`);
  const replId = f.get('master_replid');
  if (replId === undefined || !HEX40.test(replId))
    return garbage(`INFO master_replid is ${show(replId ?? null)}, expected 40 hex digits`);
  // Redis 4.0 added master_replid2 and second_repl_offset: absent is "no previous history".
  const replId2 = f.get('master_replid2');
  if (replId2 !== undefined && !HEX40.test(replId2))
    return garbage(`INFO master_replid2 is ${show(replId2)}, expected 40 hex digits`);
  const secondRaw = f.get('second_repl_offset');
  const second = secondRaw === undefined ? null : integer(secondRaw, -1);
  if (secondRaw !== undefined && second === null)
    return garbage(`INFO second_repl_offset is ${show(secondRaw)}`);
  const masterReplOffset = integer(f.get('master_repl_offset'), 0);
  if (masterReplOffset === null)
    return garbage(`INFO master_repl_offset is ${show(f.get('master_repl_offset') ?? null)}`);
  const connected = f.get('connected_slaves');
  const connectedSlaves = connected === undefined ? null : integer(connected, 0);
  if (connected !== undefined && connectedSlaves === null)
    return garbage(`INFO connected_slaves is ${show(connected)}`);
  const base = {
    runId,
    masterReplId: replId,
    masterReplId2: replId2 === undefined || replId2 === NO_REPLID ? null : replId2,
    secondReplOffset: second !== null && second >= 0 ? second : null,
    masterReplOffset,
    connectedSlaves,
  };
  if (role === 'master') {
    return ok({
      role,
      ...base,
      masterHost: null,
      masterPort: null,
      masterLinkUp: null,
      masterLinkDownSinceSeconds: null,
      slaveReplOffset: null,
      slaveReadReplOffset: null,
    });
  }
  return parseReplicaInfo(f, base);
}

function parseReplicaInfo(
  f: ReadonlyMap<string, string>,
  base: Pick<
    InfoReply,
    'runId' | 'masterReplId' | 'masterReplId2' | 'secondReplOffset' | 'masterReplOffset' | 'connectedSlaves'
  >,
): Parsed<InfoReply> {
  const masterHost = hostText(f.get('master_host'));
  if (masterHost === null) return garbage(`INFO master_host is ${show(f.get('master_host') ?? null)}`);
  const masterPort = port(f.get('master_port'));
  if (masterPort === null) return garbage(`INFO master_port is ${show(f.get('master_port') ?? null)}`);
  const status = f.get('master_link_status');
  if (status !== 'up' && status !== 'down')
    return garbage(`INFO master_link_status is ${show(status ?? null)}, expected up or down`);
  const optional = (key: string, min: number): Parsed<number | null> => {
    const raw = f.get(key);
    if (raw === undefined) return ok(null);
    const n = integer(raw, min);
    return n === null ? garbage(`INFO ${key} is ${show(raw)}`) : ok(n);
  };
  const downSince = optional('master_link_down_since_seconds', -1);
  const processed = optional('slave_repl_offset', 0);
  const read = optional('slave_read_repl_offset', 0);
  const priority = optional(f.has('replica_priority') ? 'replica_priority' : 'slave_priority', 0);
  for (const p of [downSince, processed, read, priority]) if (!p.ok) return garbage(p.error.reason);
  const value = (p: Parsed<number | null>): number | null => (p.ok ? p.value : null);
  const since = value(downSince);
  return ok({
    role: 'slave',
    ...base,
    masterHost,
    masterPort,
    masterLinkUp: status === 'up',
    masterLinkDownSinceSeconds: status === 'down' && since !== null && since >= 0 ? since : null,
    slaveReplOffset: value(processed),
    slaveReadReplOffset: value(read),
    replicaPriority: value(priority),
  });
}
