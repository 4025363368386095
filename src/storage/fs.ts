// The file-system calls the storage makes, as a port: the node passes node:fs (nodeFs), the
// simulator and the scenario harness pass an in-memory file system that can lose what was not
// fsynced, tear a write, run out of space or crash between two calls (test/sim/sim-fs.ts). So
// the record encoding, the write order and the recovery code they exercise are the production
// ones, not a model of them.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { type Bytes, view } from './bytes.js';

/** How a file is opened: created empty (or truncated), opened for update, or a directory to fsync. */
export type OpenMode = 'create' | 'update' | 'dir';

export interface StorageFs {
  mkdirp(dir: string): void;
  isDirectory(path: string): boolean;
  list(dir: string): string[];
  exists(path: string): boolean;
  readFile(path: string): Buffer;
  open(path: string, mode: OpenMode): number;
  /** Writes up to data.length bytes at position; returns how many were written. */
  write(fd: number, data: Uint8Array, position: number): number;
  read(fd: number, into: Uint8Array, position: number): number;
  truncate(fd: number, length: number): void;
  size(fd: number): number;
  fsync(fd: number): void;
  close(fd: number): void;
  /** Replaces `to` atomically; durable only once the directory is fsynced. */
  rename(from: string, to: string): void;
  unlink(path: string): void;
}

const FLAGS: Record<OpenMode, string> = { create: 'w+', update: 'r+', dir: 'r' };

export const nodeFs: StorageFs = {
  mkdirp: (dir) => void mkdirSync(dir, { recursive: true, mode: 0o700 }),
  isDirectory: (path) => statSync(path).isDirectory(),
  list: (dir) => readdirSync(dir),
  exists: (path) => existsSync(path),
  readFile: (path) => readFileSync(path),
  open: (path, mode) => openSync(path, FLAGS[mode], 0o600),
  write: (fd, data, position) => writeSync(fd, view(data), 0, data.length, position),
  read: (fd, into, position) => readSync(fd, into, 0, into.length, position),
  truncate: (fd, length) => ftruncateSync(fd, length),
  size: (fd) => fstatSync(fd).size,
  fsync: (fd) => fsyncSync(fd),
  close: (fd) => closeSync(fd),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
};

/** Writes all of `bytes` at position (a write may be short). */
export function writeAll(fs: StorageFs, fd: number, bytes: Bytes, position: number): void {
  const data = view(bytes);
  let done = 0;
  while (done < data.length) done += fs.write(fd, data.subarray(done), position + done);
}
