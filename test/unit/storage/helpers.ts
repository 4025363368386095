// Shared fixtures for the storage tests (not a test file itself: the name lacks `.test`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Entry, EntryKind, Snapshot } from '../../../src/raft/types.js';
import { asBuffer, type Bytes, concat, view } from '../../../src/storage/bytes.js';
import type { Logger } from '../../../src/util/log.js';

export function entry(index: number, term: number, data = `cmd-${index}`, kind: EntryKind = 'normal'): Entry {
  return { index, term, kind, data };
}

/** Entries lo..hi (inclusive), all in `term`. */
export function entries(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, term));
  return out;
}

export function snapshot(index: number, term: number, data = `state@${index}`): Snapshot {
  return { meta: { index, term, conf: { voters: ['a', 'b', 'c'], learners: ['d'] } }, data };
}

export interface Captured {
  readonly logger: Logger;
  /** Parsed log lines so far. */
  lines(): Record<string, unknown>[];
  /** Lines whose `event` is `event`. */
  events(event: string): Record<string, unknown>[];
}

/** A pino logger writing into memory, so tests can assert on warnings. */
export function captureLogger(): Captured {
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void raw.push(s) });
  const lines = (): Record<string, unknown>[] => raw.map((s) => JSON.parse(s) as Record<string, unknown>);
  return { logger, lines, events: (event) => lines().filter((l) => l.event === event) };
}

export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `raftinel-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bitwise CRC-32, independent of the table-driven one under test. */
export function crc32Reference(bytes: Uint8Array | Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

// The pinned @types/node does not let a Buffer pass as a Uint8Array (see src/storage/bytes.ts).
export function writeBytes(path: string, data: Bytes | string): void {
  writeFileSync(path, typeof data === 'string' ? data : view(data));
}

/** A fresh copy, as a Buffer. */
export function copyBytes(data: Bytes): Buffer {
  return Buffer.from(view(data));
}

export function joinBytes(...parts: Bytes[]): Buffer {
  return asBuffer(concat(parts));
}
