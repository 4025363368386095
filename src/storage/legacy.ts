// The data dir layout before the WAL: hardstate.json, snapshot.json and raft.log (one entry per
// record), written by separate fsyncs, so a crash could keep a configuration entry and lose
// the commit index covering the one before it. A node that finds that layout converts it
// once: the new WAL (and snapshot file) is made durable first, then the old files go, so a
// crash during the conversion leaves either layout whole.
import { join } from 'node:path';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import type { Logger } from '../util/log.js';
import { readChecksummed } from './checksummed-file.js';
import { fsyncDir } from './durable.js';
import { storageCorrupt } from './errors.js';
import type { StorageFs } from './fs.js';
import { scanLog } from './record.js';
import { toHardState, toSnapshot } from './validate.js';

export const LEGACY_LOG_FILE = 'raft.log';
export const LEGACY_HARD_STATE_FILE = 'hardstate.json';
export const LEGACY_SNAPSHOT_FILE = 'snapshot.json';
const LEGACY_FILES = [LEGACY_LOG_FILE, LEGACY_HARD_STATE_FILE, LEGACY_SNAPSHOT_FILE];

export interface LegacyState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: Entry[];
}

/** The state of a pre-WAL data dir, or null when there is none. */
export function readLegacy(fs: StorageFs, dir: string, logger: Logger): LegacyState | null {
  if (!LEGACY_FILES.some((n) => fs.exists(join(dir, n)))) return null;
  const hardState = readChecksummed(fs, dir, LEGACY_HARD_STATE_FILE, toHardState) ?? {
    term: 0,
    vote: null,
    commit: 0,
  };
  const snapshot = readChecksummed(fs, dir, LEGACY_SNAPSHOT_FILE, toSnapshot);
  const logPath = join(dir, LEGACY_LOG_FILE);
  let entries: Entry[] = [];
  if (fs.exists(logPath)) {
    const scan = scanLog(fs.readFile(logPath), logPath);
    if (scan.torn !== null) {
      logger.warn(
        { file: logPath, offset: scan.torn.offset, event: 'log-torn-tail-truncated', reason: scan.torn.why },
        'log ended in an incomplete record (a write cut short by a crash); dropped it',
      );
    }
    entries = scan.entries;
  }
  const snapIndex = snapshot?.meta.index ?? 0;
  if (entries.length > 0 && entries[0].index > snapIndex + 1) {
    throw storageCorrupt(logPath, `log starts at index ${entries[0].index} after snapshot ${snapIndex}`, 0);
  }
  if (snapshot !== null && entries.some((e) => e.index === snapIndex && e.term !== snapshot.meta.term)) {
    entries = [];
  }
  return { hardState, snapshot, entries: entries.filter((e) => e.index > snapIndex) };
}

export function removeLegacy(fs: StorageFs, dir: string): boolean {
  let removed = false;
  for (const name of LEGACY_FILES) {
    const path = join(dir, name);
    if (!fs.exists(path)) continue;
    fs.unlink(path);
    removed = true;
  }
  if (removed) fsyncDir(fs, dir);
  return removed;
}
