// GET /metrics in the Prometheus text format (version 0.0.4), with conventional names and base
// units (seconds, bytes). Counters live for the process; gauges are read when scraped.
import type { Topology, TopologyEvent } from '../failover/topology.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import { ChangeCache, ViewChanges } from './change-cache.js';
import { Histogram } from './histogram.js';
import type { ShardStates } from './shard-states.js';
import { ProcessMetrics } from './process-metrics.js';

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Probe round trips on a LAN or loopback are well under a millisecond; a slow link, seconds. */
export const PROBE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The steps of a failover as its history entry's timeline marks them (ms from detection), each
 * from the mark before it: decide (detection to FailoverStarted committed), promote (to Promoted
 * committed: REPLICAOF NO ONE, its check, the commit that publishes it), repoint (to the end).
 */
const STEPS = [
  ['decide', 'committed'],
  ['promote', 'published'],
  ['repoint', 'ended'],
] as const;

export interface MetricsDeps {
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  /** Each Redis node's state (node-state.ts), the same records HTTP and RESP read. */
  readonly states: ShardStates;
  /** Changes of topology and observations: the per-node series are rebuilt only after one. */
  readonly changes?: ViewChanges;
  readonly now?: () => number;
  /** Every probe's round trip (the prober observes into it), in seconds. */
  readonly probeLatency?: Histogram;
}

export class Metrics {
  private readonly failovers = new Map<string, number>();
  private readonly durations = new Histogram(DURATION_BUCKETS);
  private readonly steps = new Histogram(DURATION_BUCKETS);
  private leaderChanges = 0;
  private lastLeader: string | null = null;
  private readonly process = new ProcessMetrics();
  private readonly nodeSeries: ChangeCache<string[]>;

  constructor(private readonly deps: MetricsDeps) {
    this.nodeSeries = new ChangeCache(deps.changes ?? new ViewChanges(), () => this.renderNodes(), deps.now);
    deps.runtime.onSoftState((s) => {
      if (s.leader !== this.lastLeader) {
        this.leaderChanges++;
        this.lastLeader = s.leader;
      }
    });
  }

  close(): void {
    this.process.close();
  }

  /** Feed every applied topology change here. */
  topologyApplied(events: readonly TopologyEvent[]): void {
    for (const e of events) {
      if (e.type !== 'failover-ended') continue;
      const labels = `shard="${esc(e.shard)}",kind="${e.entry.kind}",result="${e.entry.result}"`;
      this.failovers.set(labels, (this.failovers.get(labels) ?? 0) + 1);
      const shardKind = `shard="${esc(e.shard)}",kind="${e.entry.kind}"`;
      this.durations.observe((e.entry.timeline.ended ?? 0) / 1000, shardKind);
      let mark = 0;
      for (const [step, at] of STEPS) {
        const ms = e.entry.timeline[at];
        if (ms === undefined) continue;
        this.steps.observe(Math.max(0, ms - mark) / 1000, `${shardKind},step="${step}"`);
        mark = ms;
      }
    }
  }

  render(): string {
    const out: string[] = [];
    const s = this.deps.runtime.status();
    const metric = (name: string, type: string, help: string, samples: string[]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    };
    metric('raftinel_raft_term', 'gauge', 'Current Raft term of this node.', [
      `raftinel_raft_term ${s.term}`,
    ]);
    metric('raftinel_raft_commit_index', 'gauge', 'Highest log index known committed.', [
      `raftinel_raft_commit_index ${s.commit}`,
    ]);
    metric('raftinel_raft_applied_index', 'gauge', 'Highest log index applied to the state machine.', [
      `raftinel_raft_applied_index ${s.applied}`,
    ]);
    metric('raftinel_raft_is_leader', 'gauge', '1 when this node is the Raft leader.', [
      `raftinel_raft_is_leader ${s.role === 'leader' ? 1 : 0}`,
    ]);
    metric('raftinel_raft_leader_changes_total', 'counter', 'Leader changes seen by this node.', [
      `raftinel_raft_leader_changes_total ${this.leaderChanges}`,
    ]);
    metric('raftinel_raft_members', 'gauge', 'Raft members by role.', [
      `raftinel_raft_members{role="voter"} ${s.conf.voters.length}`,
      `raftinel_raft_members{role="learner"} ${s.conf.learners.length}`,
    ]);

    const topo = this.deps.topology();
    const shards = Object.values(topo.shards);
    // Every shard has its ended-failover series from the start (0), so rate() sees the first one.
    const failovers = new Map<string, number>(
      shards.map((sh) => [`shard="${esc(sh.name)}",kind="failover",result="ended"`, 0] as const),
    );
    for (const [labels, v] of this.failovers) failovers.set(labels, v);
    metric(
      'raftinel_failovers_total',
      'counter',
      'Failovers and switchovers finished, by kind and result.',
      [...failovers].map(([l, v]) => `raftinel_failovers_total{${l}} ${v}`),
    );
    metric(
      'raftinel_failover_duration_seconds',
      'histogram',
      'Time from detection to the end of a failover or switchover.',
      this.durations.samples('raftinel_failover_duration_seconds'),
    );
    metric(
      'raftinel_failover_step_seconds',
      'histogram',
      'Time each step of a finished failover took: decide, promote (to Promoted committed), repoint.',
      this.steps.samples('raftinel_failover_step_seconds'),
    );
    metric(
      'raftinel_probe_duration_seconds',
      'histogram',
      'Round trip of every probe (ROLE) answered by a Redis node, all nodes together.',
      this.deps.probeLatency?.samples('raftinel_probe_duration_seconds') ?? [],
    );
    metric(
      'raftinel_shard_epoch',
      'gauge',
      'Committed epoch of each shard.',
      shards.map((sh) => `raftinel_shard_epoch{shard="${esc(sh.name)}"} ${sh.epoch}`),
    );
    metric(
      'raftinel_shard_failover_in_progress',
      'gauge',
      '1 while a failover or switchover of the shard runs.',
      shards.map(
        (sh) => `raftinel_shard_failover_in_progress{shard="${esc(sh.name)}"} ${sh.failover ? 1 : 0}`,
      ),
    );

    out.push(...this.nodeSeries.get());
    out.push(...this.process.render());
    return out.join('\n') + '\n';
  }

  /** How many times the per-node series were computed (a test counts them). */
  get nodeSeriesComputations(): number {
    return this.nodeSeries.computations;
  }

  /** The series per Redis node: the part that grows with the fleet, computed once per change. */
  private renderNodes(): string[] {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: string[]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    };
    const shards = Object.values(this.deps.topology().shards);
    const lag: string[] = [];
    const up: string[] = [];
    const sdown: string[] = [];
    const sdownObservers: string[] = [];
    const lastOk: string[] = [];
    const latency: string[] = [];
    const shardState: string[] = [];
    for (const sh of shards) {
      const st = this.deps.states.of(sh.name);
      if (!st) continue;
      shardState.push(`raftinel_shard_state{shard="${esc(sh.name)}",state="${st.status}"} 1`);
      for (const v of [...(st.master ? [st.master] : []), ...st.replicas]) {
        const labels = `shard="${esc(sh.name)}",node="${esc(v.id)}"`;
        up.push(`raftinel_redis_up{${labels}} ${v.reachable ? 1 : 0}`);
        sdown.push(`raftinel_redis_sdown{${labels}} ${v.sdown ? 1 : 0}`);
        sdownObservers.push(`raftinel_redis_sdown_observers{${labels}} ${v.sdownBy.length}`);
        if (v.lastOkAgoMs != null)
          lastOk.push(`raftinel_redis_last_ok_age_seconds{${labels}} ${v.lastOkAgoMs / 1000}`);
        if (v.probeRttMs != null)
          latency.push(`raftinel_probe_latency_seconds{${labels}} ${seconds(v.probeRttMs)}`);
        if (v.lagBytes !== null) lag.push(`raftinel_replica_lag_bytes{${labels}} ${v.lagBytes}`);
      }
    }
    metric(
      'raftinel_shard_state',
      'gauge',
      'The shard state as every surface shows it (docs/design.md 5.3): 1 on its current state only.',
      shardState,
    );
    metric('raftinel_redis_up', 'gauge', '1 when this node gets valid replies from the Redis node.', up);
    metric('raftinel_redis_sdown', 'gauge', '1 when this node sees the Redis node subjectively down.', sdown);
    metric(
      'raftinel_redis_sdown_observers',
      'gauge',
      'raftinel nodes that see the Redis node subjectively down (the leader digest, else this node alone).',
      sdownObservers,
    );
    metric(
      'raftinel_redis_last_ok_age_seconds',
      'gauge',
      'Seconds since the last valid probe reply (grows past the ping interval when the node is silent).',
      lastOk,
    );
    metric(
      'raftinel_probe_latency_seconds',
      'gauge',
      'Round trip of the last probe (ROLE) of the Redis node answered with a valid reply; absent while unreachable.',
      latency,
    );
    metric(
      'raftinel_replica_lag_bytes',
      'gauge',
      'Replication lag behind the master, in bytes, as this node sees it; absent while the replica does not answer.',
      lag,
    );
    return out;
  }
}

/** Milliseconds as seconds, to the microsecond (no binary-fraction noise in the text). */
function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1e6;
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
