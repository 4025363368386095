// Replication lag in seconds: how long ago the master first went past the offset a replica has
// processed (as PostgreSQL's replay_lag measures it), from samples of the master's offset taken
// by this node's own probes. Redis reports lag only in bytes (its INFO `lag=` is the age of
// the replica's last ACK, not how far behind its data is), so the time is read off the
// master's offset history. Pure: the caller passes the monotonic time.

/** Samples kept per shard: with one every 250 ms, a minute of history. */
const MAX_SAMPLES = 240;

interface Sample {
  readonly at: number;
  readonly offset: number;
}

export class LagClock {
  private readonly byShard = new Map<string, { master: string; samples: Sample[] }>();

  /** Records the master's offset when it moved; a new master starts a new history. */
  sample(shard: string, master: string, offset: number, now: number): void {
    let h = this.byShard.get(shard);
    if (!h || h.master !== master) this.byShard.set(shard, (h = { master, samples: [] }));
    const last = h.samples[h.samples.length - 1];
    if (last && offset <= last.offset) return;
    h.samples.push({ at: now, offset });
    if (h.samples.length > MAX_SAMPLES) h.samples.shift();
  }

  /**
   * Seconds since the master first went past `replicaOffset` (0 when the replica has all the
   * master's bytes); null when there is no history of this master. A replica behind every
   * sample kept gets the age of the oldest one: a lower bound.
   */
  lagSeconds(
    shard: string,
    master: string,
    replicaOffset: number,
    masterOffset: number,
    now: number,
  ): number | null {
    if (replicaOffset >= masterOffset) return 0;
    const h = this.byShard.get(shard);
    if (!h || h.master !== master || h.samples.length === 0) return null;
    const first = h.samples.find((s) => s.offset > replicaOffset) ?? h.samples[h.samples.length - 1];
    return Math.max(0, Math.round((now - first.at) / 100) / 10);
  }

  /** Drops shards that no longer exist. */
  retain(shards: ReadonlySet<string>): void {
    for (const name of this.byShard.keys()) if (!shards.has(name)) this.byShard.delete(name);
  }
}
