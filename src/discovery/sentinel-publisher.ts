// The Sentinel events of failovers (docs/design.md 5.1): what a Sentinel client reads on the
// pub/sub channels and what the logs show, for the applied topology events of every node and
// for the engine's own events on the leader. Messages come from the one formatter
// (sentinel-events.ts); +switch-master waits for its moment (failover/switch-announcer.ts).
// Split from the failover driver by job (issue 12 item 5): the driver decides, this tells.
import type { EngineAction } from '../failover/engine-types.js';
import { SWITCH_MASTER_DELAY_MS, SwitchAnnouncer, type SwitchMaster } from '../failover/switch-announcer.js';
import type { Topology, TopologyEvent } from '../failover/topology.js';
import type { RedisNodeSpec } from '../failover/types.js';
import type { Clock } from '../runtime/ports.js';
import type { Logger } from '../util/log.js';
import {
  engineEventMessage,
  masterMessage,
  replicaMessage,
  selectedReplicaMessage,
  switchMasterMessage,
} from './sentinel-events.js';

export interface PublisherDeps {
  readonly logger: Logger;
  /** Sentinel-style events (name, shard, message) for the RESP pub/sub; absent: logs only. */
  readonly publish?: (name: string, shard: string, message: string) => void;
  readonly topology: () => Topology;
  /** Monotonic timers (the +switch-master wait). */
  readonly clock: Clock;
  /** Wall-clock ms, compared with Promoted's committed time. */
  readonly wallNow: () => number;
}

export class SentinelPublisher {
  private readonly switches: SwitchAnnouncer;
  private stopped = false;

  constructor(private readonly deps: PublisherDeps) {
    this.switches = new SwitchAnnouncer({
      clock: deps.clock,
      wallNow: deps.wallNow,
      delayMs: SWITCH_MASTER_DELAY_MS,
      current: (shard, master) => deps.topology().shards[shard]?.master === master,
      announce: (e) => this.announceSwitch(e),
    });
  }

  stop(): void {
    this.stopped = true;
    this.switches.stop();
  }

  /** One applied topology event, on every node: logged, and published where Sentinel has an event. */
  applied(e: TopologyEvent): void {
    const { logger, publish } = this.deps;
    if (e.type === 'switch-master') {
      const msg = replicaMessage(e.to, e.shard, e.from);
      logger.info(
        { event: '+promoted-slave', shard: e.shard, epoch: e.epoch, to: e.to.id },
        `+promoted-slave ${msg}`,
      );
      publish?.('+promoted-slave', e.shard, msg);
      // Discovery names the new master from now on; +switch-master follows (switch-announcer.ts).
      this.switches.promoted(e);
    } else if (e.type === 'failover-resumed') {
      logger.info(
        { event: 'failover-resumed', shard: e.shard, epoch: e.epoch, term: e.term },
        `failover of ${e.shard} (epoch ${e.epoch}) resumed by the leader of term ${e.term}`,
      );
    } else if (e.type === 'failover-started') {
      logger.info(
        { event: '+try-failover', shard: e.shard, epoch: e.epoch, to: e.to.id, kind: e.kind },
        `+try-failover ${e.shard}`,
      );
      publish?.('+new-epoch', e.shard, String(e.epoch));
      publish?.('+try-failover', e.shard, masterMessage(e.shard));
      publish?.('+selected-slave', e.shard, selectedReplicaMessage(e.to, e.shard));
    } else if (e.type === 'failover-ended') {
      const name = e.entry.result === 'ended' ? '+failover-end' : '-failover-abort';
      logger.info({ event: name, shard: e.shard, epoch: e.epoch, history: e.entry }, `${name} ${e.shard}`);
      publish?.(name, e.shard, masterMessage(e.shard));
    }
  }

  /** An event of the leader's engine (+sdown, +odown, +slave-reconf-sent, ...). */
  engineEvent(action: Extract<EngineAction, { type: 'event' }>): void {
    this.deps.logger.info(
      { event: action.name, shard: action.shard, ...action.detail },
      `${action.name} ${action.shard}`,
    );
    this.deps.publish?.(
      action.name,
      action.shard,
      engineEventMessage(action.name, action.shard, action.detail, this.deps.topology()),
    );
  }

  /** Bug publishBeforePromoted: tells clients of the new master before Promoted is committed. */
  switchEarly(shardName: string, to: RedisNodeSpec): void {
    const shard = this.deps.topology().shards[shardName];
    const from = shard?.nodes.find((n) => n.id === shard.master);
    this.deps.publish?.('+switch-master', shardName, switchMasterMessage(shardName, from, to));
  }

  /** `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>`, logged and published. */
  private announceSwitch(e: SwitchMaster): void {
    if (this.stopped) return;
    const msg = switchMasterMessage(e.shard, e.from, e.to);
    this.deps.logger.info(
      { event: '+switch-master', shard: e.shard, epoch: e.epoch, to: e.to.id },
      `+switch-master ${msg}`,
    );
    this.deps.publish?.('+switch-master', e.shard, msg);
  }
}
