// Shape checks for what comes back from disk. A checksum proves bytes are what we wrote, not that
// what we wrote was well-formed; a wrong shape must refuse to start instead of reaching the core.
import type { ConfState, Entry, EntryKind, HardState, Snapshot } from '../raft/types.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

const kinds: readonly EntryKind[] = ['normal', 'noop', 'conf'];

/** The entry, rebuilt from known fields only, or null when `v` is not one. */
export function toEntry(v: unknown): Entry | null {
  if (!isObject(v)) return null;
  const { index, term, kind, data } = v;
  if (!isCount(index) || index < 1 || !isCount(term)) return null;
  if (!kinds.includes(kind as EntryKind) || typeof data !== 'string') return null;
  return { index, term, kind: kind as EntryKind, data };
}

export function toHardState(v: unknown): HardState | null {
  if (!isObject(v)) return null;
  const { term, vote, commit } = v;
  if (!isCount(term) || !isCount(commit)) return null;
  if (vote !== null && typeof vote !== 'string') return null;
  return { term, vote, commit };
}

function toConfState(v: unknown): ConfState | null {
  if (!isObject(v) || !isStringArray(v.voters) || !isStringArray(v.learners)) return null;
  return { voters: [...v.voters], learners: [...v.learners] };
}

export function toSnapshot(v: unknown): Snapshot | null {
  if (!isObject(v) || !isObject(v.meta) || typeof v.data !== 'string') return null;
  const { index, term, conf } = v.meta;
  const confState = toConfState(conf);
  if (!isCount(index) || !isCount(term) || confState === null) return null;
  return { meta: { index, term, conf: confState }, data: v.data };
}
