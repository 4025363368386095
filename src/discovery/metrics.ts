// GET /metrics in the Prometheus text format (version 0.0.4), with conventional names and base
// units (seconds, bytes). Counters live for the process; gauges are read when scraped.
import type { Topology, TopologyEvent } from '../failover/topology.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import { ChangeCache, ViewChanges } from './change-cache.js';
import type { ShardStates } from './shard-states.js';
import { ProcessMetrics } from './process-metrics.js';

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

export interface MetricsDeps {
  readonly runtime: RaftRuntime;
  readonly topology: () => Topology;
  /** Each Redis node's state (node-state.ts), the same records HTTP and RESP read. */
  readonly states: ShardStates;
  /** Changes of topology and observations: the per-node series are rebuilt only after one. */
  readonly changes?: ViewChanges;
  readonly now?: () => number;
}

export class Metrics {
  private readonly failovers = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
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
      const seconds = (e.entry.timeline.ended ?? 0) / 1000;
      const key = `shard="${esc(e.shard)}",kind="${e.entry.kind}"`;
      const h = this.durations.get(key) ?? { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      DURATION_BUCKETS.forEach((b, i) => {
        if (seconds <= b) h.buckets[i]++;
      });
      h.sum += seconds;
      h.count++;
      this.durations.set(key, h);
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
    const hist: string[] = [];
    for (const [labels, h] of this.durations) {
      DURATION_BUCKETS.forEach((b, i) =>
        hist.push(`raftinel_failover_duration_seconds_bucket{${labels},le="${b}"} ${h.buckets[i]}`),
      );
      hist.push(`raftinel_failover_duration_seconds_bucket{${labels},le="+Inf"} ${h.count}`);
      hist.push(
        `raftinel_failover_duration_seconds_sum{${labels}} ${h.sum}`,
        `raftinel_failover_duration_seconds_count{${labels}} ${h.count}`,
      );
    }
    metric(
      'raftinel_failover_duration_seconds',
      'histogram',
      'Time from detection to the end of a failover or switchover.',
      hist,
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
