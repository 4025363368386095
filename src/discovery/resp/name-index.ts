// Finds a command or subcommand by the bytes a client sent, case-insensitively, without making
// a string of them. This runs twice for every command, and a string per name (decoded, then
// lower-cased, then hashed for a Map) cost more than the rest of a GET-MASTER-ADDR-BY-NAME.
// Names are ASCII and compared as Redis's strcasecmp does: only A-Z fold to a-z.

interface Entry<T> {
  /** The name in lower case, one byte per character. */
  readonly name: Uint8Array;
  readonly value: T;
}

export class NameIndex<T> {
  // Candidates by name length: a handful at most, so a scan beats hashing.
  private readonly byLength: (Entry<T>[] | undefined)[] = [];

  /** `names`: lower-case ASCII names (the command table's keys). */
  constructor(names: Iterable<readonly [string, T]>) {
    for (const [name, value] of names) {
      const bytes = Buffer.from(name, 'latin1');
      (this.byLength[bytes.length] ??= []).push({ name: bytes, value });
    }
  }

  get(bytes: Uint8Array): T | undefined {
    const candidates = this.byLength[bytes.length];
    if (candidates === undefined) return undefined;
    for (const candidate of candidates) {
      if (sameIgnoringAsciiCase(bytes, candidate.name)) return candidate.value;
    }
    return undefined;
  }
}

/** `lower` is already lower case and as long as `bytes`. */
function sameIgnoringAsciiCase(bytes: Uint8Array, lower: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== lower[i]) return false;
  }
  return true;
}
