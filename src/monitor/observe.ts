// From what the prober has seen of one Redis node to the observation it reports (docs/design.md 4.1,
// 4.2). Pure: the probe state is plain data changed only by the reducers below, and time is
// passed in (monotonic ms). The prober calls the reducers on every reply and `observe()` on
// every reply and every ping interval.
import type { RedisNodeId, RedisObservation, RunSeen } from '../failover/types.js';
import type { Classified } from './classify.js';
// The prober tells the leader of what the leader's table would see as a change (one rule).
export { meaningfullyDifferent } from '../failover/observations.js';
import { parseInfo, parseRole, type InfoReply, type RoleReply } from './parse.js';

export interface ProbeState {
  /** When probing began: a node that never answered is down downAfterMs after this. */
  readonly startedAt: number;
  readonly connected: boolean;
  /** A valid reply came on the current connection (until then the node's state is unknown). */
  readonly answered: boolean;
  /** Last valid reply (ROLE, -LOADING, -MASTERDOWN). */
  readonly lastOkAt: number | null;
  /** ROLE and INFO of the current connection only: a new connection may be a restarted node. */
  readonly role: RoleReply | null;
  /** When role, master host or master port last changed (an INFO older than this is stale). */
  readonly roleChangedAt: number | null;
  readonly info: InfoReply | null;
  readonly infoAt: number | null;
  /** Why the node cannot be used (garbage, AUTH refused, unknown role); cleared by a valid ROLE. */
  readonly error: string | null;
  /** The same for INFO; cleared by a valid INFO. */
  readonly infoError: string | null;
  /** When we first saw this replica's link down in the current down period (this connection). */
  readonly linkDownSeenAt: number | null;
  /** When a ROLE last showed this replica's link up. */
  readonly linkUpSeenAt: number | null;
  /** Round trip (ms) of the last probe answered with a valid reply on this connection. */
  readonly lastRttMs: number | null;
  /**
   * The node's latest run as this observer knows it (run id from INFO, the highest offset seen
   * of it), kept across connections: a new connection may reach a restarted process.
   */
  readonly run: RunSeen | null;
  /** The run before `run`, when `run` began below the offset that one had reached (an empty restart). */
  readonly restartedFrom: RunSeen | null;
}

/** A late timer of the observer's own loop: `ms` late, noticed at `endedAt`. */
export interface Stall {
  readonly endedAt: number;
  readonly ms: number;
}

export interface ObserveInput {
  readonly shard: string;
  readonly node: RedisNodeId;
  /** The node is the shard's committed master: reporting role slave makes it down. */
  readonly isMaster: boolean;
  /**
   * When it became the committed master; a ROLE reply from before then says nothing about it
   * (right after a promotion the last reply still says slave). Null: since probing began.
   */
  readonly masterSince?: number | null;
  readonly downAfterMs: number;
  readonly pingIntervalMs: number;
  readonly now: number;
  readonly state: ProbeState;
  /** Recent stalls of the observer's loop, including one in progress. */
  readonly stalls: readonly Stall[];
  /** Lateness of the loop up to this is jitter, not a stall (stall.ts, STALL_FLOOR_MS). */
  readonly stallFloorMs?: number;
  /** When the ROLE still unanswered on the open connection was sent; null when none is. */
  readonly pendingSince?: number | null;
}

export function initialState(now: number): ProbeState {
  return {
    startedAt: now,
    connected: false,
    answered: false,
    lastOkAt: null,
    role: null,
    roleChangedAt: null,
    info: null,
    infoAt: null,
    error: null,
    infoError: null,
    linkDownSeenAt: null,
    linkUpSeenAt: null,
    lastRttMs: null,
    run: null,
    restartedFrom: null,
  };
}

export function onConnected(s: ProbeState): ProbeState {
  return {
    ...s,
    connected: true,
    answered: false,
    role: null,
    roleChangedAt: null,
    info: null,
    infoAt: null,
    linkDownSeenAt: null,
    lastRttMs: null,
  };
}

export function onDisconnected(s: ProbeState): ProbeState {
  return s.connected ? { ...s, connected: false } : s;
}

/** A reply to ROLE; `sentAt`, when the prober knows it, gives the probe's round trip. */
export function onRoleReply(
  s: ProbeState,
  reply: unknown,
  now: number,
  sentAt: number | null = null,
): ProbeState {
  const parsed = parseRole(reply);
  if (!parsed.ok) {
    const reason =
      parsed.error.kind === 'garbage'
        ? `garbage reply: ${parsed.error.reason}`
        : `unknown role: ${parsed.error.reason}`;
    return { ...s, error: reason };
  }
  const role = parsed.value;
  // The first ROLE of a connection is no change: the INFO sent just before it is current.
  const changed = s.role !== null && summary(s.role) !== summary(role);
  const linkDown = role.role === 'slave' && role.state !== 'connected';
  // ROLE carries no run id: its offset counts for the run whose INFO this connection returned.
  const run = s.info !== null && s.run?.runId === s.info.runId && role.offset !== null ? s.run : null;
  return {
    ...s,
    ...(run !== null && role.offset !== null ? seenRun(s, run.runId, role.offset) : {}),
    answered: true,
    lastOkAt: now,
    role,
    roleChangedAt: changed ? now : s.roleChangedAt,
    error: null,
    linkDownSeenAt: linkDown ? (s.linkDownSeenAt ?? now) : null,
    linkUpSeenAt: role.role === 'slave' && !linkDown ? now : s.linkUpSeenAt,
    lastRttMs: rttOf(s, now, sentAt),
  };
}

function rttOf(s: ProbeState, now: number, sentAt: number | null): number | null {
  return sentAt === null ? s.lastRttMs : Math.max(0, now - sentAt);
}

/** An error in answer to ROLE (sent at `sentAt`), or a fatal error of the connection itself. */
export function onProbeError(
  s: ProbeState,
  c: Classified,
  now: number,
  sentAt: number | null = null,
): ProbeState {
  if (c.kind === 'alive')
    return { ...s, answered: true, lastOkAt: now, error: null, lastRttMs: rttOf(s, now, sentAt) };
  if (c.kind === 'fault') return { ...s, error: c.reason };
  return s;
}

export function onInfoReply(s: ProbeState, reply: unknown, now: number): ProbeState {
  const parsed = parseInfo(reply);
  if (!parsed.ok) {
    const reason =
      parsed.error.kind === 'garbage' ? `garbage INFO: ${parsed.error.reason}` : parsed.error.reason;
    return { ...s, infoError: reason };
  }
  const info = parsed.value;
  const offset =
    info.role === 'master' ? info.masterReplOffset : (info.slaveReplOffset ?? info.masterReplOffset);
  return { ...s, info, infoAt: now, infoError: null, ...seenRun(s, info.runId, offset) };
}

/**
 * Folds an offset of run `runId` into what this observer knows of the node's runs. A new run
 * that begins below the highest offset seen of the previous one restarted without that data
 * (docs/design.md 4.5); the observer reports it for the whole run, not only to the leader of the
 * moment, whose memory a leadership change would lose.
 */
function seenRun(s: ProbeState, runId: string, offset: number): Pick<ProbeState, 'run' | 'restartedFrom'> {
  const run = s.run;
  if (run !== null && run.runId === runId) {
    return { run: offset > run.offset ? { runId, offset } : run, restartedFrom: s.restartedFrom };
  }
  return { run: { runId, offset }, restartedFrom: run !== null && offset < run.offset ? run : null };
}

export function onInfoError(s: ProbeState, c: Classified): ProbeState {
  return c.kind === 'fault' ? { ...s, infoError: c.reason } : s;
}

/** Whether a ROLE reply differs in what should trigger a fresh INFO (role, master, link). */
export function roleMoved(before: RoleReply | null, after: RoleReply | null): boolean {
  // A connection's first ROLE: an INFO was sent with it when the connection opened.
  if (after === null || before === null) return false;
  return summary(before) !== summary(after) || linkState(before) !== linkState(after);
}

function summary(r: RoleReply): string {
  return r.role === 'master' ? 'master' : `slave ${r.masterHost} ${r.masterPort}`;
}

function linkState(r: RoleReply): string {
  return r.role === 'slave' ? r.state : '';
}

/** An INFO that describes the same role and master as the current ROLE, and is not older than it. */
function consistentInfo(s: ProbeState): InfoReply | null {
  const { info, role } = s;
  if (info === null || role === null || s.infoAt === null) return null;
  if (s.roleChangedAt !== null && s.infoAt < s.roleChangedAt) return null;
  if (info.role !== role.role) return null;
  if (role.role === 'slave' && (info.masterHost !== role.masterHost || info.masterPort !== role.masterPort))
    return null;
  if (syncedSinceInfo(s)) return null;
  return info;
}

/**
 * The INFO saw the replica's link down and a ROLE has seen it up since: it synced in between,
 * and a sync may change its history (a full sync takes the master's, a PSYNC continues it), so
 * master_replid is unknown until the next INFO (the prober asks for one at once). Reported as
 * the old one, it made a replica that had just copied the shard's history look resynced from
 * an empty master (simulator seed 2001625, docs/design.md 4.5).
 */
export function syncedSinceInfo(s: ProbeState): boolean {
  return (
    s.role?.role === 'slave' &&
    s.info?.masterLinkUp === false &&
    s.infoAt !== null &&
    (s.linkUpSeenAt ?? -Infinity) > s.infoAt
  );
}

/** TILT (docs/design.md 4.2): a loop stall over downAfterMs / 2 makes the observer unsure for downAfterMs. */
export function isUnsure(stalls: readonly Stall[], now: number, downAfterMs: number): boolean {
  return stalls.some((st) => st.ms > downAfterMs / 2 && now - st.endedAt < downAfterMs);
}

/**
 * How long of [from, to] the observer's loop was stalled (beyond `floorMs` of each stall). A reply
 * that arrived while the loop stood still is read only when it runs again: that time says nothing
 * about the node, and counting it as the node's silence made a healthy but slow node SDOWN to an
 * observer stalled for under downAfterMs / 2 (docs/design.md 4.1).
 */
export function stalledMs(stalls: readonly Stall[], from: number, to: number, floorMs: number): number {
  let total = 0;
  for (const st of stalls) {
    const counted = st.ms - floorMs;
    if (counted <= 0) continue;
    const start = Math.max(from, st.endedAt - counted);
    const end = Math.min(to, st.endedAt);
    if (end > start) total += end - start;
  }
  return total;
}

/** How recent the last valid reply must be to call the node reachable now. */
export function reachableWindowMs(downAfterMs: number, pingIntervalMs: number): number {
  return Math.min(downAfterMs, Math.max(3 * pingIntervalMs, 250));
}

export function observe(input: ObserveInput): RedisObservation {
  const { state: s, now } = input;
  const role = s.role;
  const info = consistentInfo(s);
  const lastHeard = s.lastOkAt ?? s.startedAt;
  // Sentinel's rule (sentinel.c, sentinelCheckSubjectivelyDown): on an open connection silence
  // counts from the send time of the oldest unanswered probe, not from the last reply, so the
  // gap between two probes (half of downAfterMs on the relaxed cadence) is not silence;
  // on a closed one, from the last reply. Counted in the observer's running time only (stalledMs).
  const quietSince =
    s.connected && input.pendingSince != null ? Math.max(lastHeard, input.pendingSince) : lastHeard;
  const silentMs = now - quietSince - stalledMs(input.stalls, quietSince, now, input.stallFloorMs ?? 0);
  const unsure = isUnsure(input.stalls, now, input.downAfterMs);
  const fresh = input.masterSince == null || (s.lastOkAt ?? -Infinity) > input.masterSince;
  const demoted = input.isMaster && role?.role === 'slave' && fresh;
  const reachable =
    s.connected &&
    s.answered &&
    s.lastOkAt !== null &&
    silentMs <= reachableWindowMs(input.downAfterMs, input.pingIntervalMs);
  const linkUp = role?.role === 'slave' ? role.state === 'connected' : null;
  return {
    shard: input.shard,
    node: input.node,
    sdown: !unsure && (silentMs >= input.downAfterMs || demoted),
    unsure,
    reachable,
    role: role?.role ?? 'unknown',
    masterHost: role?.role === 'slave' ? role.masterHost : null,
    masterPort: role?.role === 'slave' ? role.masterPort : null,
    linkUp,
    linkDownMs: linkUp === false ? linkDownMs(s, info, now) : null,
    offset: offsetOf(role, info),
    replId: info?.masterReplId ?? null,
    replId2: info?.masterReplId2 ?? null,
    runId: s.info?.runId ?? null,
    // Only once this connection's INFO has named the run the evidence is about.
    restartedFrom: s.info !== null && s.run?.runId === s.info.runId ? s.restartedFrom : null,
    error: s.error ?? s.infoError,
    lastOkAgoMs: s.lastOkAt === null ? null : Math.max(0, Math.round(now - s.lastOkAt)),
    probeRttMs: s.lastRttMs,
    replicaPriority: info?.replicaPriority ?? null,
  };
}

/** A master's master_repl_offset; a replica's processed offset, from INFO while its link is down. */
function offsetOf(role: RoleReply | null, info: InfoReply | null): number | null {
  if (role === null) return null;
  if (role.role === 'master') return role.offset;
  if (role.offset !== null) return role.offset;
  return info?.slaveReplOffset ?? null;
}

function linkDownMs(s: ProbeState, info: InfoReply | null, now: number): number | null {
  const seen = s.linkDownSeenAt === null ? null : now - s.linkDownSeenAt;
  // INFO counts from before we connected; trust it unless we have seen the link up since.
  const reported =
    info !== null &&
    s.infoAt !== null &&
    info.masterLinkDownSinceSeconds !== null &&
    (s.linkUpSeenAt === null || s.infoAt > s.linkUpSeenAt)
      ? info.masterLinkDownSinceSeconds * 1000 + (now - s.infoAt)
      : null;
  if (seen === null) return reported === null ? null : Math.round(reported);
  return Math.round(reported === null ? seen : Math.max(seen, reported));
}
