// Sentinel events that raftinel's failover driver does not publish by itself (docs/design.md 5.1),
// in Sentinel's formats: `+slave` when this node first sees a replica, `+sentinel` when it first
// hears from another raftinel node, `+tilt` / `-tilt` when its own probe loop stalls and
// recovers, `+odown` on every node when an automatic failover is committed (the leader's
// detector publishes its own before the commit), and `+elected-leader` on the Raft leader that
// runs a failover or switchover. The core is pure (inputs in, events out) so the unit tests
// drive it; `publishParityEvents` wires it to the node.
import type { Topology, TopologyEvent } from '../failover/topology.js';
import type { RedisObservation } from '../failover/types.js';
import type { Logger } from '../util/log.js';
import type { SentinelEvent } from './resp/events.js';
import {
  masterDetails,
  odownMessage,
  replicaMessage,
  sentinelDetails,
  TILT_ENTERED,
  TILT_EXITED,
} from './sentinel-events.js';
import type { SentinelPeer } from './resp/source.js';
import { systemClock } from '../runtime/system-clock.js';

export interface PublishedEvent {
  readonly name: SentinelEvent;
  readonly message: string;
}

export class ParityEvents {
  private readonly replicasSeen = new Set<string>();
  private readonly peersSeen = new Set<string>();
  /** The shard/node keys whose latest report here is unsure (TILT while there is one). */
  private readonly unsure = new Set<string>();
  /**
   * Reachable replicas in this node's latest reports not announced yet: only these are looked at
   * after each change and each applied entry, not every node of the fleet (issue 12).
   */
  private readonly replicasPending = new Set<string>();
  private tilt = false;
  /** The peers (and whether up) of the last `peers` walk, and whether an entry applied since. */
  private peersKey = '';
  private appliedSincePeers = true;

  constructor(
    private readonly topology: () => Topology,
    /** The quorum of a shard as a number (majority resolved). */
    private readonly quorum: (shard: string) => number,
  ) {}

  /** This node's own observations that changed. */
  observed(changed: readonly RedisObservation[]): PublishedEvent[] {
    for (const o of changed) {
      const key = `${o.shard}/${o.node}`;
      if (o.unsure) this.unsure.add(key);
      else this.unsure.delete(key);
      if (o.role === 'slave' && o.reachable && !this.replicasSeen.has(key)) this.replicasPending.add(key);
      else this.replicasPending.delete(key);
    }
    const out = this.newReplicas();
    // TILT is the observer's state, not one node's: any unsure report means this loop stalled.
    const tilt = this.unsure.size > 0;
    if (tilt !== this.tilt) {
      this.tilt = tilt;
      out.push(tilt ? { name: '+tilt', message: TILT_ENTERED } : { name: '-tilt', message: TILT_EXITED });
    }
    return out;
  }

  /**
   * `+slave` for each reachable replica not announced yet. A replica is announced once its shard
   * has a master: at the first start the probes answer before bootstrap has adopted one.
   */
  private newReplicas(): PublishedEvent[] {
    const out: PublishedEvent[] = [];
    for (const key of this.replicasPending) {
      const [shardName, nodeId] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      const shard = this.topology().shards[shardName];
      const node = shard?.nodes.find((n) => n.id === nodeId);
      const master = shard?.nodes.find((n) => n.id === shard.master);
      if (!shard || !node || !master || node.id === master.id) continue;
      this.replicasSeen.add(key);
      this.replicasPending.delete(key);
      out.push({ name: '+slave', message: replicaMessage(node, shard.name, master) });
    }
    return out;
  }

  /** Entries applied on this node; `leading`: this node is the Raft leader with a valid lease. */
  applied(events: readonly TopologyEvent[], leading: boolean): PublishedEvent[] {
    this.appliedSincePeers = true;
    const out: PublishedEvent[] = this.newReplicas();
    for (const e of events) {
      if (e.type !== 'failover-started') continue;
      const shard = this.topology().shards[e.shard];
      // Until Promoted commits, the shard's master is still the one being replaced.
      const master = shard?.nodes.find((n) => n.id === shard.master);
      if (!shard || !master) continue;
      if (e.kind === 'failover' && !leading) {
        const q = this.quorum(shard.name);
        out.push({ name: '+odown', message: odownMessage(shard.name, master, q, q) });
      }
      if (leading) out.push({ name: '+elected-leader', message: masterDetails(shard.name, master) });
    }
    return out;
  }

  /** The other raftinel nodes as SENTINEL SENTINELS lists them: `+sentinel` once per peer and shard. */
  peers(list: readonly SentinelPeer[]): PublishedEvent[] {
    // Asked every second: with the same peers up and no entry applied since, nothing is new
    // (a walk of every shard for every peer was a sizeable part of an idle node at 1000 shards).
    const key = list.map((p) => `${p.id}:${p.up !== false}`).join(',');
    if (key === this.peersKey && this.appliedSincePeers === false) return [];
    this.peersKey = key;
    this.appliedSincePeers = false;
    const out: PublishedEvent[] = [];
    const shards = Object.values(this.topology().shards);
    for (const p of list) {
      if (p.up === false) continue;
      for (const shard of shards) {
        const master = shard.nodes.find((n) => n.id === shard.master);
        const key = `${p.id}/${shard.name}`;
        if (!master || this.peersSeen.has(key)) continue;
        this.peersSeen.add(key);
        out.push({ name: '+sentinel', message: sentinelDetails(p.runId, p, shard.name, master) });
      }
    }
    return out;
  }
}

const LOGGED = new Set<SentinelEvent>(['+slave', '+sentinel', '+tilt', '-tilt']);

export interface ParityEventDeps {
  readonly prober: { onChange(cb: (changed: RedisObservation[]) => void): unknown };
  readonly onTopology: (cb: (events: readonly TopologyEvent[]) => void) => void;
  readonly topology: () => Topology;
  readonly quorum: (shard: string) => number;
  readonly leading: () => boolean;
  readonly sentinels: () => readonly SentinelPeer[];
  readonly publish: (name: SentinelEvent, message: string) => void;
  /** +slave, +sentinel and +tilt/-tilt are logged too, as Sentinel logs them (the rest are logged where they arise). */
  readonly logger?: Logger;
  /** How often the peers are looked at for `+sentinel` (Sentinel's hello period is 2 s). */
  readonly peerCheckMs?: number;
}

/** Wires ParityEvents to the node; returns the function that stops its timer. */
export function publishParityEvents(deps: ParityEventDeps): () => void {
  const core = new ParityEvents(deps.topology, deps.quorum);
  const send = (events: readonly PublishedEvent[]): void => {
    for (const e of events) {
      if (LOGGED.has(e.name)) deps.logger?.info({ event: e.name }, `${e.name} ${e.message}`);
      deps.publish(e.name, e.message);
    }
  };
  deps.prober.onChange((changed) => send(core.observed(changed)));
  deps.onTopology((events) => send(core.applied(events, deps.leading())));
  return systemClock.every(deps.peerCheckMs ?? 1000, () => send(core.peers(deps.sentinels())), {
    unref: true,
  });
}
