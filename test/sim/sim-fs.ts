// An in-memory file system for the production storage (src/storage/fs.ts port), with the
// failure modes of a real disk under a crash: what was written but not fsynced may be lost,
// partly or wholly, and in any order (page cache write-back); a name created, renamed or
// removed is durable only once its directory is fsynced; a write can run out of space after
// writing part of its bytes (ENOSPC). A crash point makes the n-th mutating call throw
// SimulatedCrash before it runs, so a save can be cut between any two of its steps.
import { dirname } from 'node:path';
import type { OpenMode, StorageFs } from '../../src/storage/fs.js';

/** Thrown by the file system at a crash point: the process dies in the middle of a call. */
export class SimulatedCrash extends Error {
  constructor(readonly at: string) {
    super(`simulated crash before ${at}`);
  }
}

type PendingWrite = { readonly kind: 'write'; readonly pos: number; readonly bytes: Uint8Array };
type PendingOp = PendingWrite | { readonly kind: 'truncate'; readonly length: number };

/**
 * A file's bytes, with room to grow: the WAL only appends, and copying the whole file on every
 * append (and again on every fsync) was a tenth of the simulator's time. Past `length` the
 * buffer holds zeros, so a write beyond the end leaves a zero-filled hole as a file does.
 */
class FileBytes {
  constructor(
    private buf: Uint8Array = new Uint8Array(0),
    public length = buf.length,
  ) {}

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  copy(): FileBytes {
    return new FileBytes(this.buf.slice(0, this.length));
  }

  write(pos: number, bytes: Uint8Array): void {
    const end = pos + bytes.length;
    if (end > this.buf.length) this.grow(end);
    this.buf.set(bytes, pos);
    if (end > this.length) this.length = end;
  }

  /** Cut or zero-extend to `length` bytes. */
  truncate(length: number): void {
    if (length < this.length) this.buf.fill(0, length, this.length);
    else if (length > this.buf.length) this.grow(length);
    this.length = length;
  }

  private grow(atLeast: number): void {
    // A file written whole (a snapshot) gets its size; one appended to (the WAL) doubles.
    const out = new Uint8Array(Math.max(atLeast, 2 * this.buf.length));
    out.set(this.view());
    this.buf = out;
  }
}

class Inode {
  data = new FileBytes();
  /** What a crash keeps before the pending ops; `data` is always durable + pending. */
  durable = new FileBytes();
  pending: PendingOp[] = [];
}

type NameOp = { readonly dir: string; readonly path: string; readonly inode: Inode | null };

function fsError(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

export class SimFs implements StorageFs {
  private readonly dirs = new Set<string>();
  /** What the running process sees. */
  private live = new Map<string, Inode>();
  /** The names a crash keeps: those whose directory was fsynced since they changed. */
  private durableNames = new Map<string, Inode>();
  private pendingNames: NameOp[] = [];
  private readonly fds = new Map<number, { inode: Inode | null; path: string }>();
  private nextFd = 3;
  /** Mutating calls so far; a crash point is armed as "before call number n". */
  ops = 0;
  crashBeforeOp: number | null = null;
  /** fsync calls so far, and a crash point armed as "right after this many more fsyncs". */
  fsyncs = 0;
  crashAfterFsyncs: number | null = null;
  /** The crash point that fired, if any (the storage may wrap the error it threw). */
  fired: SimulatedCrash | null = null;
  /** While true, every write stores a random prefix of its bytes and fails with ENOSPC. */
  full = false;

  constructor(private readonly random: () => number) {}

  // ---- reads --------------------------------------------------------------------------------

  mkdirp(dir: string): void {
    for (let d = dir; !this.dirs.has(d) && d !== dirname(d); d = dirname(d)) this.dirs.add(d);
  }

  isDirectory(path: string): boolean {
    if (this.dirs.has(path)) return true;
    if (this.live.has(path)) return false;
    throw fsError('ENOENT', path);
  }

  list(dir: string): string[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    return [...this.live.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
  }

  exists(path: string): boolean {
    return this.live.has(path) || this.dirs.has(path);
  }

  readFile(path: string): Buffer {
    const inode = this.live.get(path);
    if (!inode) throw fsError(this.dirs.has(path) ? 'EISDIR' : 'ENOENT', path);
    return Buffer.from(inode.data.view());
  }

  read(fd: number, into: Uint8Array, position: number): number {
    const data = this.file(fd).data.view();
    const n = Math.max(0, Math.min(into.length, data.length - position));
    into.set(data.subarray(position, position + n));
    return n;
  }

  size(fd: number): number {
    return this.file(fd).data.length;
  }

  close(fd: number): void {
    this.fds.delete(fd);
  }

  // ---- writes -------------------------------------------------------------------------------

  open(path: string, mode: OpenMode): number {
    if (mode === 'dir') {
      if (!this.dirs.has(path)) throw fsError('ENOENT', path);
      return this.newFd(null, path);
    }
    let inode = this.live.get(path);
    if (mode === 'update') {
      if (!inode) throw fsError('ENOENT', path);
      return this.newFd(inode, path);
    }
    this.step('open', path);
    if (inode) {
      inode.data.truncate(0);
      inode.pending.push({ kind: 'truncate', length: 0 });
    } else {
      inode = new Inode();
      this.live.set(path, inode);
      this.pendingNames.push({ dir: dirname(path), path, inode });
    }
    return this.newFd(inode, path);
  }

  write(fd: number, data: Uint8Array, position: number): number {
    const inode = this.file(fd);
    this.step('write', fd);
    const n = this.full ? Math.floor(this.random() * data.length) : data.length;
    if (n > 0) {
      const bytes = data.slice(0, n);
      inode.data.write(position, bytes);
      inode.pending.push({ kind: 'write', pos: position, bytes });
    }
    if (this.full) throw fsError('ENOSPC', 'no space left on device');
    return n;
  }

  truncate(fd: number, length: number): void {
    const inode = this.file(fd);
    this.step('truncate', fd);
    inode.data.truncate(length);
    inode.pending.push({ kind: 'truncate', length });
  }

  fsync(fd: number): void {
    const f = this.fds.get(fd);
    if (!f) throw fsError('EBADF', String(fd));
    this.step('fsync', fd);
    if (f.inode === null) {
      // A directory: its pending name changes become durable, in order.
      const mine = this.pendingNames.filter((op) => op.dir === f.path);
      this.pendingNames = this.pendingNames.filter((op) => op.dir !== f.path);
      for (const op of mine) this.applyName(op);
      this.afterFsync(`fsync ${f.path}`);
      return;
    }
    // The pending ops are what changed since the last fsync: replay them rather than copy the file.
    const durable = f.inode.durable;
    for (const op of f.inode.pending) {
      if (op.kind === 'truncate') durable.truncate(op.length);
      else durable.write(op.pos, op.bytes);
    }
    f.inode.pending = [];
    this.afterFsync(`fsync ${f.path}`);
  }

  private afterFsync(what: string): void {
    this.fsyncs++;
    if (this.crashAfterFsyncs === null || --this.crashAfterFsyncs > 0) return;
    this.crashAfterFsyncs = null;
    this.fired = new SimulatedCrash(`the step after ${what}`);
    throw this.fired;
  }

  rename(from: string, to: string): void {
    const inode = this.live.get(from);
    if (!inode) throw fsError('ENOENT', from);
    this.step('rename', from);
    this.live.delete(from);
    this.live.set(to, inode);
    this.pendingNames.push({ dir: dirname(from), path: from, inode: null });
    this.pendingNames.push({ dir: dirname(to), path: to, inode });
  }

  unlink(path: string): void {
    if (!this.live.has(path)) throw fsError('ENOENT', path);
    this.step('unlink', path);
    this.live.delete(path);
    this.pendingNames.push({ dir: dirname(path), path, inode: null });
  }

  // ---- the crash ----------------------------------------------------------------------------

  /**
   * The machine loses power. Of each file's writes since its last fsync, each one may have
   * reached the disk or not, and one that did may be torn (a prefix of it); of each directory's
   * name changes since its last fsync, a prefix (journaled in order) survives. Open files close.
   * With 'lost', nothing unsynced survives (the scenario harness's deterministic crash).
   */
  crash(unsynced: 'random' | 'lost' = 'random'): void {
    const ordered = [...this.pendingNames];
    const keep = unsynced === 'lost' ? 0 : Math.floor(this.random() * (ordered.length + 1));
    for (const op of ordered.slice(0, keep)) this.applyName(op);
    this.pendingNames = [];
    const inodes = new Set(this.durableNames.values());
    for (const inode of inodes) {
      const data = inode.durable;
      for (const op of inode.pending) {
        if (unsynced === 'lost' || this.random() < 0.5) continue; // never reached the disk
        if (op.kind === 'truncate') data.truncate(op.length);
        else {
          const torn = this.random() < 0.3 ? Math.floor(this.random() * op.bytes.length) : op.bytes.length;
          data.write(op.pos, op.bytes.subarray(0, torn));
        }
      }
      inode.data = data;
      inode.durable = data.copy();
      inode.pending = [];
    }
    this.live = new Map(this.durableNames);
    this.fds.clear();
    this.crashBeforeOp = null;
    this.crashAfterFsyncs = null;
    this.fired = null;
  }

  // ---- internals ----------------------------------------------------------------------------

  private applyName(op: NameOp): void {
    if (op.inode === null) this.durableNames.delete(op.path);
    else this.durableNames.set(op.path, op.inode);
  }

  /** Counts a mutating call; `target` is a path or an fd, named only when the crash point fires. */
  private step(call: string, target: string | number): void {
    this.ops++;
    if (this.crashBeforeOp !== null && this.ops >= this.crashBeforeOp) {
      this.crashBeforeOp = null;
      const path = typeof target === 'number' ? this.fds.get(target)?.path : target;
      this.fired = new SimulatedCrash(`${call} ${path}`);
      throw this.fired;
    }
  }

  private newFd(inode: Inode | null, path: string): number {
    const fd = this.nextFd++;
    this.fds.set(fd, { inode, path });
    return fd;
  }

  private file(fd: number): Inode {
    const f = this.fds.get(fd);
    if (!f) throw fsError('EBADF', String(fd));
    if (f.inode === null) throw fsError('EISDIR', f.path);
    return f.inode;
  }
}
