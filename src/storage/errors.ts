// Storage errors. Corruption messages name the file and byte offset so an operator can look at
// exactly what the node refused, and say what to do, because the node will not start.
import { RaftinelError } from '../util/errors.js';

export function storageCorrupt(file: string, what: string, offset?: number): RaftinelError {
  const where = offset === undefined ? file : `${file} at byte offset ${offset}`;
  return new RaftinelError(
    'storage_corrupt',
    `storage corrupt: ${where}: ${what}; refusing to start. Do not wipe the data dir and restart ` +
      'this node, and do not restore an older copy of it: as a voter it may have acknowledged ' +
      'entries that copy lacks, and the cluster could lose committed writes. Safe recovery: remove ' +
      'the node from the cluster (`raftinel members remove <id>`), move the data dir aside, start ' +
      'the node with an empty data dir and `node.bootstrap: existing`, and add it back as a learner ' +
      '(`raftinel members add <id> <raft-addr>`); it becomes a voter once it has caught up',
    offset === undefined ? { file } : { file, offset },
  );
}

export function dataDirUnusable(dir: string, what: string): RaftinelError {
  return new RaftinelError('data_dir_unusable', `data dir ${dir} is unusable: ${what}`, { dir });
}

/** Why an fs call failed, for a message: the errno code when there is one. */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
