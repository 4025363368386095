// The replicated state of the raftinel cluster, applied identically on every node from the
// Raft log: the members' advertised addresses (and, with the failover issue, the shards).
import {
  applyTopologyCommand,
  emptyTopology,
  type Topology,
  type TopologyEvent,
} from '../failover/topology.js';
import type { TopologyCommand } from '../failover/types.js';
import type { ConfChange, Entry, NodeId } from '../raft/types.js';
import type { StateMachine } from '../runtime/raft-runtime.js';
import { dict, dictFrom } from '../util/dict.js';

export interface MemberAddresses {
  readonly raft: string;
  readonly http: string | null;
  readonly sentinel: string | null;
}

/** Commands carried by `normal` entries, JSON-encoded. */
export type ClusterCommand =
  | { readonly type: 'setMemberAddresses'; readonly id: NodeId; readonly addresses: MemberAddresses }
  | { readonly type: 'topology'; readonly command: TopologyCommand }
  /** Only with --debug-routes: lets tests and the benchmark commit entries. */
  | { readonly type: 'debugAppend'; readonly value: string };

interface State {
  members: Record<NodeId, MemberAddresses>;
  topology: Topology;
  debugCount: number;
  debugLast: string | null;
}

export class ClusterState implements StateMachine {
  private state: State = { members: dict(), topology: emptyTopology(), debugCount: 0, debugLast: null };
  private readonly listeners: (() => void)[] = [];
  private readonly topologyListeners: ((events: readonly TopologyEvent[], index: number) => void)[] = [];

  apply(entry: Entry): unknown {
    if (entry.kind === 'conf') this.applyConfChange(JSON.parse(entry.data) as ConfChange);
    else if (entry.kind === 'normal')
      return this.applyCommand(JSON.parse(entry.data) as ClusterCommand, entry);
    return null;
  }

  topology(): Topology {
    return this.state.topology;
  }

  /** Called after each applied topology command with what changed (publication hooks in here). */
  onTopology(listener: (events: readonly TopologyEvent[], index: number) => void): void {
    this.topologyListeners.push(listener);
  }

  snapshot(): string {
    return JSON.stringify(this.state);
  }

  restore(data: string): void {
    const parsed = JSON.parse(data) as State;
    this.state = {
      ...parsed,
      members: dictFrom(parsed.members),
      topology: {
        ...parsed.topology,
        shards: dictFrom(parsed.topology.shards),
        history: dictFrom(parsed.topology.history),
        ...(parsed.topology.hookRuns ? { hookRuns: dictFrom(parsed.topology.hookRuns) } : {}),
      },
    };
    this.changed();
    for (const l of this.topologyListeners) l([], 0);
  }

  members(): Readonly<Record<NodeId, MemberAddresses>> {
    return this.state.members;
  }

  debug(): { count: number; last: string | null } {
    return { count: this.state.debugCount, last: this.state.debugLast };
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private applyCommand(cmd: ClusterCommand, entry: Entry): unknown {
    switch (cmd.type) {
      case 'topology': {
        const events = applyTopologyCommand(this.state.topology, cmd.command, entry.term);
        for (const l of this.topologyListeners) l(events, entry.index);
        return events.length;
      }
      case 'setMemberAddresses':
        this.state.members[cmd.id] = cmd.addresses;
        this.changed();
        return null;
      case 'debugAppend':
        this.state.debugCount++;
        this.state.debugLast = cmd.value;
        return { count: this.state.debugCount, index: entry.index };
    }
  }

  private applyConfChange(change: ConfChange): void {
    const context = change.context ? (JSON.parse(change.context) as Record<NodeId, MemberAddresses>) : {};
    if (change.type === 'bootstrap') {
      for (const id of change.voters) {
        this.state.members[id] = context[id] ?? { raft: '', http: null, sentinel: null };
      }
    } else if (change.type === 'addLearner') {
      const addrs = context[change.id];
      if (addrs) this.state.members[change.id] = addrs;
    } else if (change.type === 'remove') {
      delete this.state.members[change.id];
    }
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
