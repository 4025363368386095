// Fake Redis nodes for the whole-cluster simulation: roles, replication ids, offsets, a write
// log, crashes (with or without data), empty restarts, stalls and CLIENT PAUSE. Replication
// follows Redis' rules closely enough for failover decisions: PSYNC continues when the
// replica's history is the new master's current or previous one and its data is a prefix of
// the master's, otherwise a full resync replaces the replica's data. Replicas reconnect by
// themselves (Redis' replicationCron, about once a second), also to a master that restarted
// empty: that is how data is lost when nobody fails the empty master over in time. Each
// replica's cron has its own phase, so after a master's quick restart the replicas full-sync
// from it at scattered moments: before the observers' last INFO of them, between that INFO and
// the failover's decision, or between the decision and REPLICAOF NO ONE.
// The nodes answer ROLE, INFO and CLIENT SETNAME with the raw replies real Redis sends, over
// fake connections (fake-connection.ts), so the simulated raftinel nodes run the production
// prober of src/monitor.
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

/** A client connection to a node: the node's crash closes it. */
export interface ServerSideConnection {
  peerClosed(): void;
}

export class FakeRedis {
  alive = true;
  stalledUntil = 0;
  role: 'master' | 'slave';
  masterId: string | null;
  replId: string;
  replId2 = '';
  /** Every write this node holds, in replication order: offset = writes.length. */
  writes: number[] = [];
  /**
   * Every write this node acknowledged to a client since it last became a master, kept when a
   * full resync replaces its data: what a switchover away from it must not lose.
   */
  acked: number[] = [];
  runId: string;
  linkUp = false;
  linkDownSince = 0;
  /** A replica whose link is down tries to connect again at this time (replicationCron). */
  nextConnectAt = 0;
  /** Where this node's replicationCron ticks fall within its period, as a fraction of it. */
  readonly cronPhase: number;
  pausedUntil = 0;
  /**
   * min-replicas-to-write at the fence value (a switchover's or a sidecar's): every write is
   * refused, with no time limit; `fencePersisted` when CONFIG REWRITE saved it, so a restart keeps it.
   */
  fenced = false;
  fencePersisted = false;
  /** Full resyncs this node went through (data it had was replaced). */
  fullSyncs = 0;
  /** Sim time of the last crash or restart (faults the checkers must know about). */
  lastDisturbedAt = -Infinity;
  /** Sim time at which replId last changed (promotion, full resync, empty restart). */
  replIdChangedAt = 0;
  emptyRestarts = 0;
  /** Counts crashes: a restarted process has new connections. */
  incarnation = 0;
  /** The master's incarnation this replica's link reached: a restart of the master closes it. */
  linkedIncarnation = -1;
  /** Until then a restarted process is loading its data and answers probes with -LOADING. */
  loadingUntil = 0;
  /** Commands that reached the process while it was stopped, in arrival order. */
  private readonly stalledWork: (() => void)[] = [];
  /** Client connections open to this process (the probers'). */
  readonly connections = new Set<ServerSideConnection>();

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    private readonly rng: Prng,
    masterId: string | null,
    /** Chance that a replica with its link up copies the master's new writes at one replication step. */
    readonly copyChance: number,
  ) {
    this.role = masterId === null ? 'master' : 'slave';
    this.masterId = masterId;
    this.replId = newId(rng);
    this.runId = newId(rng);
    this.cronPhase = rng.float();
  }

  /** The first tick of this node's replicationCron after `now` (period `periodMs`). */
  nextCronTick(now: number, periodMs: number): number {
    const phase = this.cronPhase * periodMs;
    return now + periodMs - ((((now - phase) % periodMs) + periodMs) % periodMs);
  }

  get offset(): number {
    return this.writes.length;
  }

  answers(now: number): boolean {
    return this.alive && now >= this.stalledUntil;
  }

  /** REPLICAOF NO ONE: a new history begins; the old one stays reachable for PSYNC as replId2. */
  promote(now: number): void {
    if (this.role === 'master') return;
    this.role = 'master';
    this.masterId = null;
    this.acked = [];
    // The promotion lifts a fence the node kept from an earlier switchover away from it, and
    // saves that with its role (admin-ops.ts promote).
    this.fenced = false;
    this.fencePersisted = false;
    this.replId2 = this.replId;
    this.replId = newId(this.rng);
    this.replIdChangedAt = now;
    this.linkUp = false;
  }

  replicaOf(masterId: string, now: number): void {
    if (this.role === 'slave' && this.masterId === masterId) return;
    this.role = 'slave';
    this.masterId = masterId;
    this.linkUp = false;
    this.linkDownSince = now;
    this.nextConnectAt = now;
  }

  crash(now: number): void {
    this.alive = false;
    this.incarnation++;
    this.linkUp = false;
    this.lastDisturbedAt = now;
    const open = [...this.connections];
    this.connections.clear();
    for (const c of open) c.peerClosed();
  }

  stall(now: number, ms: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, now + ms);
  }

  /**
   * Runs `fn` (a command reaching the process) once the process answers: at once, or when its
   * stall ends, after everything that reached it before. SIGCONT runs the socket backlog at
   * once and in order; a stall ended early (the simulator's heal) must too, or a REPLICAOF
   * queued during it lands after later commands that saw the process answer (seed 9455777).
   */
  whenAnswering(sched: Scheduler, fn: () => void): void {
    if (!this.mustWait(sched.now)) {
      fn();
      return;
    }
    this.stalledWork.push(fn);
    if (this.stalledWork.length === 1) sched.at(this.stalledUntil, () => this.resume(sched), true);
  }

  /** A command reaching the process now waits: it is stopped, or commands queued before still wait. */
  mustWait(now: number): boolean {
    return now < this.stalledUntil || this.stalledWork.length > 0;
  }

  /** The stall is over (or was cut short): the commands that waited run, in arrival order. */
  resume(sched: Scheduler): void {
    if (this.stalledWork.length === 0) return;
    if (sched.now < this.stalledUntil) {
      sched.at(this.stalledUntil, () => this.resume(sched), true);
      return;
    }
    for (const fn of this.stalledWork.splice(0)) fn();
  }

  /**
   * A restart keeps the role of the config file (CONFIG REWRITE saved it), with its data
   * (persistence) or empty (no persistence: offset 0 and a new history).
   */
  restart(now: number, empty: boolean): void {
    this.alive = true;
    this.stalledUntil = 0;
    this.pausedUntil = 0;
    if (!this.fencePersisted) this.fenced = false;
    this.runId = newId(this.rng);
    this.linkUp = false;
    this.linkDownSince = now;
    this.nextConnectAt = now + 50;
    this.lastDisturbedAt = now;
    // Loading the data it kept takes a while; an empty one has nothing to load.
    this.loadingUntil = !empty && this.rng.chance(0.5) ? now + this.rng.int(20, 400) : 0;
    if (empty) {
      this.emptyRestarts++;
      this.writes = [];
      // What it acknowledged went with its data (a fault): a switchover away from it later, if
      // it stays master (masterKept), answers only for what it acknowledged since.
      this.acked = [];
      this.replId = newId(this.rng);
      this.replIdChangedAt = now;
      this.replId2 = '';
    }
  }
}

/** A node's answer to one command: a reply, or the text of an error reply. */
export interface Answer {
  readonly error: string | null;
  readonly reply: unknown;
}

/** The Redis group of one shard, stepped by the simulator. */
export class RedisGroup {
  readonly nodes = new Map<string, FakeRedis>();
  private nextWrite = 1;
  /** Every write any node acknowledged to a client. */
  acknowledged = 0;
  /** Commands the nodes answered over client connections, by name (CLIENT with its arguments). */
  readonly served = new Map<string, number>();
  /** Per replication id born of a promotion: the history it continued (the checkers' truth). */
  readonly parentOf = new Map<string, string>();

  constructor(
    readonly shard: string,
    ids: readonly string[],
    rng: Prng,
    private readonly reconnectMs: number,
  ) {
    const [first] = ids;
    for (const id of ids) {
      const copyChance = id === first ? 1 : 0.2 + rng.float() * 0.8;
      this.nodes.set(
        id,
        new FakeRedis(id, hostOf(shard, id), 6379, rng, id === first ? null : first, copyChance),
      );
    }
    this.replicate(0);
  }

  node(id: string): FakeRedis {
    return this.nodes.get(id) as FakeRedis;
  }

  byHost(host: string): FakeRedis | undefined {
    for (const n of this.nodes.values()) if (n.host === host) return n;
    return undefined;
  }

  /** A client write to a node: acknowledged only by an answering, unpaused, unfenced master. */
  write(id: string, now: number): number | null {
    const n = this.nodes.get(id);
    if (
      !n ||
      !n.answers(now) ||
      n.role !== 'master' ||
      n.fenced ||
      now < n.pausedUntil ||
      now < n.loadingUntil
    )
      return null;
    const value = this.nextWrite++;
    n.writes.push(value);
    n.acked.push(value);
    this.acknowledged++;
    return value;
  }

  /** Whether `history` is `ancestor` or continues it through promotions. */
  descends(history: string, ancestor: string): boolean {
    for (
      let h: string | undefined = history, i = 0;
      h !== undefined && i < 1000;
      h = this.parentOf.get(h), i++
    ) {
      if (h === ancestor) return true;
    }
    return false;
  }

  /** Replicas with a live link copy their master's writes (some lag); broken links reconnect. */
  replicate(now: number, rng?: Prng): void {
    for (const r of this.nodes.values()) {
      if (r.role !== 'slave' || !r.answers(now)) continue;
      const m = r.masterId ? this.nodes.get(r.masterId) : undefined;
      // A master that crashed and came back between two steps closed the link all the same.
      if (!m || !m.answers(now) || (r.linkUp && m.incarnation !== r.linkedIncarnation)) {
        if (r.linkUp) {
          r.linkUp = false;
          r.linkDownSince = now;
          r.nextConnectAt = r.nextCronTick(now, this.reconnectMs);
        } else if (now >= r.nextConnectAt) {
          r.nextConnectAt = r.nextCronTick(now, this.reconnectMs); // refused: the next cron tick
        }
        continue;
      }
      if (!r.linkUp) {
        if (now < r.nextConnectAt) continue;
        this.sync(r, m, now);
      } else if (r.writes.length < m.writes.length && (!rng || rng.chance(r.copyChance))) {
        r.writes.push(...m.writes.slice(r.writes.length));
      }
    }
  }

  private sync(r: FakeRedis, m: FakeRedis, now: number): void {
    const continues = (r.replId === m.replId || r.replId === m.replId2) && isPrefix(r.writes, m.writes);
    if (!continues) {
      r.fullSyncs++;
      r.writes = [...m.writes];
    } else if (r.writes.length < m.writes.length) {
      r.writes.push(...m.writes.slice(r.writes.length));
    }
    if (r.replId !== m.replId) r.replIdChangedAt = now;
    r.replId = m.replId;
    r.linkUp = true;
    r.linkedIncarnation = m.incarnation;
  }

  /** What a node answers to the commands the prober sends (ROLE, INFO, CLIENT SETNAME). */
  answer(id: string, args: readonly string[], now: number): Answer {
    const command = args[0]?.toUpperCase();
    const name = command === 'CLIENT' ? args.join(' ') : (command ?? '');
    this.served.set(name, (this.served.get(name) ?? 0) + 1);
    if (command === 'CLIENT') return { error: null, reply: 'OK' };
    if (now < this.node(id).loadingUntil)
      return { error: 'LOADING Redis is loading the dataset in memory', reply: null };
    if (command === 'ROLE') return { error: null, reply: this.role(id) };
    if (command === 'INFO') return { error: null, reply: this.info(id, now) };
    return { error: `ERR unknown command '${args[0] ?? ''}'`, reply: null };
  }

  /** ROLE as Redis 7 sends it. */
  private role(id: string): unknown[] {
    const n = this.node(id);
    if (n.role === 'master') {
      const replicas = [...this.nodes.values()]
        .filter((r) => r.role === 'slave' && r.masterId === id && r.linkUp && r.alive)
        .map((r) => [r.host, String(r.port), String(r.offset)]);
      return ['master', n.offset, replicas];
    }
    const m = this.node(n.masterId as string);
    return ['slave', m.host, m.port, n.linkUp ? 'connected' : 'connect', n.linkUp ? n.offset : -1];
  }

  info(id: string, now: number): string {
    const n = this.node(id);
    const lines = ['# Server', `run_id:${n.runId}`, '# Replication', `role:${n.role}`];
    if (n.role === 'slave') {
      const m = this.node(n.masterId as string);
      lines.push(
        `master_host:${m.host}`,
        `master_port:${m.port}`,
        `master_link_status:${n.linkUp ? 'up' : 'down'}`,
      );
      if (!n.linkUp)
        lines.push(`master_link_down_since_seconds:${Math.floor((now - n.linkDownSince) / 1000)}`);
      lines.push(`slave_repl_offset:${n.offset}`, `slave_read_repl_offset:${n.offset}`);
    }
    const connected = [...this.nodes.values()].filter(
      (r) => r.role === 'slave' && r.masterId === id && r.linkUp,
    ).length;
    lines.push(
      `connected_slaves:${connected}`,
      `master_replid:${n.replId}`,
      `master_replid2:${n.replId2 || '0'.repeat(40)}`,
      `master_repl_offset:${n.offset}`,
    );
    return lines.join('\r\n') + '\r\n';
  }
}

export function hostOf(shard: string, id: string): string {
  return `${shard}-${id}.redis`;
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** 40 hex digits, as Redis' run ids and replication ids. */
function newId(rng: Prng): string {
  let s = '';
  for (let i = 0; i < 5; i++)
    s += Math.floor(rng.float() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return s;
}
