// The pinned @types/node (20.9.5) predates TypeScript 5.7's generic Uint8Array, so a Buffer does
// not type-check where Uint8Array is expected (fs.writeSync, Buffer.concat, buf.copy). These
// helpers keep that workaround in one place; they copy nothing.

export type Bytes = Uint8Array | Buffer;

/** The same memory as a plain Uint8Array, for APIs typed as ArrayBufferView. */
export function view(b: Bytes): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function concat(parts: readonly Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A Buffer over the same memory (for readUInt32BE and friends). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
