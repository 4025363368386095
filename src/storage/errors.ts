// Storage errors. Corruption messages name the file and byte offset so an operator can look at
// exactly what the node refused, and say what to do, because the node will not start.
import { RaftinelError } from '../util/errors.js';

export function storageCorrupt(file: string, what: string, offset?: number): RaftinelError {
  const where = offset === undefined ? file : `${file} at byte offset ${offset}`;
  return new RaftinelError(
    'storage_corrupt',
    `storage corrupt: ${where}: ${what}; refusing to start ` +
      '(restore the data dir from a backup, or wipe it and rejoin this node to the cluster)',
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
