// Rules derived from a shard's settings, each in one place (issue 12 item 5): the detector, the
// engine, the switchover, the driver and discovery must agree on them, and copies drift.
import type { Sighting } from './observations.js';
import type { ShardSettings } from './types.js';

/** An observation older than this is not counted (docs/design.md 4.2: 2 × downAfterMs). */
export function observationMaxAgeMs(settings: Pick<ShardSettings, 'downAfterMs'>): number {
  return 2 * settings.downAfterMs;
}

/** A replica whose link has been down longer than this is no candidate (null: 10 × downAfterMs). */
export function linkDownLimitMs(settings: Pick<ShardSettings, 'downAfterMs' | 'maxLinkDownMs'>): number {
  return settings.maxLinkDownMs ?? 10 * settings.downAfterMs;
}

/**
 * The earliest time the INFO behind a report can have been taken: its arrival, less the age of
 * the observer's last valid reply and one INFO interval (INFO runs less often than PING). On the
 * monotonic clock of the report, or on another one through `toClock`.
 */
export function infoTakenNoEarlierThan(
  s: Sighting,
  settings: Pick<ShardSettings, 'infoIntervalMs'>,
  toClock: (monotonicMs: number) => number = (ms) => ms,
): number {
  return toClock(s.receivedAt) - (s.obs.lastOkAgoMs ?? 0) - settings.infoIntervalMs;
}
