// Durable file primitives. A rename is only durable once the directory is fsynced, and a file's
// contents only once the file is: both are needed, in that order, for an atomic replace.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type Bytes, view } from './bytes.js';

export const TMP_SUFFIX = '.tmp';

export function writeAll(fd: number, bytes: Bytes, position: number): void {
  const data = view(bytes);
  let done = 0;
  while (done < data.length) {
    done += writeSync(fd, data, done, data.length - done, position + done);
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `name.tmp`, fsyncs it, renames it over `name`, fsyncs the directory. */
export function writeFileAtomic(dir: string, name: string, data: Bytes): void {
  const tmp = join(dir, name + TMP_SUFFIX);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeAll(fd, data, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  fsyncDir(dir);
}
