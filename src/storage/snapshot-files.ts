// Snapshot files, one per snapshot: snapshot-<index>-<term>.json (checksummed, written
// atomically). A snapshot counts only once a WAL record names it, and that record is written
// after the file is durable; at startup every other snapshot file (an older one, or a newer
// one whose WAL record a crash cut off) is removed.
import { join } from 'node:path';
import type { Snapshot } from '../raft/types.js';
import { readChecksummed, writeChecksummed } from './checksummed-file.js';
import { storageCorrupt } from './errors.js';
import type { StorageFs } from './fs.js';
import { toSnapshot } from './validate.js';
import type { SnapshotRef } from './wal.js';

const PATTERN = /^snapshot-(\d+)-(\d+)\.json$/;

export function snapshotFileName(ref: SnapshotRef): string {
  return `snapshot-${ref.index}-${ref.term}.json`;
}

export function writeSnapshotFile(fs: StorageFs, dir: string, snapshot: Snapshot): void {
  writeChecksummed(fs, dir, snapshotFileName(snapshot.meta), snapshot);
}

export function readSnapshotFile(fs: StorageFs, dir: string, ref: SnapshotRef): Snapshot {
  const name = snapshotFileName(ref);
  const snapshot = readChecksummed(fs, dir, name, toSnapshot);
  if (snapshot === null) throw storageCorrupt(join(dir, name), 'missing, yet the WAL names it');
  if (snapshot.meta.index !== ref.index || snapshot.meta.term !== ref.term) {
    throw storageCorrupt(join(dir, name), `holds snapshot ${snapshot.meta.term}/${snapshot.meta.index}`);
  }
  return snapshot;
}

/** Removes every snapshot file but the one `keep` names. A leftover costs only disk space. */
export function removeOtherSnapshots(fs: StorageFs, dir: string, keep: SnapshotRef | null): void {
  const keepName = keep === null ? null : snapshotFileName(keep);
  for (const name of fs.list(dir)) {
    if (PATTERN.test(name) && name !== keepName) fs.unlink(join(dir, name));
  }
}
