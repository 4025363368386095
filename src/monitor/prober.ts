// The prober (docs/design.md 4.1): what this raftinel node sees of every Redis node. One NodeProbe
// (one connection) per node; one timer drives them all and doubles as the TILT pulse (4.2).
// Observations are computed by the pure observe(); listeners hear about changes of meaning
// (not offsets), batched. Nothing here throws at the caller: a node that answers garbage is an
// observation with `error` set. Time and timers come from the Clock port and connections from the
// Redis connection port, so that the simulator runs this very code on virtual time and fake
// Redis nodes (docs/design.md 3).
import type { RedisObservation } from '../failover/types.js';
import type { Cancel, Clock } from '../runtime/ports.js';
import { systemClock } from '../runtime/system-clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { connectionKey, connectionOptionsFor, type ProbeTarget } from './connection.js';
import { NodeProbe } from './node-probe.js';
import { meaningfullyDifferent, observe, stalledMs } from './observe.js';
import type { RedisConnector } from './redis-port.js';
import { respConnector } from './resp-connection.js';
import { STALL_FLOOR_MS, StallTracker } from './stall.js';
import { ChangeSummary, type ChangeSummaryLine } from './change-summary.js';

export type { ProbeTarget } from './connection.js';

export interface ProberOptions {
  /** Local address for outgoing connections (node.sourceAddress). */
  readonly sourceAddress?: string | null;
  readonly logger?: Logger;
  /** Monotonic time and timers; the system clock unless the simulator injects its own. */
  readonly clock?: Clock;
  /** How connections are opened; our RESP client unless the simulator injects its fake Redis. */
  readonly connector?: RedisConnector;
  /** Each ROLE answered, with its round trip in ms (the metrics' histogram). */
  readonly onRoundTrip?: (ms: number) => void;
}

type ChangeListener = (changed: RedisObservation[]) => void;

const CLIENT_NAME = 'raftinel-probe';

export class Prober {
  private readonly probes = new Map<string, NodeProbe>();
  private readonly fastShards = new Set<string>();
  private readonly listeners: ChangeListener[] = [];
  private pending = new Map<string, RedisObservation>();
  private flushScheduled = false;
  private readonly clock: Clock;
  private readonly now: () => number;
  private readonly connector: RedisConnector;
  private readonly log: Logger;
  private readonly sourceAddress: string | null;
  private readonly onRoundTrip: ((ms: number) => void) | undefined;
  private readonly stalls: StallTracker;
  private readonly changeSummary = new ChangeSummary();
  private tickMs = 100;
  /** How long stalls are kept: twice the longest downAfterMs of the nodes probed. */
  private keepStallsMs = 0;
  private timer: Cancel | null = null;
  private closed = false;

  constructor(options: ProberOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.connector = options.connector ?? respConnector;
    this.log = (options.logger ?? silentLogger()).child({ component: 'prober' });
    this.sourceAddress = options.sourceAddress ?? null;
    this.onRoundTrip = options.onRoundTrip;
    this.stalls = new StallTracker(this.tickMs, this.now());
    this.retune();
  }

  /** Adds, updates and removes nodes; one whose address, credentials or TLS changed is reconnected. */
  setTargets(targets: readonly ProbeTarget[]): void {
    if (this.closed) return;
    const now = this.now();
    const wanted = new Map(targets.map((t) => [`${t.shard}\u0000${t.node.id}`, t]));
    for (const [key, probe] of this.probes) {
      const t = wanted.get(key);
      if (!t || (t !== probe.target && connectionKey(this.optionsFor(t)) !== probe.connKey))
        this.remove(probe);
    }
    const ctx = {
      now: this.now,
      log: this.log,
      connector: this.connector,
      fast: (shard: string) => this.fastShards.has(shard),
      onEvent: (probe: NodeProbe, at: number) => void this.evaluate(probe, at),
      stalledMs: (from: number, to: number) => stalledMs(this.stalls.recent(to), from, to, STALL_FLOOR_MS),
      onRoundTrip: this.onRoundTrip,
    };
    for (const [key, t] of wanted) {
      const probe = this.probes.get(key);
      // The same target object: nothing of it changed (the driver keeps unchanged shards' targets).
      if (probe?.target === t) continue;
      if (probe) {
        probe.update(t, this.optionsFor(t), now);
        this.evaluate(probe, now);
      } else {
        this.probes.set(key, new NodeProbe(key, t, this.optionsFor(t), ctx));
      }
    }
    this.retune();
  }

  /** Every node's observation as of now. */
  observations(): RedisObservation[] {
    const now = this.now();
    return [...this.probes.values()].map((p) => this.evaluate(p, now));
  }

  /**
   * Every node's observation as last judged, without judging it again: at most one probe
   * interval old (every probe sent and every reply judges its node, a suspect one every pulse).
   * For what samples the whole fleet often (the lag clock of the HTTP views), where judging
   * 2000 nodes twice a second cost more than the sample.
   */
  latest(): RedisObservation[] {
    const now = this.now();
    return [...this.probes.values()].map((p) => p.last ?? this.evaluate(p, now));
  }

  /** One node's observation as of now (the others are not evaluated: O(1) per call). */
  observation(shard: string, node: string): RedisObservation | null {
    const probe = this.probes.get(`${shard}\u0000${node}`);
    return probe ? this.evaluate(probe, this.now()) : null;
  }

  /** Calls `cb` with the observations whose meaning changed; returns the unsubscribe function. */
  onChange(cb: ChangeListener): () => void {
    this.listeners.push(cb);
    return () => {
      const i = this.listeners.indexOf(cb);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** INFO as often as ROLE for this shard (during a failover), or back to infoIntervalMs. */
  fastInfo(shard: string, on: boolean): void {
    if (on === this.fastShards.has(shard)) return;
    if (on) this.fastShards.add(shard);
    else this.fastShards.delete(shard);
    const now = this.now();
    for (const p of this.probes.values()) if (p.target.shard === shard) p.rescheduleInfo(now);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.();
    this.timer = null;
    for (const p of [...this.probes.values()]) this.remove(p);
    this.listeners.length = 0;
  }

  private optionsFor(t: ProbeTarget) {
    return connectionOptionsFor(t, this.sourceAddress, CLIENT_NAME);
  }

  private remove(probe: NodeProbe): void {
    this.probes.delete(probe.key);
    this.pending.delete(probe.key);
    probe.close();
  }

  // ---- the pulse ------------------------------------------------------------------------------

  /**
   * One timer for all nodes, at the shortest ping interval (100 ms by default: it then shares its
   * wake-up with the Raft tick and the failover loop, runtime/system-clock.ts). It runs from
   * the prober's creation, targets or not: the stall tracker measures from then, and a pulse
   * started later read the wait for the first targets as a stall of this process (every node
   * unsure, TILT, for as long after a node's first start).
   */
  private retune(): void {
    let minPing = Infinity;
    let maxDown = 0;
    for (const p of this.probes.values()) {
      minPing = Math.min(minPing, p.target.settings.pingIntervalMs);
      maxDown = Math.max(maxDown, p.target.settings.downAfterMs);
    }
    this.keepStallsMs = 2 * maxDown;
    // One pulse per ping interval, shared with the Raft tick and the failover loop at the
    // defaults (one wake-up every 100 ms); a probe falls due within half a pulse of it (tick).
    const tickMs = Number.isFinite(minPing) ? Math.max(5, Math.min(100, minPing)) : 100;
    if (this.closed || (this.timer !== null && tickMs === this.tickMs)) return;
    // A new period starts now: what the old one measured up to here is counted first (a stall in
    // progress must not be lost with it), and lateness is measured from here on.
    if (this.timer !== null) this.stalls.tick(this.now(), STALL_FLOOR_MS, this.keepStallsMs);
    this.tickMs = tickMs;
    this.stalls.setTickMs(tickMs);
    this.timer?.();
    this.timer = this.clock.every(tickMs, () => this.tick());
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.now();
    // Stalls first: every evaluation below must already know about one that just ended. Every
    // stall over the floor is kept: TILT (observe.ts, isUnsure) looks at those over downAfterMs / 2,
    // the silence of a node leaves them all out (stalledMs).
    this.stalls.tick(now, STALL_FLOOR_MS, this.keepStallsMs);
    // A probe due before the middle of the next period goes now: the pulse is as long as the
    // ping interval, and one that fell due a fraction of a millisecond after this pulse (timer
    // rounding) would otherwise wait a whole period.
    const dueBy = now + this.tickMs / 2;
    for (const p of this.probes.values()) {
      p.tick(now, dueBy);
      // A node that is not answering is judged on every pulse, not only when its next probe is
      // due: on the relaxed cadence that was up to half of downAfterMs late for a node that hung
      // with its connection open (its SDOWN seen that much after it was due).
      if (p.suspect(now) && p.evaluatedAt !== now) this.evaluate(p, now);
    }
    this.logSummary(this.changeSummary.due(now));
  }

  // ---- observations ---------------------------------------------------------------------------

  private evaluate(probe: NodeProbe, now: number): RedisObservation {
    const t = probe.target;
    const obs = observe({
      shard: t.shard,
      node: t.node.id,
      isMaster: t.isMaster,
      masterSince: probe.masterSince,
      downAfterMs: t.settings.downAfterMs,
      // The interval the node is probed at now (cadence.ts): a relaxed node is not "silent"
      // between two of its probes.
      pingIntervalMs: probe.roleIntervalMs(now),
      now,
      state: probe.state,
      stalls: this.stalls.recent(now),
      stallFloorMs: STALL_FLOOR_MS,
      pendingSince: probe.rolePendingSince,
    });
    if (meaningfullyDifferent(probe.last, obs) && this.probes.get(probe.key) === probe) {
      const { shard, node, sdown, unsure, reachable, role, linkUp, replId, replId2, runId, error } = obs;
      const connection = reachable ? undefined : (probe.lastTransportError ?? undefined);
      this.log.debug(
        { shard, node, sdown, unsure, reachable, role, linkUp, replId, replId2, runId, error, connection },
        'redis node observation changed',
      );
      this.logSummary(this.changeSummary.noted(obs, now));
      this.pending.set(probe.key, obs);
      this.scheduleFlush();
    }
    probe.last = obs;
    probe.evaluatedAt = now;
    return obs;
  }

  private logSummary(line: ChangeSummaryLine | null): void {
    if (line)
      this.log.info(
        { event: 'observations-changed', ...line },
        `${line.changes} redis node observations changed in ${line.overMs} ms (details at debug level)`,
      );
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.clock.defer(() => {
      this.flushScheduled = false;
      if (this.closed || this.pending.size === 0) return;
      const changed = [...this.pending.values()];
      this.pending = new Map();
      for (const cb of [...this.listeners]) {
        try {
          cb(changed);
        } catch (err) {
          this.log.error({ err }, 'observation listener threw');
        }
      }
    });
  }
}
