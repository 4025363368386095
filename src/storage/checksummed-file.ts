// Small state files (hard state, snapshot) as JSON an operator can read:
//   {"format":1,"crc32":<crc of payload's UTF-8 bytes>,"payload":"<the value as JSON text>"}
// The payload is kept as text so the checksum covers exactly the bytes written, not a
// re-serialization of what was parsed.
import { join } from 'node:path';
import { crc32 } from './crc32.js';
import { writeFileAtomic } from './durable.js';
import { storageCorrupt } from './errors.js';
import type { StorageFs } from './fs.js';

const FORMAT = 1;

export function writeChecksummed(fs: StorageFs, dir: string, name: string, value: unknown): void {
  const payload = JSON.stringify(value);
  const crc = crc32(Buffer.from(payload, 'utf8'));
  writeFileAtomic(fs, dir, name, Buffer.from(JSON.stringify({ format: FORMAT, crc32: crc, payload }) + '\n'));
}

/** The value, checked by `accept`, or null when the file does not exist. */
export function readChecksummed<T>(
  fs: StorageFs,
  dir: string,
  name: string,
  accept: (v: unknown) => T | null,
): T | null {
  const file = join(dir, name);
  if (!fs.exists(file)) return null;
  const text = fs.readFile(file).toString('utf8');
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw storageCorrupt(file, 'not valid JSON');
  }
  if (typeof envelope !== 'object' || envelope === null) throw storageCorrupt(file, 'not a state file');
  const { format, crc32: crc, payload } = envelope as Record<string, unknown>;
  if (format !== FORMAT) throw storageCorrupt(file, `unknown format ${JSON.stringify(format)}`);
  if (typeof payload !== 'string' || typeof crc !== 'number') throw storageCorrupt(file, 'not a state file');
  if (crc32(Buffer.from(payload, 'utf8')) !== crc) throw storageCorrupt(file, 'checksum mismatch');
  let value: T | null;
  try {
    value = accept(JSON.parse(payload));
  } catch {
    value = null;
  }
  if (value === null) throw storageCorrupt(file, 'payload has the wrong shape');
  return value;
}
