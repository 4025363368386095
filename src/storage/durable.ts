// Durable file primitives. A rename is only durable once the directory is fsynced, and a file's
// contents only once the file is: both are needed, in that order, for an atomic replace.
import { join } from 'node:path';
import type { Bytes } from './bytes.js';
import { type StorageFs, writeAll } from './fs.js';

export const TMP_SUFFIX = '.tmp';

export function fsyncDir(fs: StorageFs, dir: string): void {
  const fd = fs.open(dir, 'dir');
  try {
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
}

/** Writes `name.tmp` in full, fsyncs it, renames it over `name`, fsyncs the directory. */
export function writeFileAtomic(fs: StorageFs, dir: string, name: string, data: Bytes): void {
  const tmp = join(dir, name + TMP_SUFFIX);
  const fd = fs.open(tmp, 'create');
  try {
    writeAll(fs, fd, data, 0);
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(tmp, join(dir, name));
  fsyncDir(fs, dir);
}
