// Rules shared by the file and memory stores, so the simulator's storage behaves like the real one.
import type { Entry, Snapshot } from '../raft/types.js';
import { RaftinelError } from '../util/errors.js';

/**
 * The entries of an append that are actually stored. Entries at or below the snapshot are already
 * covered by it and are skipped; the rest must be contiguous and start no later than right after
 * the last stored index (an earlier start replaces the stored suffix).
 */
export function entriesToAppend(
  entries: readonly Entry[],
  snapshotIndex: number,
  lastIndex: number,
): Entry[] {
  const kept = entries.filter((e) => e.index > snapshotIndex);
  for (let i = 1; i < kept.length; i++) {
    if (kept[i].index !== kept[i - 1].index + 1) {
      throw new RaftinelError(
        'storage_bad_append',
        `append is not contiguous: entry ${kept[i].index} follows ${kept[i - 1].index}`,
      );
    }
  }
  if (kept.length > 0 && kept[0].index > lastIndex + 1) {
    throw new RaftinelError(
      'storage_bad_append',
      `append would leave a gap: first entry ${kept[0].index}, last stored ${lastIndex}`,
    );
  }
  return kept;
}

/**
 * Whether installing `snapshot` keeps the stored entries after it: only when the stored entry at
 * the snapshot's index has the snapshot's term (Raft paper, figure 13, steps 6-7). Otherwise the
 * stored suffix belongs to another history and is dropped with everything else.
 */
export function snapshotKeepsSuffix(
  termAt: (index: number) => number | undefined,
  snapshot: Snapshot,
): boolean {
  return termAt(snapshot.meta.index) === snapshot.meta.term;
}

export function outOfDateSnapshot(index: number, current: number): RaftinelError {
  return new RaftinelError(
    'snapshot_out_of_date',
    `snapshot at index ${index} is older than the stored snapshot at ${current}`,
  );
}
