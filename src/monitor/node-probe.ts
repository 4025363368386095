// One Redis node as the prober sees it: its connection, the probes in flight, and the probe
// state the pure reducers of observe.ts maintain. ROLE every pingIntervalMs; INFO every
// infoIntervalMs, at once on every (re)connect and whenever ROLE shows the role, master or link
// changed. The Prober drives it from one timer (`tick`) and is told after every event
// (`onEvent`), so that it can re-evaluate the observation. The connection is the Redis
// connection port (redis-port.ts): our RESP client in the node, fake Redis nodes in the simulator.
import type { RedisObservation } from '../failover/types.js';
import type { Logger } from '../util/log.js';
import { classifyError } from './classify.js';
import { connectionKey, probeTimeoutMs, type ConnectionOptions, type ProbeTarget } from './connection.js';
import { roleIntervalMs } from './cadence.js';
import {
  initialState,
  onConnected,
  onDisconnected,
  onInfoError,
  onInfoReply,
  onProbeError,
  onRoleReply,
  roleMoved,
  syncedSinceInfo,
  type ProbeState,
} from './observe.js';
import type { RedisConnection, RedisConnector } from './redis-port.js';

export interface NodeProbeContext {
  readonly now: () => number;
  readonly log: Logger;
  readonly connector: RedisConnector;
  /** INFO as often as ROLE for this shard (a failover is running). */
  readonly fast: (shard: string) => boolean;
  readonly onEvent: (probe: NodeProbe, now: number) => void;
  /** How long of [from, to] this process's event loop stood still (observe.ts, stalledMs). */
  readonly stalledMs: (from: number, to: number) => number;
  /** Each ROLE answered (a reply or a Redis error), with its round trip in ms (for /metrics). */
  readonly onRoundTrip?: (ms: number) => void;
}

/** A ROLE unanswered this long is more than a round trip on any link we expect to serve. */
const SUSPECT_PENDING_MS = 20;

export class NodeProbe {
  state: ProbeState;
  /** The last observation computed (the Prober compares the next one with it). */
  last: RedisObservation | null = null;
  /** When `last` was computed. */
  evaluatedAt: number | null = null;
  readonly connKey: string;
  private conn: RedisConnection | null = null;
  /** Counts connections; a reply for an older connection is dropped. */
  private epoch = 0;
  private nextRoleAt: number;
  private nextInfoAt: number;
  private roleSentAt: number | null = null;
  private infoSentAt: number | null = null;
  /** TCP is up but the connection is not ready (CLIENT SETNAME or AUTH unanswered) since. */
  private handshakeSince: number | null = null;
  private infoAgain = false;
  /** When to replace a connection that reported itself dead (it will not reconnect by itself). */
  private replaceAt: number | null = null;
  /** Redis before 7.0 takes one INFO section: then a plain INFO. */
  private infoArgs = ['replication', 'server'];
  /** The last connection error (refused, timed out): shown when the node turns unreachable. */
  lastTransportError: string | null = null;

  constructor(
    readonly key: string,
    public target: ProbeTarget,
    private options: ConnectionOptions,
    private readonly ctx: NodeProbeContext,
  ) {
    const now = ctx.now();
    this.state = initialState(now);
    this.nextRoleAt = now;
    this.nextInfoAt = now;
    this.connKey = connectionKey(options);
    this.open();
  }

  private open(): void {
    try {
      this.conn = this.connect();
    } catch (err) {
      // Unreadable TLS files: the node stays unreachable, with the reason shown.
      const reason = `cannot connect: ${err instanceof Error ? err.message : String(err)}`;
      this.state = { ...this.state, error: reason };
      this.ctx.log.error({ ...this.where(), reason }, 'cannot open a connection to a Redis node');
      return;
    }
  }

  /** When this node became the committed master here: a ROLE reply older than that is stale. */
  masterSince: number | null = null;

  /** Same connection, new settings or master flag. */
  update(target: ProbeTarget, options: ConnectionOptions, now: number): void {
    const before = this.target.settings;
    if (target.isMaster && !this.target.isMaster) {
      this.masterSince = now;
      this.nextRoleAt = now; // learn its role afresh at once
    }
    this.target = target;
    this.options = options;
    if (before.pingIntervalMs !== target.settings.pingIntervalMs) {
      this.nextRoleAt = Math.min(this.nextRoleAt, now + target.settings.pingIntervalMs);
    }
    if (before.infoIntervalMs !== target.settings.infoIntervalMs) {
      this.nextInfoAt = Math.min(this.nextInfoAt, now + this.infoIntervalMs());
    }
    this.conn?.retune(options.connectTimeoutMs, options.retryDelayMs);
  }

  /** The INFO schedule changed (fast on or off); fast also brings ROLE back to pingIntervalMs. */
  rescheduleInfo(now: number): void {
    this.nextInfoAt = this.ctx.fast(this.target.shard) ? now : now + this.infoIntervalMs();
    this.nextRoleAt = Math.min(this.nextRoleAt, now + this.roleIntervalMs(now));
  }

  /** When the ROLE still unanswered was sent, or null (observe.ts counts silence from it). */
  get rolePendingSince(): number | null {
    return this.roleSentAt;
  }

  /** The ROLE interval now (cadence.ts): relaxed for a healthy node of a quiet shard. */
  roleIntervalMs(now: number): number {
    const last = this.last;
    const s = this.target.settings;
    return roleIntervalMs({
      settings: s,
      healthy: last !== null && last.reachable && !last.sdown && !last.unsure && last.error === null,
      fast: this.ctx.fast(this.target.shard),
      newMaster: this.masterSince !== null && now - this.masterSince < s.downAfterMs,
    });
  }

  /**
   * Not answering as a healthy node does: no connection ready, a ROLE unanswered for longer than
   * a round trip should take (SUSPECT_PENDING_MS), or a last observation that is not healthy. The prober re-judges these on every pulse.
   */
  suspect(now: number): boolean {
    const last = this.last;
    if (last === null || !last.reachable || last.sdown || last.unsure || last.error !== null) return true;
    if (this.conn === null || !this.conn.ready) return true;
    return this.roleSentAt !== null && now - this.roleSentAt >= SUSPECT_PENDING_MS;
  }

  close(): void {
    this.epoch++;
    const conn = this.conn;
    this.conn = null;
    conn?.close();
  }

  /** `dueBy`: probes due up to then are sent now (the pulse's horizon; prober.ts tick). */
  tick(now: number, dueBy: number = now): void {
    const timeout = probeTimeoutMs(this.target.settings);
    const since = Math.min(
      this.roleSentAt ?? Infinity,
      this.infoSentAt ?? Infinity,
      this.handshakeSince ?? Infinity,
    );
    // Waited in this process's running time: a timer that runs late after a stall of the loop
    // must not give up on replies that wait, unread, in the socket's buffer.
    const waitedMs = since === Infinity ? 0 : now - since - this.ctx.stalledMs(since, now);
    if (waitedMs > timeout && this.conn) {
      // A reply pending longer than the timeout means a hung node or a half-open connection; a
      // fresh connection recovers at once when either comes back. Never earlier: a slow link's
      // replies still arrive on this connection, and a new one costs two round trips more.
      // A new connection object: nothing of the old one (a late reply, a late event) can
      // reach this probe any more.
      this.ctx.log.debug({ ...this.where(), timeoutMs: timeout }, 'probe timed out; reconnecting');
      this.replace(now);
    } else if (this.replaceAt !== null && now >= this.replaceAt) {
      this.replace(now);
    }
    const send = (): void => {
      if (dueBy >= this.nextRoleAt) {
        this.sendRole(now);
        this.ctx.onEvent(this, now);
      }
      if (dueBy >= this.nextInfoAt) this.sendInfo(now);
    };
    // INFO mostly falls due with a ROLE (with the defaults, every other relaxed one): one write
    // for both.
    if (this.conn) this.conn.batch(send);
    else send();
  }

  /** Drops the client and opens a new one at once. */
  private replace(now: number): void {
    this.replaceAt = null;
    this.close();
    this.forget();
    this.state = onDisconnected(this.state);
    this.open();
    this.ctx.onEvent(this, now);
  }

  private where(): { shard: string; node: string } {
    return { shard: this.target.shard, node: this.target.node.id };
  }

  /** Drops what is in flight: late replies to it will be ignored. */
  private forget(): void {
    this.epoch++;
    this.roleSentAt = null;
    this.infoSentAt = null;
    this.handshakeSince = null;
  }

  /** Opens a connection whose events count only while it is this probe's current one. */
  private connect(): RedisConnection {
    let conn: RedisConnection | null = null;
    const current = (): boolean => conn !== null && this.conn === conn;
    conn = this.ctx.connector(this.options, {
      connected: () => {
        if (current()) this.handshakeSince = this.ctx.now();
      },
      ready: () => {
        if (!current()) return;
        const now = this.ctx.now();
        this.forget();
        this.state = onConnected(this.state);
        this.lastTransportError = null;
        // INFO first: its reply (the run id of a node that may have restarted) lands before ROLE's.
        (conn as RedisConnection).batch(() => {
          this.sendInfo(now);
          this.sendRole(now);
        });
        this.ctx.onEvent(this, now);
      },
      dead: () => {
        if (current()) this.replaceAt = this.ctx.now() + this.options.retryDelayMs;
      },
      closed: () => {
        if (!current()) return;
        this.forget();
        this.state = onDisconnected(this.state);
        this.ctx.onEvent(this, this.ctx.now());
      },
      error: (err) => {
        if (!current()) return;
        const c = classifyError(err);
        if (c.kind !== 'transport') {
          this.state = onProbeError(this.state, c, this.ctx.now());
          this.ctx.onEvent(this, this.ctx.now());
        } else if (c.reason !== this.lastTransportError) {
          this.lastTransportError = c.reason;
          this.ctx.log.debug({ ...this.where(), reason: c.reason }, 'connection error');
        }
      },
    });
    return conn;
  }

  private sendRole(now: number): void {
    this.nextRoleAt = now + this.roleIntervalMs(now);
    const conn = this.conn;
    if (!conn || !conn.ready || this.roleSentAt !== null) return;
    this.roleSentAt = now;
    const epoch = this.epoch;
    conn.call(['ROLE'], (err, reply) => {
      if (this.epoch !== epoch || this.conn !== conn) return;
      const at = this.ctx.now();
      this.roleSentAt = null;
      const failure = err === null ? null : classifyError(err);
      if (failure === null || failure.kind === 'alive') this.ctx.onRoundTrip?.(at - now);
      if (failure !== null) {
        this.state = onProbeError(this.state, failure, at, now);
        // An error is suspect: the next ROLE at the configured interval, not the relaxed one.
        this.nextRoleAt = Math.min(this.nextRoleAt, at + this.target.settings.pingIntervalMs);
      } else {
        const before = this.state.role;
        this.state = onRoleReply(this.state, reply, at, now);
        // A connection's INFO that got -LOADING named no run and no history: ask again as soon
        // as the node answers, not an infoIntervalMs later (the leader may choose a candidate
        // from this observation meanwhile).
        const noInfo = this.state.info === null && this.state.infoError === null;
        if (roleMoved(before, this.state.role) || noInfo || syncedSinceInfo(this.state)) this.infoNow(at);
      }
      this.ctx.onEvent(this, at);
    });
  }

  private infoNow(now: number): void {
    if (this.infoSentAt !== null) this.infoAgain = true;
    else this.sendInfo(now);
  }

  private sendInfo(now: number): void {
    this.nextInfoAt = now + this.infoIntervalMs();
    const conn = this.conn;
    if (!conn || !conn.ready || this.infoSentAt !== null) return;
    this.infoSentAt = now;
    this.infoAgain = false;
    const epoch = this.epoch;
    const args = this.infoArgs;
    conn.call(['INFO', ...args], (err, reply) => {
      if (this.epoch !== epoch || this.conn !== conn) return;
      const at = this.ctx.now();
      this.infoSentAt = null;
      if (err === null) {
        this.state = onInfoReply(this.state, reply, at);
        if (this.infoAgain) this.sendInfo(at);
        this.ctx.onEvent(this, at);
        return;
      }
      const c = classifyError(err);
      if (c.kind === 'fault' && args.length > 0 && /syntax error|wrong number of arguments/i.test(c.reason)) {
        this.infoArgs = [];
        this.nextInfoAt = at;
        return;
      }
      this.state = onInfoError(this.state, c);
      this.ctx.onEvent(this, at);
    });
  }

  private infoIntervalMs(): number {
    const s = this.target.settings;
    return this.ctx.fast(this.target.shard) ? Math.min(s.infoIntervalMs, s.pingIntervalMs) : s.infoIntervalMs;
  }
}
