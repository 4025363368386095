// The failover invariants (docs/design.md 7, items 2-6), checked from outside the code under test:
// at the moment a node hands a Redis command to the (fake) network, at the moment it reaches
// the fake Redis node, when a topology entry is first applied anywhere, when a node publishes
// an event, and after healing. They look at what nodes applied, what their Raft status says,
// what goes on the wire to Redis, and at the fake Redis nodes' true state. They know nothing of
// the bug switches.
import type { RedisOp } from '../../src/failover/engine.js';
import { applyTopologyCommand, emptyTopology, type Topology } from '../../src/failover/topology.js';
import type { ShardState, TopologyCommand } from '../../src/failover/types.js';
import type { RaftStatus } from '../../src/raft/raft.js';
import type { Entry, NodeId } from '../../src/raft/types.js';
import { InvariantViolation } from './checkers.js';
import type { FakeRedis, RedisGroup } from './redis-sim.js';

/** What a node is at the instant it sends something: its Raft status and applied topology. */
export interface NodeView {
  readonly id: NodeId;
  readonly status: RaftStatus;
  readonly topology: Topology;
}

export class FailoverCheckers {
  /** The topology as committed: every topology entry replayed in log order, once. */
  private readonly committed: Topology = emptyTopology();
  private replayed = 0;
  private readonly pending = new Map<number, Entry>();
  private maxLeaderTerm = 0;
  /** "shard/epoch" -> the node REPLICAOF NO ONE was sent to. */
  private readonly promotedTo = new Map<string, string>();
  /** "shard/node" -> sim time the last CLIENT PAUSE reached it. */
  private readonly pauseArrived = new Map<string, number>();
  /** Counts, for the run's summary. */
  readonly stats = {
    promotions: 0,
    switchoversJudged: 0,
    candidatesJudged: 0,
    /** Promoted of failovers judged against the fake's history (checkPromotedHistory). */
    promotionsJudged: 0,
    mastersKeptJudged: 0,
    /** FailoverStarted that adopted a lost history's successor (adoptHistory), judged. */
    adoptionsJudged: 0,
    repoints: 0,
  };

  constructor(
    private readonly groups: ReadonlyMap<string, RedisGroup>,
    /** Sim ms by which the nodes' wall clocks run ahead of sim time (history timestamps). */
    private readonly wallOffset: number,
    private readonly now: () => number,
    private readonly trace: (line: string) => void = () => {},
  ) {}

  leaderElected(term: number): void {
    this.maxLeaderTerm = Math.max(this.maxLeaderTerm, term);
  }

  /**
   * Any node applied an entry: replay the committed topology, each index once, in order.
   * Returns the topology commands newly committed that changed something (the simulator aims
   * faults at them).
   */
  applied(entry: Entry): TopologyCommand[] {
    const out: TopologyCommand[] = [];
    if (entry.index <= this.replayed) return out;
    this.pending.set(entry.index, entry);
    for (let e = this.pending.get(this.replayed + 1); e; e = this.pending.get(this.replayed + 1)) {
      this.pending.delete(e.index);
      this.replayed = e.index;
      if (e.kind !== 'normal' || !e.data.startsWith('{"type"')) continue;
      const cmd = JSON.parse(e.data) as { type?: string; command?: TopologyCommand };
      if (cmd.type !== 'topology' || !cmd.command) continue;
      const c = cmd.command;
      const before = 'shard' in c && typeof c.shard === 'string' ? this.committed.shards[c.shard] : undefined;
      const events = applyTopologyCommand(this.committed, c, e.term);
      const after = 'shard' in c && typeof c.shard === 'string' ? this.committed.shards[c.shard] : undefined;
      const noop = events.length === 0 && before === after;
      this.trace(`committed ${e.index}@${e.term}: ${summary(c)}${noop ? ' (no-op)' : ''}`);
      if (!noop) out.push(c);
      if (c.type === 'failoverStarted' && before && events.some((x) => x.type === 'failover-started')) {
        this.checkCandidate(before, c);
      }
      const f = before?.failover;
      if (
        c.type === 'promoted' &&
        f?.kind === 'switchover' &&
        f.from !== null &&
        events.some((x) => x.type === 'switch-master')
      ) {
        this.judgeSwitchover(c.shard, c.epoch, f.from, f.to);
      }
      if (c.type === 'promoted' && before && f?.kind === 'failover' && events.length > 0) {
        this.checkPromotedHistory(before, c.epoch);
      }
      if (c.type === 'masterKept' && before && events.length > 0) this.checkKeptMaster(before, c);
    }
    return out;
  }

  committedShard(name: string): ShardState | undefined {
    return this.committed.shards[name];
  }

  committedTopology(): Topology {
    return this.committed;
  }

  // ---- Redis commands -----------------------------------------------------------------------

  /** A node hands a Redis command to the network (invariants 2, 3 and 6). */
  commandSent(sender: NodeView, shard: string, node: string, op: RedisOp): void {
    const applied = sender.topology.shards[shard];
    const f = applied?.failover ?? null;
    if (op.kind === 'inspect') return;
    const s = sender.status;
    const what = `${sender.id} sent ${describe(op)} to ${shard}/${node}`;
    if (op.kind === 'promote') {
      // Invariant 2: the epoch naming this target is committed (applied by the sender) first.
      if (!f || f.step !== 'started' || f.to !== node) {
        const state = f
          ? `epoch ${f.epoch} ${f.step} toward ${f.to}`
          : `no failover (epoch ${applied?.epoch ?? '?'})`;
        throw new InvariantViolation(
          'Promotion Safety',
          `${what} with no committed FailoverStarted naming it: it has applied ${state}`,
        );
      }
      const key = `${shard}/${f.epoch}`;
      const prior = this.promotedTo.get(key);
      if (prior !== undefined && prior !== node) {
        throw new InvariantViolation(
          'Promotion Safety',
          `${what}: epoch ${f.epoch} already promoted ${prior}`,
        );
      }
      if (prior === undefined) this.stats.promotions++;
      this.promotedTo.set(key, node);
    }
    // Invariant 3: only the leader of the term that committed the failover's latest entry acts,
    // and only while no later leader can exist (a lease, and truly no later leader so far).
    if (s.role !== 'leader' || !s.lease) {
      throw new InvariantViolation(
        'Sender Is Leader',
        `${what} as ${s.role} of term ${s.term}, lease ${s.lease}`,
      );
    }
    if (s.term < this.maxLeaderTerm) {
      throw new InvariantViolation(
        'Sender Is Leader',
        `${what} as leader of term ${s.term}; term ${this.maxLeaderTerm} already has a leader`,
      );
    }
    if (f && (op.kind === 'promote' || op.kind === 'replicaof') && f.term !== s.term) {
      throw new InvariantViolation(
        'Sender Is Leader',
        `${what} in term ${s.term}; the latest entry of epoch ${f.epoch} is of term ${f.term}`,
      );
    }
    if (op.kind === 'replicaof') this.checkRepoint(what, shard, node, op);
  }

  /**
   * Invariant 6: replicas move only toward the master of the highest committed epoch: the
   * target of a committed FailoverStarted while its failover runs (a switchover demotes the old
   * master toward it before Promoted), else the committed master. Never toward the master of an
   * earlier epoch.
   */
  private checkRepoint(
    what: string,
    shard: string,
    node: string,
    op: Extract<RedisOp, { kind: 'replicaof' }>,
  ): void {
    const c = this.committed.shards[shard];
    const id = c?.failover?.to ?? c?.master ?? null;
    const master = c?.nodes.find((n) => n.id === id);
    if (!c || !master) {
      throw new InvariantViolation(
        'Repoint Toward Highest Epoch',
        `${what} while the committed topology has no master for ${shard}`,
      );
    }
    const whose = c.failover
      ? `the target of epoch ${c.epoch} (${c.failover.step})`
      : `the master committed at epoch ${c.epoch}`;
    if (op.host !== master.host || op.port !== master.port) {
      throw new InvariantViolation(
        'Repoint Toward Highest Epoch',
        `${what}: ${whose} is ${master.id} (${master.host}:${master.port})`,
      );
    }
    if (node === master.id)
      throw new InvariantViolation('Repoint Toward Highest Epoch', `${what}: that is ${whose} itself`);
    this.stats.repoints++;
  }

  /** A command reaches the fake Redis node, just before it runs there. */
  commandArrived(shard: string, node: string, op: RedisOp): void {
    if (op.kind === 'pause') this.pauseArrived.set(`${shard}/${node}`, this.now());
  }

  /**
   * Invariant 5, when a switchover's Promoted commits (clients follow the target from now on):
   * the target holds every write the old master acknowledged. Not when REPLICAOF NO ONE lands:
   * one that lands after its epoch was aborted (it waited in a stopped node's socket) makes a
   * master nobody follows, and reconciliation demotes it again without losing anything.
   */
  private judgeSwitchover(shard: string, epoch: number, fromId: string, toId: string): void {
    const g = this.groups.get(shard) as RedisGroup;
    const from = g.node(fromId);
    const to = g.node(toId);
    const pausedAt = this.pauseArrived.get(`${shard}/${fromId}`);
    // A crash or restart of either node during the switchover is a fault, not the plan: a
    // restarted master forgets CLIENT PAUSE and one restarted empty wipes its replicas.
    if (pausedAt === undefined || Math.max(from.lastDisturbedAt, to.lastDisturbedAt) >= pausedAt) return;
    this.stats.switchoversJudged++;
    this.checkNothingLost(`switchover epoch ${epoch} of ${shard} commits Promoted for ${toId}`, from, to);
  }

  private checkNothingLost(what: string, from: FakeRedis, to: FakeRedis): void {
    const have = new Set(to.writes);
    const lost = from.acked.filter((x) => !have.has(x));
    if (lost.length > 0) {
      throw new InvariantViolation(
        'Switchover Loses Nothing',
        `${what}; ${to.id} lacks ${lost.length} writes the master ${from.id} acknowledged ` +
          `(first ${lost[0]}; ${to.id} at offset ${to.offset}, ${from.id} at ${from.offset}, ${from.id} paused until ${from.pausedUntil.toFixed(0)} ms)`,
      );
    }
  }

  // ---- decisions ----------------------------------------------------------------------------

  /**
   * Invariant 4, when FailoverStarted commits: the candidate is on the shard's committed history
   * (the fake's truth), and among the eligible replicas of its report it has the highest offset.
   * A decision may rest on observations up to 2 x downAfterMs old (plus an INFO interval), so a
   * candidate whose history changed within that window before the decision is not judged.
   */
  private checkCandidate(before: ShardState, c: Extract<TopologyCommand, { type: 'failoverStarted' }>): void {
    this.stats.candidatesJudged++;
    const what = `FailoverStarted epoch ${c.epoch} of ${c.shard} (${c.kind}) promotes ${c.to}`;
    const row = c.report.rows.find((r) => r.id === c.to);
    if (!row?.eligible) {
      throw new InvariantViolation(
        'Candidate History',
        `${what}, which its report rejects: ${row?.reason ?? 'not in the report'}`,
      );
    }
    if (c.to === c.report.chosen && c.report.selection === 'least-lag' && row) {
      const better = c.report.rows.filter((r) => r.eligible && (r.offset ?? -1) > (row.offset ?? -1));
      if (better.length > 0) {
        throw new InvariantViolation(
          'Candidate History',
          `${what} at offset ${row.offset}; ${better[0].id} is eligible at offset ${better[0].offset}`,
        );
      }
    }
    const g = this.groups.get(c.shard);
    const target: FakeRedis | undefined = g?.nodes.get(c.to);
    if (!target || before.replId === null) return;
    if (c.adoptHistory === true) {
      // Right only if no node holds the shard's history (as for a kept master, the truth at
      // commit time is the truth at decision time: a history is never regained from nowhere).
      const holder = [...(g as RedisGroup).nodes.values()].find(
        (r) => r.replId === before.replId || (r.role === 'master' && r.replId2 === before.replId),
      );
      if (holder) {
        throw new InvariantViolation(
          'Candidate History',
          `${what} adopting its new history, but ${holder.id} still holds the shard's history ` +
            `${before.replId.slice(0, 8)} (offset ${holder.offset}, ${holder.alive ? 'alive' : 'down'})`,
        );
      }
      this.stats.adoptionsJudged++;
      return;
    }
    // A master promoted from the shard's history continues it (an aborted switchover's target
    // that the committed master ended up following, late-demotion.ts lateDemotionForward).
    if (target.role === 'master' && target.replId2 === before.replId) return;
    // The committed master promoted again in place on a history that continues the shard's
    // (promotion.ts reinstateInPlace, a replication loop): that history must truly descend from
    // the shard's, through promotions, and the master be on it.
    const expected = c.inPlace === true && c.history !== undefined ? c.history : before.replId;
    if (expected !== before.replId && !(g as RedisGroup).descends(expected, before.replId)) {
      throw new InvariantViolation(
        'Candidate History',
        `${what} in place on history ${expected.slice(0, 8)}, which does not continue the shard's ` +
          `committed ${before.replId.slice(0, 8)}`,
      );
    }
    const decidedAt = c.at - this.wallOffset;
    const window = 2 * before.settings.downAfterMs + before.settings.infoIntervalMs + 1000;
    if (target.replId !== expected && target.replIdChangedAt < decidedAt - window) {
      throw new InvariantViolation(
        'Candidate History',
        `${what}, whose replication id ${target.replId.slice(0, 8)} (since ${target.replIdChangedAt.toFixed(0)} ms) is not the ` +
          `${expected === before.replId ? "shard's committed" : 'expected'} ${expected.slice(0, 8)}; decided at ${decidedAt.toFixed(0)} ms`,
      );
    }
  }

  /**
   * Invariant 4 when a failover's Promoted commits (clients follow the new master from now on),
   * on the fake's truth and with no window: REPLICAOF NO ONE made the node a master while it was
   * a replica on the shard's committed history, so that history is its replId2 now. Whatever
   * the decision saw (observations up to an INFO interval old), a replica that full-synced from
   * a master restarted empty before its promotion carries that master's id there instead. Not
   * judged: an operator's failover that accepted data loss, a shard with no known history, a
   * node crashed or restarted since FailoverStarted (its data went with a fault, after every
   * check), a node that is no master any more.
   */
  private checkPromotedHistory(before: ShardState, epoch: number): void {
    const f = before.failover;
    const target = f ? this.groups.get(before.name)?.nodes.get(f.to) : undefined;
    if (!f || !target || f.allowDataLoss === true || before.replId === null) return;
    if (target.role !== 'master' || target.lastDisturbedAt >= f.startedAt - this.wallOffset) return;
    this.stats.promotionsJudged++;
    // An in-place failover on a history continuing the shard's is judged on that one.
    if (target.replId2 !== (f.history ?? before.replId)) {
      throw new InvariantViolation(
        'Candidate History',
        `Promoted epoch ${epoch} of ${before.name} publishes ${f.to}, which was promoted from history ` +
          `${(target.replId2 || 'none').slice(0, 8)}, not the shard's ${(f.history ?? before.replId).slice(0, 8)} ` +
          `(its last full sync ${target.fullSyncs > 0 ? `of ${target.fullSyncs}` : 'none'}; history changed at ${target.replIdChangedAt.toFixed(0)} ms)`,
      );
    }
  }

  /**
   * A kept master (masterKept) is right only if no replica still holds the shard's history:
   * a replication id never returns to a history its master left, so the truth at commit time
   * is the truth at decision time.
   */
  private checkKeptMaster(before: ShardState, c: Extract<TopologyCommand, { type: 'masterKept' }>): void {
    const g = this.groups.get(c.shard);
    if (!g || before.replId === null) return;
    this.stats.mastersKeptJudged++;
    for (const r of g.nodes.values()) {
      if (r.id !== c.master && r.replId === before.replId) {
        throw new InvariantViolation(
          'Candidate History',
          `masterKept epoch ${c.epoch} of ${c.shard} keeps ${c.master} with a new history, but ${r.id} still holds ` +
            `the shard's history ${before.replId.slice(0, 8)} (offset ${r.offset}, ${r.alive ? 'alive' : 'down'})`,
        );
      }
    }
  }

  // ---- publication --------------------------------------------------------------------------

  /** `+switch-master <shard> <old ip> <old port> <new ip> <new port>` only once Promoted applied. */
  published(node: NodeView, name: string, shard: string, message: string): void {
    if (name !== '+switch-master') return;
    const parts = message.split(' ');
    const [host, port] = parts.slice(-2);
    const s = node.topology.shards[shard];
    const master = s?.nodes.find((n) => n.id === s.master);
    if (!master || master.host !== host || String(master.port) !== port) {
      throw new InvariantViolation(
        'Publish After Promoted',
        `${node.id} published +switch-master ${message}, but has applied master ${master ? `${master.host}:${master.port}` : 'none'} (epoch ${s?.epoch ?? '?'}, ${s?.failover ? `failover ${s.failover.step}` : 'no failover'})`,
      );
    }
  }

  // ---- after healing ------------------------------------------------------------------------

  /** Invariant 6 after healing: every member agrees, and the Redis nodes follow the committed master. */
  converged(members: readonly NodeView[]): void {
    const fail = (detail: string): never => {
      throw new InvariantViolation('Failover Convergence', detail);
    };
    if (members.length === 0) fail('no member is running');
    const ref = members[0];
    for (const [name, g] of this.groups) {
      const s = ref.topology.shards[name];
      if (!s) fail(`${ref.id} has no shard ${name}`);
      for (const m of members) {
        const o = m.topology.shards[name];
        if (o?.master !== s.master || o.epoch !== s.epoch) {
          fail(
            `${m.id} has ${name} at master ${o?.master} epoch ${o?.epoch}; ${ref.id} at ${s.master} epoch ${s.epoch}`,
          );
        }
      }
      if (s.master === null) fail(`${name} has no committed master (${s.problem ?? 'no problem recorded'})`);
      if (s.failover)
        fail(
          `${name} still has epoch ${s.failover.epoch} in flight (${s.failover.step} toward ${s.failover.to})`,
        );
      for (const r of g.nodes.values()) {
        const now = this.now();
        if (!r.answers(now)) fail(`${name}/${r.id} does not answer after healing`);
        if (r.id === s.master) {
          if (r.role !== 'master')
            fail(`${name}: the committed master ${r.id} (epoch ${s.epoch}) is a replica of ${r.masterId}`);
          // A committed history that the master left (an empty restart nobody acted on) makes
          // every replica ineligible: the shard could never fail over again.
          if (s.replId !== null && r.replId !== s.replId)
            fail(
              `${name}: the committed history ${s.replId.slice(0, 8)} (epoch ${s.epoch}) is not the one its master ` +
                `${r.id} is on (${r.replId.slice(0, 8)}, since ${r.replIdChangedAt.toFixed(0)} ms): no replica can be promoted`,
            );
        } else if (r.role !== 'slave' || r.masterId !== s.master || !r.linkUp) {
          fail(
            `${name}/${r.id} is ${r.role === 'master' ? 'a master' : `a replica of ${r.masterId} (link ${r.linkUp ? 'up' : 'down'})`}; ` +
              `the committed master is ${s.master} at epoch ${s.epoch}`,
          );
        }
      }
    }
  }
}

function describe(op: RedisOp): string {
  switch (op.kind) {
    case 'replicaof':
      return `REPLICAOF ${op.host} ${op.port}`;
    case 'promote':
      return 'REPLICAOF NO ONE';
    case 'pause':
      return `CLIENT PAUSE ${op.ms} WRITE`;
    case 'unpause':
      return 'CLIENT UNPAUSE';
    case 'write-safety':
      return `CONFIG SET min-replicas-to-write ${op.minReplicas ?? '(fence lifted)'}`;
    case 'inspect':
      return 'INFO';
  }
}

function summary(c: TopologyCommand): string {
  switch (c.type) {
    case 'failoverStarted':
      return `failoverStarted ${c.shard} epoch ${c.epoch} ${c.kind} ${c.from} -> ${c.to}`;
    case 'promoted':
    case 'failoverResumed':
      return `${c.type} ${c.shard} epoch ${c.epoch}`;
    case 'failoverEnded':
      return `failoverEnded ${c.shard} epoch ${c.epoch} repointed ${c.repointed.join(',') || 'none'}`;
    case 'failoverAborted':
      return `failoverAborted ${c.shard} epoch ${c.epoch}: ${c.reason}`;
    case 'masterAdopted':
      return `masterAdopted ${c.shard} ${c.master}`;
    case 'masterKept':
      return `masterKept ${c.shard} epoch ${c.epoch} ${c.master} (resynced ${c.resynced.join(',')})`;
    case 'shardProblem':
      return `shardProblem ${c.shard}: ${c.problem}`;
    default:
      return c.type;
  }
}
