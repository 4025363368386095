// How recently each member was heard from, as /v1/cluster shows it. Followers do not talk to
// each other, so the leader shares its own view (it hears from everyone) every second,
// and a follower answers from that digest, aged by the time since it arrived.
import type { NodeId } from '../raft/types.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { TcpTransport } from '../transport/index.js';
import { systemClock } from '../runtime/system-clock.js';

export const HEALTH_DIGEST_MS = 1000;

/**
 * Up: heard from within an election timeout. A follower knows the other followers only from the
 * leader's digest, read up to HEALTH_DIGEST_MS after it was sent, so that much more is allowed:
 * without it a follower whose reads fell late in the digest period never saw the other one up
 * (its +sentinel was never logged). One rule for /v1/cluster and SENTINEL SENTINELS.
 */
export function heardRecently(lastContactMs: number | null, electionMs: number): boolean {
  return lastContactMs !== null && lastContactMs <= electionMs + HEALTH_DIGEST_MS;
}

export class MemberHealth {
  private digest: { from: NodeId; at: number; ages: Record<NodeId, number | null> } | null = null;
  private readonly stopTimer: () => void;

  constructor(
    private readonly runtime: RaftRuntime,
    private readonly transport: TcpTransport,
  ) {
    transport.onEnvelope('health', (from, body) => {
      const ages = (body as { ages?: unknown } | null)?.ages;
      if (from === this.runtime.status().leader && typeof ages === 'object' && ages !== null) {
        this.digest = { from, at: performance.now(), ages: ages as Record<NodeId, number | null> };
      }
    });
    this.stopTimer = systemClock.every(HEALTH_DIGEST_MS, () => this.share(), { unref: true });
  }

  /** Milliseconds since `id` was last heard from (by this node, or by the leader), or null. */
  lastContactMs(id: NodeId): number | null {
    const s = this.runtime.status();
    if (id === s.id) return 0;
    const now = performance.now();
    if (s.role === 'leader' || id === s.leader) {
      const seen = this.transport.peers().get(id)?.lastContactMs;
      return seen == null ? null : Math.round(now - seen);
    }
    const d = this.digest;
    if (!d || d.from !== s.leader) return null;
    const age = d.ages[id];
    return typeof age === 'number' ? Math.round(age + (now - d.at)) : null;
  }

  close(): void {
    this.stopTimer();
  }

  private share(): void {
    const s = this.runtime.status();
    if (s.role !== 'leader') return;
    const now = performance.now();
    const ages: Record<NodeId, number | null> = {};
    for (const [id, info] of this.transport.peers())
      ages[id] = info.lastContactMs == null ? null : Math.round(now - info.lastContactMs);
    for (const id of [...s.conf.voters, ...s.conf.learners])
      if (id !== s.id) this.transport.sendEnvelope(id, 'health', { ages });
  }
}
