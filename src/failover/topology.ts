// The replicated topology: a deterministic reducer applied to every committed TopologyCommand
// on every node, in log order. It validates each command against the current state, so a
// stale or duplicated proposal is a no-op rather than a second promotion (invariant 2).
import type {
  HistoryEntry,
  HookRun,
  RedisNodeSpec,
  ShardSpec,
  ShardState,
  TopologyCommand,
} from './types.js';

export const HISTORY_PER_SHARD = 50;

export interface Topology {
  shards: Record<string, ShardState>;
  /** Global pause: no automatic failover anywhere. */
  paused: boolean;
  history: Record<string, HistoryEntry[]>;
  /** Hook runs per shard (the last HISTORY_PER_SHARD), committed by the leader that ran them. */
  hookRuns?: Record<string, HookRun[]>;
}

/** What changed, for publication (RESP events, SSE, metrics); never used to decide anything. */
export type TopologyEvent =
  | {
      readonly type: 'switch-master';
      readonly shard: string;
      readonly epoch: number;
      readonly from: RedisNodeSpec | null;
      readonly to: RedisNodeSpec;
      /** Wall-clock ms of Promoted (the proposing leader's, committed). */
      readonly at: number;
    }
  | {
      readonly type: 'failover-started';
      readonly shard: string;
      readonly epoch: number;
      readonly to: RedisNodeSpec;
      readonly kind: string;
    }
  | {
      readonly type: 'failover-ended';
      readonly shard: string;
      readonly epoch: number;
      readonly entry: HistoryEntry;
    }
  | {
      readonly type: 'failover-resumed';
      readonly shard: string;
      readonly epoch: number;
      readonly term: number;
    }
  | { readonly type: 'shard-changed'; readonly shard: string };

export function emptyTopology(): Topology {
  return { shards: {}, paused: false, history: {} };
}

export function shardFromSpec(spec: ShardSpec): ShardState {
  return {
    name: spec.name,
    nodes: spec.nodes,
    settings: spec.settings,
    initialMaster: spec.initialMaster,
    master: null,
    epoch: 0,
    replId: null,
    failover: null,
    paused: false,
    cooldownUntil: 0,
    problem: null,
  };
}

export function nodeOf(shard: ShardState, id: string | null): RedisNodeSpec | null {
  return shard.nodes.find((n) => n.id === id) ?? null;
}

/** Applies one committed command; `term` is the Raft term of its entry. Returns what changed. */
export function applyTopologyCommand(topo: Topology, cmd: TopologyCommand, term: number): TopologyEvent[] {
  const set = (s: ShardState): void => {
    topo.shards[s.name] = s;
  };
  switch (cmd.type) {
    case 'bootstrapShards': {
      if (Object.keys(topo.shards).length > 0) return [];
      for (const spec of cmd.shards) set(shardFromSpec(spec));
      return cmd.shards.map((s) => ({ type: 'shard-changed', shard: s.name }));
    }
    case 'addShard':
      if (topo.shards[cmd.shard.name]) return [];
      set(shardFromSpec(cmd.shard));
      return [{ type: 'shard-changed', shard: cmd.shard.name }];
    case 'setShard': {
      const s = topo.shards[cmd.name];
      if (!s) return [];
      set({ ...s, settings: { ...s.settings, ...cmd.settings }, nodes: cmd.nodes ?? s.nodes });
      return [{ type: 'shard-changed', shard: cmd.name }];
    }
    case 'removeShard':
      if (!topo.shards[cmd.name]) return [];
      delete topo.shards[cmd.name];
      return [{ type: 'shard-changed', shard: cmd.name }];
    case 'pause':
    case 'resume': {
      const paused = cmd.type === 'pause';
      if (cmd.shard === null) topo.paused = paused;
      else if (topo.shards[cmd.shard]) set({ ...topo.shards[cmd.shard], paused });
      return cmd.shard ? [{ type: 'shard-changed', shard: cmd.shard }] : [];
    }
    case 'hookResult': {
      if (!topo.shards[cmd.shard]) return [];
      const runs = ((topo.hookRuns ??= {})[cmd.shard] ??= []);
      if (runs.some((r) => r.epoch === cmd.epoch && r.hook === cmd.hook)) return [];
      const { type: _t, shard: _s, ...run } = cmd;
      runs.push(run);
      if (runs.length > HISTORY_PER_SHARD) runs.splice(0, runs.length - HISTORY_PER_SHARD);
      return [];
    }
    case 'ack': {
      const s = topo.shards[cmd.shard];
      if (s) set({ ...s, cooldownUntil: 0 });
      return [];
    }
    default:
      return applyShardCommand(topo, cmd, term);
  }
}

function applyShardCommand(topo: Topology, cmd: TopologyCommand, term: number): TopologyEvent[] {
  if (!('shard' in cmd) || typeof cmd.shard !== 'string') return [];
  const s = topo.shards[cmd.shard];
  if (!s) return [];
  const set = (next: ShardState): void => {
    topo.shards[s.name] = next;
  };
  switch (cmd.type) {
    case 'masterAdopted':
      if (s.master !== null || !nodeOf(s, cmd.master)) return [];
      set({ ...s, master: cmd.master, replId: cmd.replId, problem: null, epoch: Math.max(s.epoch, 0) });
      return [{ type: 'shard-changed', shard: s.name }];
    case 'shardProblem':
      if (s.master !== null || s.problem === cmd.problem) return [];
      set({ ...s, problem: cmd.problem });
      return [{ type: 'shard-changed', shard: s.name }];
    case 'failoverStarted': {
      const to = nodeOf(s, cmd.to);
      if (s.failover || cmd.epoch !== s.epoch + 1 || !to) return [];
      set({
        ...s,
        epoch: cmd.epoch,
        failover: {
          epoch: cmd.epoch,
          kind: cmd.kind,
          from: cmd.from,
          to: cmd.to,
          step: 'started',
          term,
          detectedAt: cmd.detectedAt,
          startedAt: cmd.at,
          promotedAt: null,
          report: cmd.report,
        },
      });
      return [{ type: 'failover-started', shard: s.name, epoch: cmd.epoch, to, kind: cmd.kind }];
    }
    case 'failoverResumed':
      if (s.failover?.epoch !== cmd.epoch) return [];
      set({ ...s, failover: { ...s.failover, term } });
      return [{ type: 'failover-resumed', shard: s.name, epoch: cmd.epoch, term }];
    case 'promoted': {
      const f = s.failover;
      if (f?.epoch !== cmd.epoch || f.step !== 'started') return [];
      const from = nodeOf(s, s.master);
      const to = nodeOf(s, f.to) as RedisNodeSpec;
      set({
        ...s,
        master: f.to,
        replId: cmd.replId,
        problem: null,
        failover: { ...f, step: 'promoted', term, promotedAt: cmd.at },
      });
      return [{ type: 'switch-master', shard: s.name, epoch: f.epoch, from, to, at: cmd.at }];
    }
    case 'failoverEnded':
    case 'failoverAborted': {
      const f = s.failover;
      if (f?.epoch !== cmd.epoch) return [];
      const ended = cmd.type === 'failoverEnded';
      const entry: HistoryEntry = {
        shard: s.name,
        epoch: f.epoch,
        kind: f.kind,
        from: f.from,
        to: f.to,
        result: ended ? 'ended' : 'aborted',
        reason: ended ? null : cmd.reason,
        at: f.detectedAt,
        timeline: ended ? cmd.timeline : {},
        report: f.report,
        repointed: ended ? cmd.repointed : [],
      };
      const list = (topo.history[s.name] ??= []);
      list.push(entry);
      if (list.length > HISTORY_PER_SHARD) list.splice(0, list.length - HISTORY_PER_SHARD);
      // Cooldown holds back only automatic failovers, and starts from a finished one.
      const cooldownUntil = f.kind === 'failover' ? cmd.at + s.settings.failoverCooldownMs : s.cooldownUntil;
      set({ ...s, failover: null, cooldownUntil });
      return [{ type: 'failover-ended', shard: s.name, epoch: f.epoch, entry }];
    }
    default:
      return [];
  }
}
