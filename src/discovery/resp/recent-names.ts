// The shard names clients ask for, decoded once. A client asks for the same name again and
// again, and a string made afresh from its bytes each time costs its UTF-8 decoding and then,
// as a property key of the applied topology, a search of V8's string table: together more
// than the rest of a GET-MASTER-ADDR-BY-NAME. The same bytes always give the same string.

// Kept names are scanned in a loop: enough for the shards of a deployment, small enough to scan.
const MAX_NAMES = 64;
// Longer names are decoded each time rather than kept (a bound on what clients can make us keep).
const MAX_NAME_BYTES = 256;

interface Known {
  /** A copy: a receive buffer must not stay in memory for the sake of a name. */
  readonly bytes: Buffer;
  readonly name: string;
}

/** One per server, shared by its connections. */
export class RecentNames {
  private readonly known: Known[] = [];
  // Where the next new name goes once the list is full (oldest first).
  private nextSlot = 0;

  /** `bytes.toString()`, the same string object for the same bytes. */
  decode(bytes: Buffer): string {
    for (const k of this.known) {
      if (sameBytes(k.bytes, bytes)) return k.name;
    }
    const name = bytes.toString();
    if (bytes.length <= MAX_NAME_BYTES) {
      const entry = { bytes: Buffer.from(bytes), name };
      if (this.known.length < MAX_NAMES) this.known.push(entry);
      else this.known[this.nextSlot] = entry;
      this.nextSlot = (this.nextSlot + 1) % MAX_NAMES;
    }
    return name;
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
