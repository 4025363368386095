// How often a node is probed (issue 12). ROLE every pingIntervalMs for every node made a
// raftinel node's idle cost grow with the fleet at ten probes a second per Redis node, where
// Sentinel sends one PING a second. A node that answers well and whose shard is quiet gets the
// relaxed cadence; one that is late, erring, down, newly promoted or in a failover gets the
// configured one. Detection does not wait for the relaxed cadence: SDOWN counts from the last
// valid reply, which is at most one relaxed interval before a failure, and a closed connection
// is seen at once.
import type { ShardSettings } from '../failover/types.js';

/** The longest ROLE interval of a healthy node, whatever downAfterMs is. */
export const RELAXED_ROLE_MAX_MS = 1000;

export interface CadenceInput {
  readonly settings: Pick<ShardSettings, 'pingIntervalMs' | 'downAfterMs'>;
  /** Reachable, not SDOWN, not unsure, no error in its last observation. */
  readonly healthy: boolean;
  /** Its shard is in a failover or switchover (the prober's fast mode). */
  readonly fast: boolean;
  /** Became the committed master here within the last downAfterMs. */
  readonly newMaster: boolean;
}

/**
 * ROLE interval: pingIntervalMs unless the node is healthy and quiet, then half of downAfterMs,
 * capped at RELAXED_ROLE_MAX_MS and never below pingIntervalMs. Half, not less: at 1000 shards
 * the probes' system calls were most of a node's cost (issue 12), and a closed connection (a
 * crash, a kill) is seen at once whatever the cadence. A node that hangs with its connection
 * open is SDOWN downAfterMs after the first probe it leaves unanswered, so at most half of
 * downAfterMs later than at the configured cadence (Sentinel, pinging once a second: a second).
 */
export function roleIntervalMs(c: CadenceInput): number {
  const ping = c.settings.pingIntervalMs;
  if (!c.healthy || c.fast || c.newMaster) return ping;
  return Math.max(ping, Math.min(RELAXED_ROLE_MAX_MS, Math.floor(c.settings.downAfterMs / 2)));
}
