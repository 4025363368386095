// Which raftinel nodes see each Redis node down, for the status page and /v1/shards. Only the
// leader hears every node's reports (docs/design.md 4.2), so it shares a digest of them every
// second: the observers that reported at all, and, per Redis node, those that see it
// SDOWN or are unsure. Nodes seen up by everyone take no room, so the digest stays small at
// 1000 shards. A follower answers from the digest of its current leader while it is recent.
import type { NodeId } from '../raft/types.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Topology } from '../failover/topology.js';
import { systemClock } from '../runtime/system-clock.js';

export const OBSERVER_DIGEST_MS = 1000;
/** A follower trusts a digest for this long (then the leader is gone or silent: unknown). */
const DIGEST_TRUST_MS = 4 * OBSERVER_DIGEST_MS;

export interface Sighting {
  readonly observer: NodeId;
  readonly sdown: boolean;
  readonly unsure: boolean;
}

/** The leader's summary: observers that reported, and the non-up reports by `shard/node`. */
export interface ObserverDigestBody {
  readonly reporting: readonly NodeId[];
  readonly sdown: Readonly<Record<string, readonly NodeId[]>>;
  readonly unsure: Readonly<Record<string, readonly NodeId[]>>;
}

/** What the JSON routes show of one shard: observers that reported, and who sees whom down. */
export interface ShardObservers {
  /** raftinel nodes with a fresh report on this shard's nodes (per the leader's digest). */
  readonly observedBy: readonly NodeId[];
  /** Redis node id -> raftinel nodes that see it SDOWN (nodes seen up by all are absent). */
  readonly sdownBy: Readonly<Record<string, readonly NodeId[]>>;
  /** Redis node id -> raftinel nodes whose loop stalled and cannot vouch for it (TILT). */
  readonly unsureBy: Readonly<Record<string, readonly NodeId[]>>;
}

export interface ObserverDigestDeps {
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  readonly sightings: (shard: string, node: string) => readonly Sighting[];
  readonly sendEnvelope: (to: NodeId, kind: string, body: unknown) => boolean;
  readonly onEnvelope: (kind: string, handler: (from: NodeId, body: unknown) => void) => void;
  readonly now: () => number;
}

export class ObserverDigest {
  private received: { from: NodeId; at: number; body: ObserverDigestBody } | null = null;
  /** The leader's own digest, reused for a moment: /v1/shards asks once per shard. */
  private built: { at: number; body: ObserverDigestBody } | null = null;
  private readonly stopTimer: () => void;

  constructor(private readonly deps: ObserverDigestDeps) {
    deps.onEnvelope('observers', (from, body) => {
      const parsed = parseDigest(body);
      if (parsed && from === deps.runtime.status().leader)
        this.received = { from, at: deps.now(), body: parsed };
    });
    this.stopTimer = systemClock.every(OBSERVER_DIGEST_MS, () => this.share(), { unref: true });
  }

  /** The shard's observers as the leader sees them, or null when no recent digest is at hand. */
  of(shard: string): ShardObservers | null {
    const digest = this.current();
    if (!digest) return null;
    const nodes = this.deps.topology().shards[shard]?.nodes ?? [];
    const sdownBy: Record<string, readonly NodeId[]> = {};
    const unsureBy: Record<string, readonly NodeId[]> = {};
    for (const n of nodes) {
      const down = digest.sdown[`${shard}/${n.id}`];
      const unsure = digest.unsure[`${shard}/${n.id}`];
      if (down) sdownBy[n.id] = down;
      if (unsure) unsureBy[n.id] = unsure;
    }
    return { observedBy: digest.reporting, sdownBy, unsureBy };
  }

  close(): void {
    this.stopTimer();
  }

  private current(): ObserverDigestBody | null {
    const s = this.deps.runtime.status();
    if (s.role === 'leader') {
      const now = this.deps.now();
      if (!this.built || now - this.built.at > 100) this.built = { at: now, body: this.build() };
      return this.built.body;
    }
    const r = this.received;
    if (!r || r.from !== s.leader || this.deps.now() - r.at > DIGEST_TRUST_MS) return null;
    return r.body;
  }

  private build(): ObserverDigestBody {
    const reporting = new Set<NodeId>();
    const sdown: Record<string, NodeId[]> = {};
    const unsure: Record<string, NodeId[]> = {};
    for (const shard of Object.values(this.deps.topology().shards)) {
      for (const node of shard.nodes) {
        const key = `${shard.name}/${node.id}`;
        for (const s of this.deps.sightings(shard.name, node.id)) {
          reporting.add(s.observer);
          if (s.unsure) (unsure[key] ??= []).push(s.observer);
          else if (s.sdown) (sdown[key] ??= []).push(s.observer);
        }
      }
    }
    for (const list of [...Object.values(sdown), ...Object.values(unsure)]) list.sort();
    return { reporting: [...reporting].sort(), sdown, unsure };
  }

  private share(): void {
    const s = this.deps.runtime.status();
    if (s.role !== 'leader') return;
    const body = this.build();
    for (const id of [...s.conf.voters, ...s.conf.learners])
      if (id !== s.id) this.deps.sendEnvelope(id, 'observers', body);
  }
}

function parseDigest(body: unknown): ObserverDigestBody | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const ids = (x: unknown): x is NodeId[] => Array.isArray(x) && x.every((i) => typeof i === 'string');
  const table = (x: unknown): x is Record<string, NodeId[]> =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every(ids);
  if (!ids(b.reporting) || !table(b.sdown) || !table(b.unsure)) return null;
  return { reporting: b.reporting, sdown: b.sdown, unsure: b.unsure };
}
