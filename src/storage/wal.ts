// The write-ahead log (raft.wal): one frame per Ready, carrying everything that Ready asks to
// persist, so a crash keeps all of it or none of it (a frame is whole or it is a torn tail):
//   {"hardState":{term,vote,commit}?, "snapshot":{index,term}?, "entries":[...]}
// A snapshot's data lives in its own file (snapshot-files.ts), written and fsynced before the
// frame that names it. Replaying the frames in order rebuilds the state; an entry replaces the
// stored one at its index and everything after it, as RaftStorage.save does.
import type { Entry, HardState } from '../raft/types.js';
import { RaftinelError } from '../util/errors.js';
import { entriesToAppend } from './append.js';
import { encodeFrame, entryJson, MAX_RECORD_BYTES, scanFrames, type FrameScan } from './record.js';
import { toEntry, toHardState } from './validate.js';

export const WAL_FILE = 'raft.wal';

export interface SnapshotRef {
  readonly index: number;
  readonly term: number;
}

export interface WalRecord {
  readonly hardState?: HardState;
  readonly snapshot?: SnapshotRef;
  readonly entries: readonly Entry[];
}

export function encodeWalRecord(r: WalRecord): Buffer {
  // Each entry is serialized once, and checked against the per-entry limit the log had before
  // the WAL, so that the same entries are accepted.
  const parts = r.entries.map((e) => {
    const json = JSON.stringify(entryJson(e));
    if (Buffer.byteLength(json, 'utf8') > MAX_RECORD_BYTES) {
      throw new RaftinelError(
        'entry_too_large',
        `entry ${e.index} is over the ${MAX_RECORD_BYTES}-byte record limit`,
      );
    }
    return json;
  });
  const head: string[] = [];
  if (r.hardState) {
    const { term, vote, commit } = r.hardState;
    head.push(`"hardState":${JSON.stringify({ term, vote, commit })}`);
  }
  if (r.snapshot) {
    head.push(`"snapshot":${JSON.stringify({ index: r.snapshot.index, term: r.snapshot.term })}`);
  }
  head.push(`"entries":[${parts.join(',')}]`);
  return encodeFrame(Buffer.from(`{${head.join(',')}}`, 'utf8'), undefined, 'one Ready');
}

function toSnapshotRef(v: unknown): SnapshotRef | null {
  if (typeof v !== 'object' || v === null) return null;
  const { index, term } = v as Record<string, unknown>;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term)) return null;
  if ((index as number) < 1 || (term as number) < 0) return null;
  return { index: index as number, term: term as number };
}

export function toWalRecord(v: unknown): WalRecord | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.entries)) return null;
  const entries: Entry[] = [];
  for (const x of o.entries) {
    const e = toEntry(x);
    if (e === null) return null;
    entries.push(e);
  }
  let hardState: HardState | undefined;
  if (o.hardState !== undefined) {
    const hs = toHardState(o.hardState);
    if (hs === null) return null;
    hardState = hs;
  }
  let snapshot: SnapshotRef | undefined;
  if (o.snapshot !== undefined) {
    const ref = toSnapshotRef(o.snapshot);
    if (ref === null) return null;
    snapshot = ref;
  }
  return { hardState, snapshot, entries };
}

export function scanWal(buf: Buffer, file: string): FrameScan<WalRecord> {
  return scanFrames(buf, file, toWalRecord, 'a WAL record');
}

export interface Replayed {
  hardState: HardState;
  snapshot: SnapshotRef | null;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
}

/**
 * The state the records leave, or why they cannot have been written by us (an append with a
 * gap, a snapshot older than the one before it): the caller reports that as corruption.
 */
export function replayWal(
  records: readonly WalRecord[],
): { ok: true; state: Replayed } | { ok: false; record: number; why: string } {
  const st: Replayed = { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [] };
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r.snapshot) {
      const current = st.snapshot?.index ?? 0;
      if (r.snapshot.index < current) {
        return {
          ok: false,
          record: i,
          why: `snapshot ${r.snapshot.index} is older than snapshot ${current}`,
        };
      }
      const ref = r.snapshot;
      // As when it was written: the suffix stays only if it continues the snapshot's history.
      const keep = termIn(st, ref.index) === ref.term;
      st.entries = keep ? st.entries.filter((e) => e.index > ref.index) : [];
      st.snapshot = ref;
    }
    try {
      const snapIndex = st.snapshot?.index ?? 0;
      const last = st.entries.length > 0 ? st.entries[st.entries.length - 1].index : snapIndex;
      const add = entriesToAppend(r.entries, snapIndex, last);
      if (add.length > 0) {
        st.entries = st.entries.slice(0, Math.max(0, add[0].index - snapIndex - 1)).concat(add);
      }
    } catch (err) {
      return { ok: false, record: i, why: (err as Error).message };
    }
    if (r.hardState) st.hardState = r.hardState;
  }
  return { ok: true, state: st };
}

function termIn(st: Replayed, index: number): number | undefined {
  if (st.snapshot !== null && index === st.snapshot.index) return st.snapshot.term;
  return st.entries[index - (st.snapshot?.index ?? 0) - 1]?.term;
}
