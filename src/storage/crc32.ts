// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) of a byte range, by zlib's own crc32 (Node 20.15+).
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { Bytes } from './bytes.js';

/** CRC-32 of bytes[start, end). */
export function crc32(bytes: Bytes, start = 0, end = bytes.length): number {
  return zlibCrc32(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0;
}
