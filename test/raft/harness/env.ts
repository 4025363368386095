// The interaction environment (etcd-io/raft rafttest.InteractionEnv): RaftCore instances in one
// process, each with an in-memory storage and state machine, and one message queue between them.
// Nothing happens unless a command says so: ticks, Ready handling and message delivery are all
// explicit, which is what makes a scenario replayable line by line.
import { RaftCore, type RaftConfig } from '../../../src/raft/raft.js';
import { RaftError, type Message, type NodeId, type Ready, type SoftState } from '../../../src/raft/types.js';
import type { RaftPersistedState } from '../../../src/runtime/ports.js';
import {
  compareIds,
  fmtConf,
  fmtEntry,
  fmtHardState,
  fmtMsg,
  fmtReadState,
  fmtSnapshot,
  fmtSoft,
} from './format.js';
import type { NodeStorage } from './storage.js';

export interface NodeOptions {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** The randomized election timeout, in [electionTicks, 2 * electionTicks). */
  readonly timeoutTicks: number;
  readonly maxBatchEntries?: number;
  readonly maxInflight?: number;
  /** RaftConfig.abstain: the node neither votes nor campaigns (a voter rejoining empty). */
  readonly abstain?: boolean;
}

/** One applied command of the state machine. */
interface Applied {
  readonly index: number;
  readonly data: string;
}

export interface SimNode {
  readonly id: NodeId;
  core: RaftCore;
  readonly storage: NodeStorage;
  readonly options: NodeOptions;
  /** The state machine: the normal entries applied, in order. */
  applied: Applied[];
  /** The soft state of the last Ready handled, to print only changes. */
  lastSoft: SoftState;
}

interface Observed {
  readonly role: string;
  readonly term: number;
  readonly leader: NodeId | null;
}

export class InteractionEnv {
  readonly nodes = new Map<NodeId, SimNode>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  /**
   * Nodes cut off from everyone: messages from or to them are dropped when sent (marked
   * `(dropped)` in the Ready) and, if the partition started later, when delivered.
   */
  readonly isolated = new Set<NodeId>();
  /** Data dir copies taken by `backup`, for `restart <id> from=backup`. */
  readonly backups = new Map<NodeId, RaftPersistedState>();
  /** Cut links (both directions), as "a|b" with a < b. */
  readonly cut = new Set<string>();
  nextReadId = 1;
  private out: string[] = [];

  // ---- output -------------------------------------------------------------------------------

  print(line: string): void {
    this.out.push(line);
  }

  /** Runs fn, discarding what it prints. */
  silently(fn: () => void): void {
    const mark = this.out.length;
    fn();
    this.out.length = mark;
  }

  /** Returns and clears what the current command printed. */
  takeOutput(): string {
    const s = this.out.join('\n');
    this.out = [];
    return s;
  }

  // ---- nodes --------------------------------------------------------------------------------

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()].sort(compareIds);
  }

  addNode(id: NodeId, storage: NodeStorage, options: NodeOptions): void {
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    const core = newCore(id, storage, options);
    const node: SimNode = { id, core, storage, options, applied: [], lastSoft: softOf(core) };
    restoreStateMachine(node);
    this.nodes.set(id, node);
  }

  /** Rebuilds a node from its storage: everything not persisted is lost. */
  restart(id: NodeId, abstain = false): void {
    const n = this.node(id);
    n.core = newCore(id, n.storage, abstain ? { ...n.options, abstain } : n.options);
    n.lastSoft = softOf(n.core);
    restoreStateMachine(n);
  }

  /**
   * Runs `fn` on node `id` and prints the role, term and leader changes it caused (the core has
   * no logger; these lines stand in for etcd's "became leader at term 2"). RaftErrors are
   * printed as `error <code>: message`; other throws print as `PANIC`, never hidden.
   */
  observe(id: NodeId, fn: (core: RaftCore) => void, indent = ''): void {
    const n = this.node(id);
    const before = observed(n.core);
    try {
      fn(n.core);
    } catch (err) {
      if (err instanceof RaftError) this.print(`${indent}error ${err.code}: ${err.message}`);
      else this.print(`${indent}PANIC ${(err as Error).message}`);
    }
    const after = observed(n.core);
    if (after.role !== before.role || after.term !== before.term) {
      this.print(`${indent}${id} became ${after.role} at term ${after.term}`);
    }
    if (after.leader !== before.leader && after.leader !== null && after.leader !== id) {
      this.print(`${indent}${id} follows leader ${after.leader} at term ${after.term}`);
    }
  }

  // ---- Ready handling -----------------------------------------------------------------------

  /**
   * Handles one Ready of `id` in the runtime's order: persist -> send -> apply -> advance.
   * Returns false when the node had nothing ready.
   */
  processReady(id: NodeId): boolean {
    const n = this.node(id);
    if (!n.core.hasReady()) return false;
    const prevConf = n.core.conf;
    const rd = n.core.ready();
    this.print(`> ${id} handling Ready`);
    const fmtSent = (m: Message): string => (this.blocked(m) ? `${fmtMsg(m)} (dropped)` : fmtMsg(m));
    for (const line of describeReady(rd, n.lastSoft, fmtSent)) this.print(`  ${line}`);
    n.lastSoft = rd.soft;
    const fsyncs = n.storage.persist(rd);
    if (fsyncs !== null) {
      // crash-in-save: the process died inside this save; nothing of the Ready went further.
      this.print(`  ${id} crashed inside the save, after ${fsyncs} fsync(s)`);
      this.restart(id);
      this.print(`  ${describeRestart(id, n.storage)}`);
      return true;
    }
    // A message sent across a partition is lost, even if the partition heals before delivery.
    for (const m of rd.messages) if (this.nodes.has(m.to) && !this.blocked(m)) this.queue.push(m);
    applyToStateMachine(n, rd);
    this.observe(id, (core) => core.advance(rd), '  ');
    if (n.core.conf !== prevConf) this.print(`  ${id} applied conf: ${fmtConf(n.core.conf)}`);
    return true;
  }

  /**
   * Delivers every queued message addressed to `id`, or only those whose printed type is
   * `type` (e.g. MsgHeartbeat); the others stay queued, in order, as if delayed.
   */
  deliver(id: NodeId, type?: string): boolean {
    const picked = (m: Message): boolean => m.to === id && (type === undefined || `Msg${m.type}` === type);
    const mine = this.queue.filter(picked);
    if (mine.length === 0) return false;
    this.queue = this.queue.filter((m) => !picked(m));
    this.print(`> ${id} receiving messages`);
    for (const m of mine) {
      if (this.blocked(m)) {
        this.print(`  dropped: ${fmtMsg(m)}`);
        continue;
      }
      this.print(`  ${fmtMsg(m)}`);
      this.observe(id, (core) => core.step(m), '  ');
    }
    return true;
  }

  blocked(m: Message): boolean {
    return this.isolated.has(m.from) || this.isolated.has(m.to) || this.cut.has(linkKey(m.from, m.to));
  }

  /** Removes queued messages addressed to any of `ids` (of `type` only, if given), printing each. */
  drop(ids: readonly NodeId[], type?: string): void {
    const set = new Set(ids);
    const picked = (m: Message): boolean => set.has(m.to) && (type === undefined || `Msg${m.type}` === type);
    for (const m of this.queue) if (picked(m)) this.print(`dropped: ${fmtMsg(m)}`);
    this.queue = this.queue.filter((m) => !picked(m));
  }
}

export function linkKey(a: NodeId, b: NodeId): string {
  return compareIds(a, b) < 0 ? `${a}|${b}` : `${b}|${a}`;
}

function observed(core: RaftCore): Observed {
  return { role: core.role, term: core.term, leader: core.leader };
}

function newCore(id: NodeId, storage: NodeStorage, o: NodeOptions): RaftCore {
  // random() is constant, so every randomized timeout of the node is exactly timeoutTicks.
  const r = (o.timeoutTicks - o.electionTicks + 0.5) / o.electionTicks;
  const config: RaftConfig = {
    id,
    electionTicks: o.electionTicks,
    heartbeatTicks: o.heartbeatTicks,
    random: () => r,
    ...(o.maxBatchEntries !== undefined ? { maxBatchEntries: o.maxBatchEntries } : {}),
    ...(o.maxInflight !== undefined ? { maxInflight: o.maxInflight } : {}),
    ...(o.abstain === true ? { abstain: true } : {}),
  };
  return new RaftCore(config, {
    hardState: { ...storage.hardState },
    snapshot: storage.snapshot,
    entries: [...storage.entries],
  });
}

function softOf(core: RaftCore): SoftState {
  return { role: core.role, term: core.term, leader: core.leader };
}

function describeReady(rd: Ready, prev: SoftState, fmtSent: (m: Message) => string): string[] {
  const lines: string[] = [];
  if (rd.soft.role !== prev.role || rd.soft.leader !== prev.leader) lines.push(fmtSoft(rd.soft));
  if (rd.hardState) lines.push(fmtHardState(rd.hardState));
  if (rd.snapshot) lines.push(`Snapshot ${fmtSnapshot(rd.snapshot)}`);
  const section = (title: string, items: readonly string[]): void => {
    if (items.length === 0) return;
    lines.push(`${title}:`);
    lines.push(...items);
  };
  section('Entries', rd.entries.map(fmtEntry));
  section('CommittedEntries', rd.committed.map(fmtEntry));
  section('Messages', rd.messages.map(fmtSent));
  section('ReadStates', rd.readStates.map(fmtReadState));
  return lines;
}

function applyToStateMachine(n: SimNode, rd: Ready): void {
  if (rd.snapshot) n.applied = decodeSnapshotData(rd.snapshot.data);
  for (const e of rd.committed) if (e.kind === 'normal') n.applied.push({ index: e.index, data: e.data });
}

function restoreStateMachine(n: SimNode): void {
  n.applied = n.storage.snapshot ? decodeSnapshotData(n.storage.snapshot.data) : [];
}

/** The state machine as of `index`, serialized for a snapshot. */
export function snapshotData(n: SimNode, index: number): string {
  return JSON.stringify(n.applied.filter((a) => a.index <= index));
}

function decodeSnapshotData(data: string): Applied[] {
  return data === '' ? [] : (JSON.parse(data) as Applied[]);
}

/** `<id> restarted from HardState ... LastEntry:term/index`: what a restarted node found on disk. */
export function describeRestart(id: NodeId, s: NodeStorage): string {
  const entries = s.entries;
  const last = entries.length > 0 ? entries[entries.length - 1] : null;
  const snapshot = s.snapshot;
  const snap = snapshot ? ` Snapshot:${snapshot.meta.term}/${snapshot.meta.index}` : '';
  const lastPos = last ? `${last.term}/${last.index}` : 'none';
  return `${id} restarted from ${fmtHardState(s.hardState)}${snap} LastEntry:${lastPos}`;
}
