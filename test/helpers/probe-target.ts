// The shard settings and probe targets of the monitor integration tests (monitor-prober,
// monitor-admin): Redis nodes on 127.0.0.1 in shard `cache`, probed at the cadence of
// docs/design.md 9 (downAfterMs 500, pingIntervalMs 100).
import { DEFAULTS } from '../../src/config/defaults.js';
import type { ShardSettings } from '../../src/failover/types.js';
import type { ProbeTarget } from '../../src/monitor/index.js';

export const PROBE_SETTINGS: ShardSettings = {
  ...DEFAULTS.shard,
  downAfterMs: 500,
  pingIntervalMs: 100,
  infoIntervalMs: 1000,
};

/** Redis node `id` at 127.0.0.1:`port`, a replica unless `extra` says otherwise. */
export function probeTarget(id: string, port: number, extra: Partial<ProbeTarget> = {}): ProbeTarget {
  return {
    shard: 'cache',
    node: { id, host: '127.0.0.1', port, priority: 100, noFailover: false },
    settings: PROBE_SETTINGS,
    auth: null,
    tls: null,
    isMaster: false,
    ...extra,
  };
}
