// The failover engine, stepped by hand: proposals are "committed" at once into the topology,
// Redis operations are answered by fake nodes, observations are written into the table.
// `truth` is what each fake node is right now (inspect answers it); the table holds what the
// observers reported, which may lag behind (`see` updates both, `change` only the truth).
import type { FailoverBugs } from '../../../src/failover/bugs.js';
import {
  FailoverEngine,
  type EngineAction,
  type RedisOp,
  type SwitchoverResult,
} from '../../../src/failover/engine.js';
import { ObservationTable } from '../../../src/failover/observations.js';
import { applyTopologyCommand, type Topology } from '../../../src/failover/topology.js';
import type { RedisObservation, TopologyCommand } from '../../../src/failover/types.js';

export class Harness {
  readonly engine: FailoverEngine;
  readonly table = new ObservationTable();
  readonly sent: { node: string; op: RedisOp }[] = [];
  /** When each entry of `sent` went out (harness time). */
  readonly sentAt = new WeakMap<object, number>();
  readonly proposed: string[] = [];
  readonly commands: TopologyCommand[] = [];
  /** Switchovers' (and operators' failovers') results, in order. */
  readonly switchoverResults: SwitchoverResult[] = [];
  now = 0;
  /** Harness time per update round (the driver runs one per tick or event, ~10 ms apart). */
  roundMs = 25;
  term = 2;
  readonly truth = new Map<string, RedisObservation>();
  /** Runs just before a Redis operation reaches its node (a resync racing the promotion). */
  beforeOp: ((node: string, op: RedisOp) => void) | null = null;
  /** Nodes that refuse REPLICAOF (the leader cannot command them), and why. */
  readonly refuse = new Map<string, string>();
  /** Leadership hand-overs the engine asked for (the harness keeps this node the leader). */
  readonly handOvers: { to: readonly string[]; reason: string; at: number }[] = [];
  /** The engine's Sentinel events, with the harness time they were asked for. */
  readonly events: { name: string; detail: Record<string, unknown>; at: number }[] = [];
  /**
   * Nodes the leader cannot reach: its Redis operations get no answer and its own prober (n1)
   * reports them SDOWN; the other observer (n2) still sees them.
   */
  readonly unreachable = new Set<string>();
  /** Nodes on a slow link: each Redis operation sent to one is carried out this many ms later. */
  readonly slowMs = new Map<string, number>();
  private readonly delayed: { at: number; action: EngineAction }[] = [];
  /** Operations that fail as "node kind" (a node that refuses REPLICAOF NO ONE: "r3 promote"). */
  readonly failing = new Set<string>();
  /** Proposals are dropped unrecorded (the Raft log cannot commit: an outage). */
  holdCommits = false;
  /** Each round, the observers report the nodes' truth again (long runs keep reports fresh). */
  refresh = false;
  /** False: proposals are recorded but not committed (lost to a leader change, or still on their way). */
  commitProposals = true;
  private nextHistory = 2;

  constructor(
    readonly topo: Topology,
    bugs: FailoverBugs = {},
  ) {
    this.engine = new FailoverEngine('n1', bugs);
  }

  /** Both observers report these, and they are the nodes' truth. */
  see(...list: RedisObservation[]): void {
    for (const o of list) this.truth.set(o.node, o);
    const fromLeader = list.map((o) =>
      this.unreachable.has(o.node) ? { ...o, sdown: true, reachable: false } : o,
    );
    this.table.record('n1', fromLeader, this.now);
    this.table.record('n2', list, this.now);
  }

  /** The node changes; the observers have not seen it yet (their INFO is older). */
  change(node: string, fields: Partial<RedisObservation>): void {
    this.truth.set(node, { ...(this.truth.get(node) as RedisObservation), ...fields });
  }

  /** Runs update rounds, applying proposals and answering Redis operations, until quiet. */
  run(rounds = 50): void {
    for (let i = 0; i < rounds; i++) {
      this.now += this.roundMs;
      const due = this.delayed.filter((d) => d.at <= this.now);
      this.delayed.splice(0, due.length);
      for (const d of due) this.carryOut(d.action);
      if (this.refresh) this.see(...this.truth.values());
      const actions = this.engine.update({
        now: this.now,
        wallNow: 1_000_000 + this.now,
        term: this.term,
        leading: true,
        voters: 3,
        topology: this.topo,
        observations: this.table,
      });
      for (const a of actions) this.execute(a);
    }
  }

  /** The Redis operations sent, as "node op" (replicaof with its target host). */
  ops(): string[] {
    return this.sent.map((x) => `${x.node} ${x.op.kind}${x.op.kind === 'replicaof' ? ` ${x.op.host}` : ''}`);
  }

  private execute(a: EngineAction): void {
    if (a.type === 'switchover-done') this.switchoverResults.push(a.result);
    if (a.type === 'event') this.events.push({ name: a.name, detail: a.detail, at: this.now });
    if (a.type === 'hand-over') this.handOvers.push({ to: a.to, reason: a.reason, at: this.now });
    if (a.type === 'propose') {
      if (this.holdCommits) return;
      this.proposed.push(a.command.type);
      this.commands.push(a.command);
      if (!this.commitProposals) return;
      // As the driver does: a switchover learns its end from the applied topology.
      for (const e of applyTopologyCommand(this.topo, a.command, this.term)) {
        if (e.type === 'failover-ended') this.engine.switchoverApplied(e.entry, this.now);
      }
    } else if (a.type === 'redis') {
      const entry = { node: a.node.id, op: a.op };
      this.sent.push(entry);
      this.sentAt.set(entry, this.now);
      const slow = this.slowMs.get(a.node.id);
      if (slow !== undefined) this.delayed.push({ at: this.now + slow, action: a });
      else this.carryOut(a);
    }
  }

  /** A Redis operation reaches its node and is answered. */
  private carryOut(a: EngineAction): void {
    if (a.type === 'redis') {
      this.beforeOp?.(a.node.id, a.op);
      if (this.failing.has(`${a.node.id} ${a.op.kind}`)) {
        this.engine.redisDone(a.opId, { ok: false, error: 'NOPERM this user has no permissions' });
        return;
      }
      if (this.unreachable.has(a.node.id)) {
        this.engine.redisDone(a.opId, { ok: false, error: 'connect ETIMEDOUT' });
        return;
      }
      const refused = a.op.kind === 'replicaof' ? this.refuse.get(a.node.id) : undefined;
      if (refused !== undefined) {
        this.engine.redisDone(a.opId, { ok: false, error: refused });
        return;
      }
      const v = this.truth.get(a.node.id) as RedisObservation;
      if (a.op.kind === 'promote' && v.role !== 'master') {
        // REPLICAOF NO ONE: a new history; the one it had as a replica becomes master_replid2.
        this.see({
          ...v,
          role: 'master',
          masterHost: null,
          masterPort: null,
          linkUp: null,
          replId: `hist-${this.nextHistory++}`,
          replId2: v.replId,
        });
      }
      if (a.op.kind === 'replicaof') {
        const host = a.op.host;
        // A node's address is h-<id>, or repl-<id> where a test gives it a replication address.
        const masterView = [...this.truth.values()].find(
          (x) => host === `h-${x.node}` || host === `repl-${x.node}`,
        );
        this.see({
          ...v,
          role: 'slave',
          masterHost: host,
          masterPort: a.op.port,
          linkUp: true,
          sdown: false,
          reachable: true,
          replId: masterView?.replId ?? v.replId,
        });
      }
      this.engine.redisDone(a.opId, { ok: true, view: this.truth.get(a.node.id) });
    }
  }
}
