// A FailoverDriver over fakes for the driver's unit tests: the parts a test cares about come in,
// the rest (credentials, Redis operations, the logger) do nothing.
import { FailoverDriver } from '../../../src/failover/driver.js';
import type { ProbeSource } from '../../../src/failover/ports.js';
import type { Topology, TopologyEvent } from '../../../src/failover/topology.js';
import type { Cancel, Clock } from '../../../src/runtime/ports.js';
import type { RaftRuntime } from '../../../src/runtime/raft-runtime.js';
import { silentLogger } from '../../../src/util/log.js';

export const stillClock: Clock = {
  now: () => 0,
  every: (): Cancel => () => {},
  after: (): Cancel => () => {},
  defer: () => {},
};

export interface DriverParts {
  readonly runtime: RaftRuntime;
  readonly topology: Topology;
  readonly prober: ProbeSource;
  readonly clock: Clock;
  readonly onEnvelope?: (kind: string, handler: (from: string, body: unknown) => void) => void;
}

/** The driver (not started) and a function that tells it of applied events, as Raft would. */
export function testDriver(parts: DriverParts): {
  driver: FailoverDriver;
  applied: (events: readonly TopologyEvent[]) => void;
} {
  let listener: (events: readonly TopologyEvent[], index: number) => void = () => {};
  const driver = new FailoverDriver({
    selfId: 'n1',
    configuredShards: [],
    credentials: () => ({ auth: null, tls: null }),
    runtime: parts.runtime,
    topology: () => parts.topology,
    onTopology: (l) => {
      listener = l;
    },
    prober: parts.prober,
    admin: { execute: () => {} },
    channel: { sendEnvelope: () => true, onEnvelope: parts.onEnvelope ?? (() => {}) },
    logger: silentLogger(),
    clock: parts.clock,
  });
  return { driver, applied: (events) => listener(events, 0) };
}
