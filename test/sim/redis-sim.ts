// Fake Redis nodes for the whole-cluster simulation: roles, replication ids, offsets, a write
// log, crashes (with or without data), empty restarts and stalls. Replication follows Redis'
// rules closely enough for failover decisions: PSYNC continues when the replica's history is
// the new master's current or previous one, otherwise a full resync replaces the replica's data.
import type { RedisObservation } from '../../src/failover/types.js';
import type { Prng } from './prng.js';

export class FakeRedis {
  alive = true;
  stalledUntil = 0;
  role: 'master' | 'slave';
  masterId: string | null;
  replId: string;
  replId2 = '';
  /** Every acknowledged write on this node, in replication order: offset = writes.length. */
  writes: number[] = [];
  runId: string;
  linkUp = false;
  linkDownSince = 0;
  pausedUntil = 0;
  /** Full resyncs this node went through (data it had was replaced). */
  fullSyncs = 0;

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    private readonly rng: Prng,
    masterId: string | null,
  ) {
    this.role = masterId === null ? 'master' : 'slave';
    this.masterId = masterId;
    this.replId = newId(rng);
    this.runId = newId(rng);
  }

  get offset(): number {
    return this.writes.length;
  }

  answers(now: number): boolean {
    return this.alive && now >= this.stalledUntil;
  }

  /** REPLICAOF NO ONE: a new history begins; the old one stays reachable for PSYNC as replId2. */
  promote(): void {
    if (this.role === 'master') return;
    this.role = 'master';
    this.masterId = null;
    this.replId2 = this.replId;
    this.replId = newId(this.rng);
    this.linkUp = false;
  }

  replicaOf(masterId: string, now: number): void {
    if (this.role === 'slave' && this.masterId === masterId) return;
    this.role = 'slave';
    this.masterId = masterId;
    this.linkUp = false;
    this.linkDownSince = now;
  }

  crash(): void {
    this.alive = false;
    this.linkUp = false;
  }

  /** A restart: with its data (persistence) or empty (no persistence: offset 0, new history). */
  restart(now: number, empty: boolean): void {
    this.alive = true;
    this.stalledUntil = 0;
    this.pausedUntil = 0;
    this.runId = newId(this.rng);
    this.linkDownSince = now;
    if (empty) {
      this.writes = [];
      this.replId = newId(this.rng);
      this.replId2 = '';
    }
  }

  observe(now: number, isCommittedMaster: boolean, lastOkAgoMs: number, downAfterMs: number): RedisObservation {
    const ok = lastOkAgoMs <= downAfterMs;
    const master = this.masterId;
    return {
      shard: '',
      node: this.id,
      sdown: !ok || (isCommittedMaster && this.role === 'slave'),
      unsure: false,
      reachable: ok,
      role: this.role,
      masterHost: master ? `h-${master}` : null,
      masterPort: master ? 6379 : null,
      linkUp: this.role === 'slave' ? this.linkUp : null,
      linkDownMs: this.role === 'slave' && !this.linkUp ? now - this.linkDownSince : null,
      offset: this.offset,
      replId: this.replId,
      runId: this.runId,
      error: null,
      lastOkAgoMs,
    };
  }
}

/** The Redis group of one shard, stepped by the simulator. */
export class RedisGroup {
  readonly nodes = new Map<string, FakeRedis>();
  private nextWrite = 1;
  acknowledged: number[] = [];

  constructor(ids: readonly string[], rng: Prng) {
    const [first, ...rest] = ids;
    this.nodes.set(first, new FakeRedis(first, `h-${first}`, 6379, rng, null));
    for (const id of rest) {
      const r = new FakeRedis(id, `h-${id}`, 6379, rng, first);
      this.nodes.set(id, r);
    }
    this.replicate(0);
  }

  byHost(host: string): FakeRedis | undefined {
    return [...this.nodes.values()].find((n) => n.host === host);
  }

  /** A client write to a node: acknowledged only by an answering, unpaused master. */
  write(id: string, now: number): number | null {
    const n = this.nodes.get(id);
    if (!n || !n.answers(now) || n.role !== 'master' || now < n.pausedUntil) return null;
    const value = this.nextWrite++;
    n.writes.push(value);
    this.acknowledged.push(value);
    return value;
  }

  /** Replicas with a live link copy their master's writes; broken links resync. */
  replicate(now: number): void {
    for (const r of this.nodes.values()) {
      if (r.role !== 'slave' || !r.answers(now)) continue;
      const m = r.masterId ? this.nodes.get(r.masterId) : undefined;
      if (!m || !m.answers(now)) {
        if (r.linkUp) {
          r.linkUp = false;
          r.linkDownSince = now;
        }
        continue;
      }
      if (!r.linkUp) this.sync(r, m);
      else if (r.writes.length < m.writes.length) r.writes.push(...m.writes.slice(r.writes.length));
    }
  }

  private sync(r: FakeRedis, m: FakeRedis): void {
    const continues = (r.replId === m.replId || r.replId === m.replId2) && r.offset <= m.offset && isPrefix(r.writes, m.writes);
    if (!continues) {
      r.fullSyncs++;
    }
    r.writes = [...m.writes];
    r.replId = m.replId;
    r.linkUp = true;
  }
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function newId(rng: Prng): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(rng.float() * 16).toString(16);
  return s;
}
