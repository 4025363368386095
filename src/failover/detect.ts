// Objective-down detection on the leader (docs/design.md 4.2): a quorum of raftinel nodes, each
// with a fresh report, must see the master subjectively down; the leader's view alone never
// suffices. Pure: the inputs are the observation table and the leader's monotonic now.
import { quorumSize } from '../config/core.js';
import { pointsAt } from './engine-types.js';
import { observationMaxAgeMs } from './rules.js';
import type { ObservationTable } from './observations.js';
import type { ShardState } from './types.js';

export interface OdownVerdict {
  readonly odown: boolean;
  readonly sdownObservers: readonly string[];
  readonly freshObservers: number;
  readonly reason: string;
}

export function quorumOf(shard: ShardState, voters: number): number {
  return quorumSize(shard.settings.quorum, voters);
}

/** Observers that must see the master SDOWN for ODOWN: the quorum, and never one alone in a cluster of 2+. */
export function odownNeeded(shard: ShardState, voters: number): number {
  return Math.max(quorumOf(shard, voters), Math.min(2, voters));
}

/** `since`: only reports received after this (monotonic) count, e.g. after the master changed. */
export function detectOdown(
  shard: ShardState,
  table: ObservationTable,
  now: number,
  voters: number,
  since = -Infinity,
): OdownVerdict {
  const master = shard.master;
  if (master === null) return { odown: false, sdownObservers: [], freshObservers: 0, reason: 'no master' };
  const maxAge = observationMaxAgeMs(shard.settings);
  const sightings = table.fresh(shard.name, master, now, maxAge).filter((s) => s.receivedAt > since);
  const sdown = sightings.filter((s) => s.obs.sdown && !s.obs.unsure).map((s) => s.observer);
  const needed = odownNeeded(shard, voters);
  if (sdown.length < needed) {
    return {
      odown: false,
      sdownObservers: sdown,
      freshObservers: sightings.length,
      reason: `${sdown.length} of ${needed} observers see it down`,
    };
  }
  // A master that answers as a replica is down whatever its replicas say (4.1): holistic mode
  // would otherwise keep a demoted master (its replicas still sync from it) forever.
  const m = shard.nodes.find((n) => n.id === master);
  const demoted = sightings.filter((s) => s.obs.reachable && s.obs.role === 'slave').length >= needed;
  if (shard.settings.holistic && !demoted) {
    // Holistic: the replicas must agree that their link to the master is down; a master that is
    // merely slow to answer us (but still feeds its replicas) is not failed over. Only a link to
    // this master counts: a replica that follows another node says nothing of it.
    for (const node of shard.nodes) {
      if (node.id === master) continue;
      const views = table
        .fresh(shard.name, node.id, now, maxAge)
        .filter((s) => s.obs.reachable && m !== undefined && pointsAt(s.obs, m));
      if (views.some((s) => s.obs.linkUp === true)) {
        return {
          odown: false,
          sdownObservers: sdown,
          freshObservers: sightings.length,
          reason: `holistic: replica ${node.id} still has its link up`,
        };
      }
    }
  }
  return {
    odown: true,
    sdownObservers: sdown,
    freshObservers: sightings.length,
    reason: `${sdown.length} observers see it down`,
  };
}
