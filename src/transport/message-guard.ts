// The border check for Raft messages: a peer's bytes become a Message only after every field
// has the type src/raft/types.ts promises, and the result is rebuilt from those fields alone.
import type { ConfState, Entry, EntryKind, Message, MessageType, NodeId, Snapshot } from '../raft/types.js';
import {
  bool,
  fields,
  ident,
  int,
  list,
  nat,
  oneOf,
  parseWith,
  ShapeError,
  str,
  type Fields,
  type Parsed,
} from './shape.js';

/** Node ids longer than this are refused at the border (config ids are far shorter). */
export const MAX_NODE_ID_LENGTH = 128;

export const MESSAGE_TYPES = [
  'PreVote',
  'Vote',
  'PreVoteResp',
  'VoteResp',
  'App',
  'AppResp',
  'Heartbeat',
  'HeartbeatResp',
  'Snap',
  'TimeoutNow',
  'ReadIndex',
  'ReadIndexResp',
] as const satisfies readonly MessageType[];

// Fails to compile when src/raft/types.ts gains a message type this list does not know.
type UnlistedType = Exclude<MessageType, (typeof MESSAGE_TYPES)[number]>;
const everyTypeListed: [UnlistedType] extends [never] ? true : never = true;
void everyTypeListed;

const ENTRY_KINDS: readonly EntryKind[] = ['normal', 'noop', 'conf'];

function nodeId(obj: Fields, key: string, path: string): NodeId {
  return ident(obj, key, path, MAX_NODE_ID_LENGTH);
}

function nodeIds(obj: Fields, key: string, path: string): NodeId[] {
  return list(obj, key, path).map((value, i) => {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NODE_ID_LENGTH) {
      throw new ShapeError(`${path}.${key}[${i}]: expected a node id`);
    }
    return value;
  });
}

function readEntry(value: unknown, path: string): Entry {
  const e = fields(value, path);
  return {
    index: nat(e, 'index', path),
    term: nat(e, 'term', path),
    kind: oneOf(e, 'kind', path, ENTRY_KINDS),
    data: str(e, 'data', path),
  };
}

function readConf(value: unknown, path: string): ConfState {
  const c = fields(value, path);
  return { voters: nodeIds(c, 'voters', path), learners: nodeIds(c, 'learners', path) };
}

function readSnapshot(value: unknown, path: string): Snapshot {
  const s = fields(value, path);
  const meta = fields(s.meta, `${path}.meta`);
  return {
    meta: {
      index: nat(meta, 'index', `${path}.meta`),
      term: nat(meta, 'term', `${path}.meta`),
      conf: readConf(meta.conf, `${path}.meta.conf`),
    },
    data: str(s, 'data', path),
  };
}

function readMessage(value: unknown): Message {
  const path = 'message';
  const m = fields(value, path);
  const base = { from: nodeId(m, 'from', path), to: nodeId(m, 'to', path), term: nat(m, 'term', path) };
  const type = oneOf(m, 'type', path, MESSAGE_TYPES);
  switch (type) {
    case 'PreVote':
    case 'Vote': {
      const transfer = m.transfer === undefined ? undefined : nodeId(m, 'transfer', path);
      const vote = {
        ...base,
        type,
        lastIndex: nat(m, 'lastIndex', path),
        lastTerm: nat(m, 'lastTerm', path),
      };
      return transfer === undefined ? vote : { ...vote, transfer };
    }
    case 'PreVoteResp':
    case 'VoteResp':
      return { ...base, type, reject: bool(m, 'reject', path) };
    case 'App':
      return {
        ...base,
        type,
        prevIndex: nat(m, 'prevIndex', path),
        prevTerm: nat(m, 'prevTerm', path),
        entries: list(m, 'entries', path).map((e, i) => readEntry(e, `${path}.entries[${i}]`)),
        commit: nat(m, 'commit', path),
      };
    case 'AppResp':
      return {
        ...base,
        type,
        index: nat(m, 'index', path),
        reject: bool(m, 'reject', path),
        hintIndex: nat(m, 'hintIndex', path),
        hintTerm: nat(m, 'hintTerm', path),
      };
    case 'Heartbeat':
      return {
        ...base,
        type,
        commit: nat(m, 'commit', path),
        readCtx: nat(m, 'readCtx', path),
        seq: nat(m, 'seq', path),
        ...(m.quorumSeq === undefined ? {} : { quorumSeq: nat(m, 'quorumSeq', path) }),
        ...(m.leaderCommit === undefined ? {} : { leaderCommit: nat(m, 'leaderCommit', path) }),
      };
    case 'HeartbeatResp':
      return { ...base, type, readCtx: nat(m, 'readCtx', path), seq: nat(m, 'seq', path) };
    case 'Snap':
      return { ...base, type, snapshot: readSnapshot(m.snapshot, `${path}.snapshot`) };
    case 'TimeoutNow':
      return { ...base, type };
    case 'ReadIndex':
      return { ...base, type, readId: nat(m, 'readId', path) };
    case 'ReadIndexResp':
      // -1: the leader refused the read (see ReadIndexResponse).
      return { ...base, type, readId: nat(m, 'readId', path), index: int(m, 'index', path, -1) };
    default: {
      const unhandled: never = type;
      return unhandled;
    }
  }
}

/** Validates a Raft message from the wire and returns a copy holding only the known fields. */
export function parseMessage(value: unknown): Parsed<Message> {
  return parseWith(() => readMessage(value));
}
