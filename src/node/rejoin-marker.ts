// node.bootstrap (docs/design.md section 6a). `new`: an empty data dir of a node listed in
// `peers` bootstraps the cluster (entry 1, the initial voters). `existing`: the cluster exists,
// so an empty data dir means this node is joining or rejoining; it must not vote before it has
// been added back as a learner and promoted, because as a former voter it may have acknowledged
// entries it no longer holds. That state outlives restarts in a marker file, removed once the
// node is promoted.
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../storage/durable.js';
import { nodeFs } from '../storage/fs.js';
import type { RaftPersistedState } from '../runtime/ports.js';

export const REJOIN_MARKER = 'rejoining-as-learner';

export type BootstrapMode = 'new' | 'existing';

function isEmpty(state: RaftPersistedState): boolean {
  return state.hardState.term === 0 && state.snapshot === null && state.entries.length === 0;
}

/**
 * Whether this node must abstain until promoted: it does when it starts empty in `existing`
 * mode (the marker is written, durably, before anything else), and on every later start until
 * the marker is removed.
 */
export function mustRejoin(dataDir: string, mode: BootstrapMode, state: RaftPersistedState): boolean {
  const marker = join(dataDir, REJOIN_MARKER);
  if (nodeFs.exists(marker)) return true;
  if (mode !== 'existing' || !isEmpty(state)) return false;
  writeFileAtomic(
    nodeFs,
    dataDir,
    REJOIN_MARKER,
    Buffer.from('started empty with node.bootstrap: existing\n'),
  );
  return true;
}

export function rejoined(dataDir: string): void {
  nodeFs.unlink(join(dataDir, REJOIN_MARKER));
  fsyncDir(nodeFs, dataDir);
}
