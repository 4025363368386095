// Observation sharing (docs/design.md 4.2): every node's prober reports what it sees of each
// Redis node to the Raft leader over the peer transport, on change and as a periodic digest, in
// bounded pieces; the leader keeps them in its ObservationTable, which the engine reads. Split
// from the failover driver by job (issue 12 item 5): this is the part that moves observations.
import type { NodeId } from '../raft/types.js';
import type { Cancel } from '../runtime/ports.js';
import { ObservationTable } from './observations.js';
import type { DriverDeps } from './ports.js';
import { observationMaxAgeMs } from './rules.js';
import type { RedisObservation, RunSeen } from './types.js';

/** How often every node sends its whole view to the leader, changed or not. */
export const DIGEST_MS = 500;
/**
 * Observations per envelope: a receiver drops a message of more than MAX_OBSERVATIONS_PER_MESSAGE,
 * so a large fleet's digest goes in bounded pieces instead of as one message dropped whole.
 */
export const OBSERVATIONS_PER_PIECE = 1000;
/** A message with more observations than this is dropped whole (a bound on a peer's demands). */
export const MAX_OBSERVATIONS_PER_MESSAGE = 10_000;
/** Freshness when a shard is unknown here (its settings not applied yet): the default downAfterMs. */
const UNKNOWN_SHARD_SETTINGS = { downAfterMs: 5000 };

export type SharingDeps = Pick<
  DriverDeps,
  'selfId' | 'runtime' | 'topology' | 'prober' | 'channel' | 'clock'
> & {
  /** Reports were recorded on the leader, new in meaning for `shards`: the engine loop should run soon. */
  readonly recorded: (shards: ReadonlySet<string>) => void;
};

export class ObservationSharing {
  /** The leader's table of every node's reports (complete on the leader only). */
  readonly table = new ObservationTable();
  /** "term/leader" of the last leader sent a full digest on its arrival. */
  private digestedLeader: string | null = null;
  /** "term/self" of the last term this node started leading: its observation table restarts then. */
  private ledTerm: string | null = null;
  private stopped = false;

  constructor(private readonly deps: SharingDeps) {}

  /** Listens to the prober, the peers and Raft's soft state. */
  listen(): void {
    const { prober, channel, runtime } = this.deps;
    prober.onChange((changed) => this.share(changed));
    channel.onEnvelope('obs', (from, body) => this.receive(from, body));
    runtime.onSoftState((s) => this.leaderKnown(s.leader, s.term));
  }

  /** The periodic digest of this node's whole view. */
  startDigests(): Cancel {
    return this.deps.clock.every(DIGEST_MS, () => this.share(this.deps.prober.observations()));
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * On the leader, in each loop: its own view goes into the table like everyone else's, of the
   * shards the loop looks at (null: all). Returns the shards where it changed in meaning.
   */
  recordOwn(now: number, shards: ReadonlySet<string> | null): Set<string> {
    const own = shards === null ? this.deps.prober.observations() : this.ownViewsOf(shards);
    return this.table.record(this.deps.selfId, own, now);
  }

  /** The best fresh report of a Redis node, this node's own first, else its own latest view. */
  observationsOf(shard: string, node: string): RedisObservation | null {
    const settings = this.deps.topology().shards[shard]?.settings;
    const maxAge = observationMaxAgeMs(settings ?? UNKNOWN_SHARD_SETTINGS);
    return (
      this.table.best(shard, node, this.deps.clock.now(), maxAge, this.deps.selfId) ??
      this.ownView(shard, node)
    );
  }

  /**
   * What each raftinel node last reported of a Redis node, when younger than 2 × downAfterMs
   * (the detector's freshness rule). Complete on the leader only: followers send their reports
   * to the leader, so elsewhere the table holds at most what this node heard while it led.
   */
  sightings(shard: string, node: string): { observer: NodeId; sdown: boolean; unsure: boolean }[] {
    const settings = this.deps.topology().shards[shard]?.settings;
    const maxAge = observationMaxAgeMs(settings ?? UNKNOWN_SHARD_SETTINGS);
    return this.table
      .fresh(shard, node, this.deps.clock.now(), maxAge)
      .map((s) => ({ observer: s.observer, sdown: s.obs.sdown, unsure: s.obs.unsure }));
  }

  /** This node's own latest view of a Redis node (health routes answer from it). */
  ownView(shard: string, node: string): RedisObservation | null {
    const prober = this.deps.prober;
    if (prober.observation) return prober.observation(shard, node);
    return prober.observations().find((o) => o.shard === shard && o.node === node) ?? null;
  }

  private ownViewsOf(shards: ReadonlySet<string>): RedisObservation[] {
    const all = this.deps.topology().shards;
    const out: RedisObservation[] = [];
    for (const name of shards) {
      const shard = Object.hasOwn(all, name) ? all[name] : undefined;
      for (const node of shard?.nodes ?? []) {
        const view = this.ownView(name, node.id);
        if (view) out.push(view);
      }
    }
    return out;
  }

  private share(observations: RedisObservation[]): void {
    if (this.stopped || observations.length === 0) return;
    const s = this.deps.runtime.core;
    if (s.role === 'leader') {
      this.deps.recorded(this.table.record(this.deps.selfId, observations, this.deps.clock.now()));
    } else if (s.leader !== null) {
      for (let i = 0; i < observations.length; i += OBSERVATIONS_PER_PIECE)
        this.deps.channel.sendEnvelope(s.leader, 'obs', {
          observations: observations.slice(i, i + OBSERVATIONS_PER_PIECE),
          term: s.term,
        });
    }
  }

  /**
   * A new leader has nothing from this node until its next change or digest, and the changes
   * sent meanwhile went to the old leader (or nowhere): after the loss of the leader, the
   * quorum of reports a failover needs would wait up to a digest interval. So a follower sends
   * everything it sees as soon as it learns of a new leader (or of a new term of the same one,
   * which may have restarted with an empty table).
   */
  private leaderKnown(leader: NodeId | null, term: number): void {
    if (leader === null) return;
    const key = `${term}/${leader}`;
    if (leader === this.deps.selfId) {
      this.startLeading(key);
      return;
    }
    if (key === this.digestedLeader) return;
    this.digestedLeader = key;
    // Not from inside the Raft runtime's step: on the clock, at once.
    this.deps.clock.defer(() => this.share(this.deps.prober.observations()));
  }

  /**
   * A report is taken as current for 2 x downAfterMs because its observer tells the leader of
   * every change; that holds only for the term it was sent in. Reports this node got while it
   * led an earlier term are stale as soon as it lost that term: their observers told the
   * changes since to another leader, or to none. So a new term of leadership starts from this
   * node's own view alone, and the followers' digests (sent on learning of the new leader)
   * refill the table within a round trip. A node that kept the reports of its earlier term once
   * promoted a replica on a history 4.5 s out of date (sim seed 7009644).
   */
  private startLeading(key: string): void {
    if (key === this.ledTerm) return;
    this.ledTerm = key;
    this.table.keepOnly(this.deps.selfId);
  }

  private receive(from: NodeId, body: unknown): void {
    // Only members of the committed configuration vouch for a Redis node (the transport drops
    // strangers already; a node removed since keeps no say either).
    const conf = this.deps.runtime.status().conf;
    if (!conf.voters.includes(from) && !conf.learners.includes(from)) return;
    const { observations: list, term } = (body ?? {}) as { observations?: unknown; term?: unknown };
    if (!Array.isArray(list) || list.length > MAX_OBSERVATIONS_PER_MESSAGE) return;
    // Sent to this node as the leader of another term (delayed in the network, or sent before
    // this node lost and won again): its observer has told the changes since elsewhere. A node
    // of an older version names no term.
    if (typeof term === 'number' && term !== this.deps.runtime.core.term) return;
    // A node of an older version sends no replId2 and no restartedFrom: none known.
    const valid = list
      .filter(isObservation)
      .map((o) => ({ ...o, replId2: o.replId2 ?? null, restartedFrom: runSeenOf(o.restartedFrom) }));
    this.deps.recorded(this.table.record(from, valid, this.deps.clock.now()));
  }
}

function isObservation(x: unknown): x is RedisObservation {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    typeof o.shard === 'string' &&
    typeof o.node === 'string' &&
    typeof o.sdown === 'boolean' &&
    typeof o.reachable === 'boolean' &&
    typeof o.unsure === 'boolean'
  );
}

/** A peer's restartedFrom, checked field by field (absent or malformed: none known). */
function runSeenOf(x: unknown): RunSeen | null {
  if (typeof x !== 'object' || x === null) return null;
  const r = x as Record<string, unknown>;
  return typeof r.runId === 'string' && typeof r.offset === 'number' && Number.isFinite(r.offset)
    ? { runId: r.runId, offset: r.offset }
    : null;
}
