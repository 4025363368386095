// Rules derived from a shard's settings, each in one place (issue 12 item 5): the detector, the
// engine, the switchover, the driver and discovery must agree on them, and copies drift.
import type { ShardSettings } from './types.js';

/** An observation older than this is not counted (docs/design.md 4.2: 2 × downAfterMs). */
export function observationMaxAgeMs(settings: Pick<ShardSettings, 'downAfterMs'>): number {
  return 2 * settings.downAfterMs;
}

/** A replica whose link has been down longer than this is no candidate (null: 10 × downAfterMs). */
export function linkDownLimitMs(settings: Pick<ShardSettings, 'downAfterMs' | 'maxLinkDownMs'>): number {
  return settings.maxLinkDownMs ?? 10 * settings.downAfterMs;
}
