// Sidecar duties (docs/design.md 4.6), for a node started next to one Redis (`sidecar.redis`):
// - fence: with no contact with a Raft majority for fenceAfterMs while the local Redis is a
//   master, pause its writes (CLIENT PAUSE <ms> WRITE) and renew the pause until contact
//   returns, which bounds what a partitioned old master can acknowledge;
// - keep a restarted local Redis a replica of the committed master until the log says otherwise;
// - answer Patroni-style /primary and /replica?lag=N about the local Redis.
import type { RedisExecutor, RedisTarget } from '../failover/driver.js';
import { nodeOf, type Topology } from '../failover/topology.js';
import type { RedisObservation } from '../failover/types.js';
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
  readonly admin: RedisExecutor;
  readonly target: (shard: string, node: string) => RedisTarget | null;
  readonly logger: Logger;
}

export interface LocalHealth {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export class Sidecar {
  private fenced = false;
  private busy = false;
  /** The run id of the local Redis as last seen: a new one means it restarted. */
  private lastRunId: string | null = null;
  /**
   * The local Redis restarted and has not been seen a replica since. Kept until done, not judged
   * once: the first look may come before ROLE has answered on the new connection, and a REPLICAOF
   * may fail (-LOADING while a Redis with data loads it), so the check repeats until it holds.
   */
  private restartPending = false;
  private readonly cancel: Cancel;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: SidecarDeps) {
    // The fence engages at most one period after fenceAfterMs: a tenth keeps that bound tight
    // (a check is a clock read unless it has a command to send).
    const every = Math.max(20, Math.floor(deps.fenceAfterMs / 10));
    this.cancel = deps.clock.every(every, () => this.check());
    // Run ids as they arrive, not only at checks: a Redis that restarts before the first check
    // after this node started would otherwise be taken for the first one seen, not a restart.
    this.unsubscribe = deps.onObservation((changed) => {
      for (const o of changed) if (o.node === deps.redisId) this.noteRunId(o.runId);
    });
  }

  close(): void {
    this.cancel();
    this.unsubscribe();
  }

  private noteRunId(runId: string | null): void {
    if (runId === null) return;
    if (this.lastRunId !== null && runId !== this.lastRunId) this.restartPending = true;
    this.lastRunId = runId;
  }

  /** The shard holding the local Redis, and the local node's id. */
  private locate(): { shard: string; master: string | null } | null {
    for (const s of Object.values(this.deps.topology().shards)) {
      if (s.nodes.some((n) => n.id === this.deps.redisId)) return { shard: s.name, master: s.master };
    }
    return null;
  }

  private check(): void {
    if (this.busy) return;
    const where = this.locate();
    if (!where) return;
    const view = this.deps.ownView(where.shard, this.deps.redisId);
    const target = this.deps.target(where.shard, this.deps.redisId);
    if (!view || !target) return;
    const isolated = this.deps.msSinceMajorityContact() >= this.deps.fenceAfterMs;
    if (isolated && view.reachable && view.role === 'master') {
      // Renew well before the pause runs out: the pause lasts fenceAfterMs, ten check periods.
      this.run(target, { kind: 'pause', ms: this.deps.fenceAfterMs }, () => {
        if (!this.fenced)
          this.deps.logger.warn(
            { event: '+fence', shard: where.shard, node: this.deps.redisId },
            'no Raft majority: writes on the local Redis paused',
          );
        this.fenced = true;
      });
      return;
    }
    if (!isolated && this.fenced) {
      // The majority may have failed over while we were cut off: demote the local Redis first,
      // or lifting the pause would let it acknowledge writes the new master never sees.
      if (where.master !== this.deps.redisId && view.role === 'master') {
        const shard = this.deps.topology().shards[where.shard];
        const master = shard ? nodeOf(shard, where.master) : null;
        if (master) {
          this.run(
            target,
            { kind: 'replicaof', host: master.host, port: master.port, killClients: true },
            () =>
              this.deps.logger.info(
                {
                  event: '+convert-to-slave',
                  shard: where.shard,
                  node: this.deps.redisId,
                  master: master.id,
                },
                'fenced local Redis demoted before unpausing',
              ),
          );
          return;
        }
      }
      this.run(target, { kind: 'unpause' }, () => {
        this.fenced = false;
        this.deps.logger.info(
          { event: '-fence', shard: where.shard, node: this.deps.redisId },
          'Raft majority back: local writes unpaused',
        );
      });
      return;
    }
    this.keepRestartedAsReplica(where, view, target);
  }

  /** A local Redis that restarted as a master while another node is the committed master. */
  private keepRestartedAsReplica(
    where: { shard: string; master: string | null },
    view: RedisObservation,
    target: RedisTarget,
  ): void {
    this.noteRunId(view.runId);
    if (!this.restartPending) return;
    if (where.master === this.deps.redisId || view.role === 'slave') {
      // The log made it the master, or it already replicates (from the wrong master, the
      // leader's reconciliation repoints it; docs/design.md 4.5): nothing left for the sidecar.
      this.restartPending = false;
      return;
    }
    // Not known yet (ROLE unanswered, Redis unreachable), or the log is changing the topology
    // (no master, a failover in flight): wait for the next check rather than act on a guess.
    const shard = this.deps.topology().shards[where.shard];
    if (!view.reachable || view.role !== 'master' || !shard || shard.failover !== null) return;
    const master = nodeOf(shard, where.master);
    if (!master) return;
    this.run(target, { kind: 'replicaof', host: master.host, port: master.port, killClients: true }, () => {
      this.restartPending = false;
      this.deps.logger.info(
        { event: '+convert-to-slave', shard: where.shard, node: this.deps.redisId, master: master.id },
        'restarted local Redis kept a replica',
      );
    });
  }

  private run(target: RedisTarget, op: Parameters<RedisExecutor['execute']>[1], onOk: () => void): void {
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

  /** GET /primary: 200 when the local Redis is the committed master and up here. */
  primary(): LocalHealth {
    const where = this.locate();
    const view = where ? this.deps.ownView(where.shard, this.deps.redisId) : null;
    const ok =
      !!where &&
      where.master === this.deps.redisId &&
      !!view?.reachable &&
      view.role === 'master' &&
      !this.fenced;
    return ok
      ? { status: 200, body: { role: 'primary', node: this.deps.redisId, shard: where?.shard } }
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
    const view = where ? this.deps.ownView(where.shard, this.deps.redisId) : null;
    const masterView = where?.master ? this.deps.ownView(where.shard, where.master) : null;
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
