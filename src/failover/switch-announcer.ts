// When `+switch-master` goes out (docs/design.md 4.4, 5.1). Discovery names the new master the moment
// Promoted applies (GET-MASTER-ADDR-BY-NAME, HTTP, SSE, +promoted-slave); the event follows
// SWITCH_MASTER_DELAY_MS after Promoted's committed time, as Redis Sentinel's leader names the
// promoted replica from +promoted-slave on and sends +switch-master only after +failover-end.
// Counting from the committed time (the leader's wall clock), not from each node's apply, makes
// the nodes announce together, so a subscribed client that hears all of them reconnects once;
// a node that applies Promoted after that moment (a replay at start, a follower that lagged)
// announces at once, as a Sentinel announces a configuration it learns late. A node whose clock
// runs ahead of the leader's by the whole delay announces at once too: clocks must be synced.
//
// Why not at once: the event tells subscribed clients to drop their connection and ask again.
// A client whose master died is already asking again, in a loop, and ioredis' FailoverDetector
// (5.9.2) ends such a client for good when the event lands while its SentinelConnector.connect
// is in flight (asking a sentinel, or sleeping between rounds of sentinels): connect() rejects
// "Connection is closed." and Redis.connect sets status "end". Once the client has connected to
// the new master, the event costs it one reconnect and nothing else. Measured with 20 ioredis
// clients (retries every 50 ms) through a SIGKILL of the master, clients ended per run: event at
// Promoted 0, 13, 14, 15, 15; at FailoverEnded (16 to 49 ms after Promoted here) 0, 7, 8; Redis
// Sentinel 7.0 (its followers publish 50 to 100 ms after its leader names the new master) 0, 0,
// 1, 13; with this delay 0 in each of 10 runs. A client still on an old master that raftinel cannot reach is
// the one the event is for: it moves this much later.
import type { Cancel, Clock } from '../runtime/ports.js';
import type { RedisNodeSpec } from './types.js';

/**
 * Time between naming the new master and announcing the switch: longer than a client needs to
 * ask again and reconnect (80 to 220 ms measured here with retries every 50 ms and with ioredis'
 * defaults; the default retry delay grows by 50 ms a try, to 1 s after about 10 s of outage),
 * and about the gap Redis Sentinel's leader leaves (1.1 s measured here, down-after 1000 ms).
 */
export const SWITCH_MASTER_DELAY_MS = 1000;

export interface SwitchMaster {
  readonly shard: string;
  readonly epoch: number;
  readonly from: RedisNodeSpec | null;
  readonly to: RedisNodeSpec;
  /** Wall-clock ms of Promoted (the proposing leader's, committed). */
  readonly at: number;
}

export interface SwitchAnnouncerDeps {
  /** Monotonic timers for the wait. */
  readonly clock: Clock;
  /** Wall-clock ms, to compare with the committed `at`. */
  readonly wallNow: () => number;
  readonly delayMs: number;
  /**
   * Whether the shard still has this master (a later switch or a removal wins). Not its epoch: a
   * later attempt that aborts, or keeps this master, moves the epoch and leaves the switch to tell.
   */
  readonly current: (shard: string, master: string) => boolean;
  readonly announce: (switched: SwitchMaster) => void;
}

export class SwitchAnnouncer {
  /** Per shard, the switch waiting to be announced. */
  private readonly waiting = new Map<string, Cancel>();

  constructor(private readonly deps: SwitchAnnouncerDeps) {}

  /** Promoted applied: announce `delayMs` after its committed time, unless replaced by then. */
  promoted(switched: SwitchMaster): void {
    this.waiting.get(switched.shard)?.();
    this.waiting.delete(switched.shard);
    const remaining = switched.at + this.deps.delayMs - this.deps.wallNow();
    if (remaining <= 0) {
      this.deps.announce(switched);
      return;
    }
    // Never longer than the delay itself, whatever the clocks say.
    const cancel = this.deps.clock.after(Math.min(remaining, this.deps.delayMs), () => {
      this.waiting.delete(switched.shard);
      if (this.deps.current(switched.shard, switched.to.id)) this.deps.announce(switched);
    });
    this.waiting.set(switched.shard, cancel);
  }

  stop(): void {
    for (const cancel of this.waiting.values()) cancel();
    this.waiting.clear();
  }
}
