// One-line renderings of the core's data, in etcd-io/raft's style:
//   1->2 MsgApp Term:2 Log:1/3 Commit:3 Entries:[2/4 EntryNormal "foo"]
// Log positions are written term/index, as etcd does.
import type { RaftStatus } from '../../../src/raft/raft.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  ReadState,
  Role,
  Snapshot,
  SoftState,
} from '../../../src/raft/types.js';

const roleNames: Record<Role, string> = {
  follower: 'StateFollower',
  'pre-candidate': 'StatePreCandidate',
  candidate: 'StateCandidate',
  leader: 'StateLeader',
};

export function fmtEntry(e: Entry): string {
  const pos = `${e.term}/${e.index}`;
  switch (e.kind) {
    case 'noop':
      return `${pos} EntryNoop`;
    case 'normal':
      return `${pos} EntryNormal ${JSON.stringify(e.data)}`;
    case 'conf':
      return `${pos} EntryConfChange ${fmtConfChange(JSON.parse(e.data) as ConfChange)}`;
  }
}

export function fmtConfChange(c: ConfChange): string {
  return c.type === 'bootstrap' ? `bootstrap voters=(${c.voters.join(',')})` : `${c.type} ${c.id}`;
}

export function fmtConf(c: ConfState): string {
  return `voters=(${c.voters.join(',')}) learners=(${c.learners.join(',')})`;
}

export function fmtSnapshot(s: Snapshot): string {
  return `Index:${s.meta.index} Term:${s.meta.term} Conf:${fmtConf(s.meta.conf)}`;
}

export function fmtHardState(h: HardState): string {
  return `HardState Term:${h.term} Vote:${h.vote ?? 'none'} Commit:${h.commit}`;
}

export function fmtSoft(s: SoftState): string {
  return `Lead:${s.leader ?? 'none'} State:${roleNames[s.role]}`;
}

export function fmtReadState(r: ReadState): string {
  return r.index < 0 ? `ReadId:${r.id} Refused` : `ReadId:${r.id} Index:${r.index}`;
}

export function fmtMsg(m: Message): string {
  const head = `${m.from}->${m.to} Msg${m.type} Term:${m.term}`;
  switch (m.type) {
    case 'PreVote':
    case 'Vote':
      return `${head} Log:${m.lastTerm}/${m.lastIndex}${m.transfer !== undefined ? ` Transfer:${m.transfer}` : ''}`;
    case 'PreVoteResp':
    case 'VoteResp':
      return m.reject ? `${head} Rejected` : head;
    case 'App': {
      const entries = m.entries.length > 0 ? ` Entries:[${m.entries.map(fmtEntry).join(', ')}]` : '';
      return `${head} Log:${m.prevTerm}/${m.prevIndex} Commit:${m.commit}${entries}`;
    }
    case 'AppResp':
      return m.reject
        ? `${head} Index:${m.index} Rejected (Hint: ${m.hintTerm}/${m.hintIndex})`
        : `${head} Index:${m.index}`;
    case 'Heartbeat':
      return `${head} Seq:${m.seq} Commit:${m.commit}${m.readCtx > 0 ? ` ReadCtx:${m.readCtx}` : ''}`;
    case 'HeartbeatResp':
      return `${head} Seq:${m.seq}${m.readCtx > 0 ? ` ReadCtx:${m.readCtx}` : ''}`;
    case 'Snap':
      return `${head} Snapshot: ${fmtSnapshot(m.snapshot)}`;
    case 'TimeoutNow':
      return head;
    case 'ReadIndex':
      return `${head} ReadId:${m.readId}`;
    case 'ReadIndexResp':
      return `${head} ReadId:${m.readId} ${m.index < 0 ? 'Refused' : `Index:${m.index}`}`;
  }
}

export function fmtStatus(s: RaftStatus, data: readonly string[]): string[] {
  const lines = [
    `${s.id}: Term:${s.term} Vote:${s.vote ?? 'none'} ${fmtSoft(s)}${s.role === 'leader' ? ` Lease:${s.lease}` : ''}`,
    `  Commit:${s.commit} Applied:${s.applied} Last:${s.lastTerm}/${s.lastIndex} Snapshot:${s.snapshotIndex}`,
    `  Conf: ${fmtConf(s.conf)}`,
  ];
  for (const [id, pr] of [...s.progress].sort(([a], [b]) => compareIds(a, b))) {
    lines.push(`  Progress ${id}: ${pr.state} match=${pr.match} next=${pr.next}`);
  }
  lines.push(`  Data: [${data.map((d) => JSON.stringify(d)).join(' ')}]`);
  return lines;
}

/** Numeric ids sort numerically ("2" before "10"), others as strings. */
export function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
