// Sidecar duties (docs/design.md 4.6), for a node started next to one Redis (`sidecar.redis`).
// It enforces the committed log on its own Redis, which it may reach when the leader cannot:
// - fence: with no contact with a Raft majority for fenceAfterMs while the local Redis is (or
//   was last seen) a master, make it refuse every write (min-replicas-to-write
//   FENCE_MIN_REPLICAS, written to its config file). The fence does not lapse: it outlives the
//   sidecar, and a restart of Redis that reads its config file; the fence state is also kept in
//   the data dir, so a restarted sidecar knows to lift it properly;
// - lift the fence only after a ReadIndex round shows this node's applied state current and no
//   failover of the shard in flight; demote the local Redis first when the master moved;
// - demote a local master that the log does not name (after a ReadIndex round), a restarted one
//   included;
// - answer Patroni-style /primary and /replica?lag=N about the local Redis.
import type { RedisExecutor, RedisTarget } from '../failover/ports.js';
import {
  FENCE_MIN_REPLICAS,
  managedWriteSafety,
  maxLagSeconds,
  type RedisOp,
  type WriteSafetyOp,
} from '../failover/engine-types.js';
import { nodeOf, type Topology } from '../failover/topology.js';
import {
  replicationAddressOf,
  type RedisNodeSpec,
  type RedisObservation,
  type ShardState,
} from '../failover/types.js';
import type { Clock, Cancel } from '../runtime/ports.js';
import type { Logger } from '../util/log.js';

export interface SidecarDeps {
  readonly redisId: string;
  readonly fenceAfterMs: number;
  readonly clock: Clock;
  readonly topology: () => Topology;
  /** This node's own latest view of a Redis node. */
  readonly ownView: (shard: string, node: string) => RedisObservation | null;
  /** Subscribes to this node's observations as they change (every Redis node); returns the unsubscribe. */
  readonly onObservation: (listener: (changed: readonly RedisObservation[]) => void) => () => void;
  readonly msSinceMajorityContact: () => number;
  /** A leader heard from lately (the freshness /health/primary asks of a node's applied view). */
  readonly hasFreshLeader: () => boolean;
  readonly admin: RedisExecutor;
  readonly target: (shard: string, node: string) => RedisTarget | null;
  readonly logger: Logger;
  /**
   * A ReadIndex round: `done(true)` once this node has applied everything the leader had
   * committed when it answered, so the topology read next is current; `done(false)` without one.
   */
  readonly confirmApplied: (done: (ok: boolean) => void) => void;
  /** Where the fence state outlives this process (a crash of the sidecar). */
  readonly fenceStore: FenceStore;
}

/** The sidecar's fence state on disk. */
export interface FenceStore {
  /** Whether an earlier run of this node left its local Redis fenced. */
  load(): boolean;
  save(fenced: boolean): void;
}

export interface LocalHealth {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * The log names the shard's master for good: no failover in flight, or one whose Promoted is
 * committed (it is repointing the others; the master is its target). Between FailoverStarted and
 * Promoted the candidate turns master before the log says so: nothing is judged then.
 */
function settled(shard: ShardState): boolean {
  return shard.failover === null || shard.failover.step === 'promoted';
}

export class Sidecar {
  /** The fence is wanted (recorded in the fence store) until a ReadIndex round lets it go. */
  private fenced: boolean;
  /** The fence command was accepted since it was wanted (for +fence, once). */
  private fenceApplied = false;
  /** The run id the fence was last written to the config file of. */
  private fencePersistedRun: string | null = null;
  private busy = false;
  /**
   * The local Redis's role as last reported. A probe that times out (a loaded Redis) reports no
   * role; that is no news, so it does not reset this, and a loaded master is still fenced.
   */
  private knownRole: 'master' | 'slave' | null = null;
  /** The run id of the local Redis as last seen: a new one means it restarted. */
  private lastRunId: string | null = null;
  /** The local Redis restarted and has not been seen a replica since (for the log line). */
  private restarted = false;
  /** A demotion was accepted: master reports of this run from before it are stale. */
  private demotedRun: string | null = null;
  private readonly cancel: Cancel;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: SidecarDeps) {
    this.fenced = deps.fenceStore.load();
    // The fence engages at most one period after fenceAfterMs: a tenth keeps that bound tight
    // (a check is a clock read unless it has a command to send).
    const every = Math.max(20, Math.floor(deps.fenceAfterMs / 10));
    this.cancel = deps.clock.every(every, () => this.check());
    // Run ids and roles as they arrive, not only at checks: a Redis that restarts before the
    // first check after this node started would otherwise be taken for the first one seen.
    this.unsubscribe = deps.onObservation((changed) => {
      for (const o of changed) if (o.node === deps.redisId) this.note(o);
    });
  }

  close(): void {
    this.cancel();
    this.unsubscribe();
  }

  private note(view: RedisObservation): void {
    if (view.runId !== null) {
      if (this.lastRunId !== null && view.runId !== this.lastRunId) {
        this.restarted = true;
        this.demotedRun = null;
      }
      this.lastRunId = view.runId;
    }
    if (view.role === 'slave') {
      this.knownRole = 'slave';
      this.demotedRun = null;
      this.restarted = false;
    } else if (view.role === 'master' && this.demotedRun !== view.runId) {
      this.knownRole = 'master';
    }
  }

  /** The shard holding the local Redis. */
  private locate(): ShardState | null {
    for (const s of Object.values(this.deps.topology().shards)) {
      if (s.nodes.some((n) => n.id === this.deps.redisId)) return s;
    }
    return null;
  }

  private isolated(): boolean {
    return this.deps.msSinceMajorityContact() >= this.deps.fenceAfterMs;
  }

  private check(): void {
    if (this.busy) return;
    const shard = this.locate();
    if (!shard) return;
    const target = this.deps.target(shard.name, this.deps.redisId);
    if (!target) return;
    const view = this.deps.ownView(shard.name, this.deps.redisId);
    if (view) this.note(view);
    if (this.isolated()) {
      // A replica cannot take writes; anything else (a master, a role not known yet) is fenced.
      if (this.fenced || this.knownRole !== 'slave') this.fence(shard, target);
      return;
    }
    if (this.fenced) {
      this.confirmed(() => this.lift());
      return;
    }
    if (this.stray(shard)) this.confirmed(() => this.demoteStray());
  }

  /** Refuses every write on the local Redis; renewed at each check while cut off. */
  private fence(shard: ShardState, target: RedisTarget): void {
    if (!this.fenced) {
      // Recorded before the command: a crash right after it must not forget the fence.
      this.deps.fenceStore.save(true);
      this.fenced = true;
      this.fenceApplied = false;
    }
    // The config file is rewritten once per run of Redis (a restarted one lost the fence in
    // memory); renewals only set it again, in case anything lifted it meanwhile.
    const persist = this.fencePersistedRun === null || this.fencePersistedRun !== this.lastRunId;
    const op: WriteSafetyOp = {
      kind: 'write-safety',
      minReplicas: FENCE_MIN_REPLICAS,
      maxLagS: maxLagSeconds(shard.settings),
      persist,
    };
    this.run(target, op, () => {
      if (persist) this.fencePersistedRun = this.lastRunId;
      if (this.fenceApplied) return;
      this.fenceApplied = true;
      this.deps.logger.warn(
        { event: '+fence', shard: shard.name, node: this.deps.redisId },
        'no Raft majority: the local Redis refuses writes',
      );
    });
  }

  /** Runs `then` after a ReadIndex round, on the state it shows; nothing without one. */
  private confirmed(then: () => void): void {
    this.busy = true;
    this.deps.confirmApplied((ok) => {
      this.busy = false;
      if (ok && !this.isolated()) then();
    });
  }

  /**
   * After a ReadIndex round: stay fenced while a failover of the shard is in flight (its
   * candidate may be promoted any moment); demote first when the log names another master.
   */
  private lift(): void {
    const shard = this.locate();
    const target = shard ? this.deps.target(shard.name, this.deps.redisId) : null;
    if (!shard || !target || !settled(shard) || shard.master === null) return;
    const unfence = (): void =>
      this.run(target, managedWriteSafety(shard.settings, true), () => {
        this.deps.fenceStore.save(false);
        this.fenced = false;
        this.fenceApplied = false;
        this.fencePersistedRun = null;
        this.deps.logger.info(
          { event: '-fence', shard: shard.name, node: this.deps.redisId, master: shard.master },
          'Raft majority back and the log confirmed: the local Redis takes writes again',
        );
      });
    const master = shard.master !== this.deps.redisId ? nodeOf(shard, shard.master) : null;
    if (!master || this.knownRole === 'slave') {
      unfence();
      return;
    }
    // The majority failed over while we were cut off: lifting the fence on a master would let
    // it acknowledge writes the new master never sees.
    this.demote(shard, master, target, 'fenced local Redis demoted before the fence is lifted', unfence);
  }

  /** The local Redis answers as a master and the log names another, with no failover in flight. */
  private stray(shard: ShardState): boolean {
    return (
      this.knownRole === 'master' &&
      settled(shard) &&
      shard.master !== null &&
      shard.master !== this.deps.redisId
    );
  }

  private demoteStray(): void {
    const shard = this.locate();
    if (!shard || !this.stray(shard)) return; // the log, now current, names it (or is changing)
    const target = this.deps.target(shard.name, this.deps.redisId);
    const master = nodeOf(shard, shard.master);
    if (!target || !master) return;
    const why = this.restarted
      ? 'restarted local Redis kept a replica'
      : 'local Redis is a master the log does not name: demoted';
    this.demote(shard, master, target, why, () => undefined);
  }

  private demote(
    shard: ShardState,
    master: RedisNodeSpec,
    target: RedisTarget,
    why: string,
    then: () => void,
  ): void {
    const at = replicationAddressOf(master);
    const op = { kind: 'replicaof', host: at.host, port: at.port, killClients: true } as const;
    this.run(target, op, () => {
      this.knownRole = 'slave';
      this.demotedRun = this.lastRunId;
      this.restarted = false;
      this.deps.logger.info(
        { event: '+convert-to-slave', shard: shard.name, node: this.deps.redisId, master: master.id },
        why,
      );
      then();
    });
  }

  private run(target: RedisTarget, op: RedisOp, onOk: () => void): void {
    this.busy = true;
    this.deps.admin.execute(target, op, (result) => {
      this.busy = false;
      if (result.ok) onOk();
      else
        this.deps.logger.warn(
          { event: 'sidecar-op-failed', op: op.kind, error: result.error },
          'sidecar Redis operation failed',
        );
    });
  }

  /**
   * GET /primary: 200 when the local Redis is the committed master and up here, on a view as
   * fresh as /health/primary's: a sidecar cut from every leader (restarted inside a partition,
   * say) cannot know that the master has not moved since.
   */
  primary(): LocalHealth {
    const where = this.locate();
    const view = where ? this.deps.ownView(where.name, this.deps.redisId) : null;
    const ok =
      this.deps.hasFreshLeader() &&
      !!where &&
      where.master === this.deps.redisId &&
      !!view?.reachable &&
      view.role === 'master' &&
      !this.fenced;
    return ok
      ? { status: 200, body: { role: 'primary', node: this.deps.redisId, shard: where?.name } }
      : {
          status: 503,
          body: {
            error: { code: 'not_primary', message: `${this.deps.redisId} is not the writable master` },
          },
        };
  }

  /** GET /replica?lag=N: 200 when the local Redis is a replica with its link up, within N bytes. */
  replica(maxLag: number): LocalHealth {
    const where = this.locate();
    const view = where ? this.deps.ownView(where.name, this.deps.redisId) : null;
    const masterView = where?.master ? this.deps.ownView(where.name, where.master) : null;
    const lag =
      masterView?.offset != null && view?.offset != null
        ? Math.max(0, masterView.offset - view.offset)
        : null;
    const ok =
      !!view?.reachable && view.role === 'slave' && view.linkUp === true && (lag ?? Infinity) <= maxLag;
    return ok
      ? { status: 200, body: { role: 'replica', node: this.deps.redisId, lagBytes: lag } }
      : {
          status: 503,
          body: {
            error: {
              code: 'not_replica',
              message: `${this.deps.redisId} is not a healthy replica within ${maxLag} bytes`,
            },
          },
        };
  }
}
