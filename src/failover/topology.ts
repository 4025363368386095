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
import { dict } from '../util/dict.js';

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
  return { shards: dict(), paused: false, history: dict() };
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
    lostHistory: [],
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
      const nodes = cmd.nodes ?? s.nodes;
      const maintenance = s.maintenance?.filter((id) => nodes.some((n) => n.id === id));
      set({
        ...s,
        settings: { ...s.settings, ...cmd.settings },
        nodes,
        ...(maintenance !== undefined ? { maintenance } : {}),
      });
      return [{ type: 'shard-changed', shard: cmd.name }];
    }
    case 'maintenance': {
      const s = topo.shards[cmd.shard];
      if (!s || !nodeOf(s, cmd.node)) return [];
      const others = (s.maintenance ?? []).filter((id) => id !== cmd.node);
      set({ ...s, maintenance: cmd.on ? [...others, cmd.node].sort() : others });
      return [{ type: 'shard-changed', shard: cmd.shard }];
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
      const runs = ((topo.hookRuns ??= dict())[cmd.shard] ??= []);
      if (runs.some((r) => r.epoch === cmd.epoch && r.hook === cmd.hook)) return [];
      const { type: _t, shard: _s, ...run } = cmd;
      runs.push(run);
      if (runs.length > HISTORY_PER_SHARD) runs.splice(0, runs.length - HISTORY_PER_SHARD);
      return [];
    }
    case 'ack': {
      // Lifts the cooldown, and acknowledges a note on a shard that has its master (the data
      // a kept master lost, masterKept); a shard without a master keeps saying why.
      const s = topo.shards[cmd.shard];
      if (s) set({ ...s, cooldownUntil: 0, problem: s.master !== null ? null : s.problem });
      return s && s.master !== null && s.problem !== null ? [{ type: 'shard-changed', shard: s.name }] : [];
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
      set({
        ...s,
        master: cmd.master,
        replId: cmd.replId,
        lostHistory: [],
        problem: null,
        epoch: Math.max(s.epoch, 0),
      });
      return [{ type: 'shard-changed', shard: s.name }];
    case 'shardProblem':
      if (s.master !== null || s.problem === cmd.problem) return [];
      set({ ...s, problem: cmd.problem });
      return [{ type: 'shard-changed', shard: s.name }];
    case 'failoverStarted': {
      const to = nodeOf(s, cmd.to);
      // A failover to the master itself is a proposal from a stale view (a switchover that
      // outlived another failover proposed r2 -> r2): refused, whoever proposed it, unless it
      // says so: the committed master promoted again in place (promotion.ts reinstateInPlace).
      const inPlace = cmd.inPlace === true && cmd.kind === 'failover' && cmd.from === s.master;
      if (s.failover || cmd.epoch !== s.epoch + 1 || !to || (cmd.to === s.master && !inPlace)) return [];
      // The leader chose the target on a fresh INFO showing the shard's history: if it was
      // found off it before, it regained it (full-synced from the master since). Kept in
      // lostHistory, it would count as resynced once unseen, and an empty master could be kept
      // while it holds the data (simulator seed 9958887). A forced promotion judged nothing.
      const unverified = cmd.allowDataLoss === true || cmd.adoptHistory === true;
      const lostHistory = unverified ? s.lostHistory : s.lostHistory?.filter((id) => id !== cmd.to);
      set({
        ...s,
        epoch: cmd.epoch,
        ...(lostHistory !== undefined ? { lostHistory } : {}),
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
          ...(unverified ? { allowDataLoss: true } : {}),
          ...(inPlace && cmd.history !== undefined ? { history: cmd.history } : {}),
          resynced: cmd.resynced ?? [],
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
        lostHistory: [],
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
      const lost = cmd.type === 'failoverAborted' ? (cmd.lostHistory ?? []) : [];
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
        resynced: union(f.resynced ?? [], lost),
      };
      pushHistory(topo, entry);
      // Cooldown holds back only automatic failovers, and starts from a published one (Promoted
      // committed: clients moved). An attempt aborted before it (a candidate off the history,
      // unreachable, or timed out) changed nothing for clients: the next candidate is tried at
      // once, or the next detection decides.
      const cooldownUntil =
        f.kind === 'failover' && f.promotedAt !== null
          ? cmd.at + s.settings.failoverCooldownMs
          : s.cooldownUntil;
      set({
        ...s,
        failover: null,
        cooldownUntil,
        lostHistory: union(s.lostHistory ?? [], lost),
        ...(lost.length > 0 ? { lostHistoryAt: cmd.at } : {}),
      });
      return [{ type: 'failover-ended', shard: s.name, epoch: f.epoch, entry }];
    }
    case 'masterKept': {
      if (s.failover || s.master !== cmd.master || cmd.epoch !== s.epoch + 1) return [];
      const entry: HistoryEntry = {
        shard: s.name,
        epoch: cmd.epoch,
        kind: 'failover',
        from: cmd.master,
        to: cmd.master,
        result: 'aborted',
        reason: cmd.reason,
        at: cmd.detectedAt,
        timeline: { detected: 0, ended: cmd.at - cmd.detectedAt },
        report: cmd.report,
        repointed: [],
        resynced: cmd.resynced,
      };
      pushHistory(topo, entry);
      set({ ...s, epoch: cmd.epoch, replId: cmd.replId, lostHistory: [], problem: cmd.reason });
      return [
        { type: 'failover-ended', shard: s.name, epoch: cmd.epoch, entry },
        { type: 'shard-changed', shard: s.name },
      ];
    }
    default:
      return [];
  }
}

function pushHistory(topo: Topology, entry: HistoryEntry): void {
  const list = (topo.history[entry.shard] ??= []);
  list.push(entry);
  if (list.length > HISTORY_PER_SHARD) list.splice(0, list.length - HISTORY_PER_SHARD);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
