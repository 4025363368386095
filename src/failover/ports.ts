// What the failover shell needs from the rest of the node, declared in one place (issue 12
// item 5): the prober, the Redis executor, the peer transport, the local credentials, Raft and
// the clock. The production node and the simulator each plug in their own; the driver, the
// observation sharing and the sidecar depend on these types only.
import type { NodeId } from '../raft/types.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Clock } from '../runtime/ports.js';
import type { Logger } from '../util/log.js';
import type { FailoverBugs } from './bugs.js';
import type { RedisOp, RedisOpResult } from './engine-types.js';
import type { Topology, TopologyEvent } from './topology.js';
import type { RedisNodeSpec, RedisObservation, ShardSettings, ShardSpec } from './types.js';

/** One Redis node as the prober and the admin connection see it (auth and TLS from local config). */
export interface RedisTarget {
  readonly shard: string;
  readonly node: RedisNodeSpec;
  readonly settings: ShardSettings;
  readonly auth: { readonly username: string | null; readonly password: string } | null;
  readonly tls: { readonly ca?: string; readonly cert?: string; readonly key?: string } | null;
  readonly isMaster: boolean;
  /** shards[].renameCommands of this node's config. */
  readonly renameCommands?: Readonly<Partial<Record<string, string>>>;
}

export interface ProbeSource {
  setTargets(targets: RedisTarget[]): void;
  observations(): RedisObservation[];
  /**
   * One node's observation as of now, without evaluating the others: discovery asks for one node
   * at a time, and a full `observations()` per node is quadratic in the fleet (issue 12).
   */
  observation?(shard: string, node: string): RedisObservation | null;
  onChange(cb: (changed: RedisObservation[]) => void): void;
}

/** Runs Redis operations; callback style so that the simulator can answer from its own events. */
export interface RedisExecutor {
  execute(target: RedisTarget, op: RedisOp, done: (result: RedisOpResult) => void): void;
}

/** The peer transport's envelope side, as the driver needs it. */
export interface EnvelopeChannel {
  sendEnvelope(to: NodeId, kind: string, body: unknown): boolean;
  onEnvelope(kind: string, handler: (from: NodeId, body: unknown) => void): void;
}

/** How this node reaches a shard's Redis nodes: from its own config, never from the log. */
export interface RedisCredentials {
  readonly auth: RedisTarget['auth'];
  readonly tls: RedisTarget['tls'];
  readonly renameCommands?: RedisTarget['renameCommands'];
}

export interface DriverDeps {
  readonly selfId: NodeId;
  /** The shards of this node's config: proposed by the first leader of an empty log. */
  readonly configuredShards: readonly ShardSpec[];
  readonly credentials: (shard: string) => RedisCredentials;
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  readonly onTopology: (listener: (events: readonly TopologyEvent[], index: number) => void) => void;
  readonly prober: ProbeSource;
  readonly admin: RedisExecutor;
  readonly channel: EnvelopeChannel;
  readonly logger: Logger;
  /** Sentinel-style events (name, shard, message) for the RESP pub/sub and the logs. */
  readonly publish?: (name: string, shard: string, message: string) => void;
  /** Monotonic time and scheduling (the simulator's virtual clock, or the system clock). */
  readonly clock: Clock;
  /** Wall-clock ms, only for what is committed and shown (history timestamps, cooldown). */
  readonly wallNow?: () => number;
  /** Test-only switches that re-create known bugs (bugs.ts); the simulator's teeth. */
  readonly bugs?: FailoverBugs;
}
