// The exact bytes of the GET-MASTER-ADDR-BY-NAME requests clients send, learned from the ones
// answered, so that the next identical request is answered without parsing and dispatching it
// (issue 12 item 4). A client sends this one command on connect and after every error, always
// the same bytes: with pipelining, splitting it into arguments, looking the command and the
// subcommand up and decoding the name cost more than the rest of the answer. A RESP multibulk
// request is the only encoding of its arguments (the parser refuses leading zeros and signs),
// so bytes equal to a learned request are that request; the connection still makes every check
// that applies to it (authenticated, not in subscribed mode) before taking the shortcut.

/** Learned requests kept (round robin): a few shards and spellings of the command. */
const MAX_KNOWN = 16;
/** A request longer than this is not learned (a bound on what clients can make us keep). */
const MAX_REQUEST_BYTES = 512;

export interface KnownRequest {
  /** The whole request, `*3\r\n$8\r\nSENTINEL\r\n...` as the client sent it. */
  readonly bytes: Buffer;
  /** The shard name it asks for, decoded. */
  readonly name: string;
}

/** One per server, shared by its connections. */
export class KnownRequests {
  private readonly known: KnownRequest[] = [];
  private nextSlot = 0;

  get size(): number {
    return this.known.length;
  }

  /** Remembers a GET-MASTER-ADDR-BY-NAME that was answered, by its arguments. */
  learn(args: readonly Buffer[], name: string): void {
    const bytes = multibulk(args);
    if (bytes.length > MAX_REQUEST_BYTES) return;
    for (const k of this.known) if (k.bytes.equals(bytes)) return;
    const entry = { bytes, name };
    if (this.known.length < MAX_KNOWN) this.known.push(entry);
    else this.known[this.nextSlot] = entry;
    this.nextSlot = (this.nextSlot + 1) % MAX_KNOWN;
  }

  /** The learned request that `buf` holds in full at `pos`, or null. */
  match(buf: Buffer, pos: number): KnownRequest | null {
    const available = buf.length - pos;
    for (const k of this.known) {
      const b = k.bytes;
      if (b.length > available) continue;
      let i = 0;
      while (i < b.length && buf[pos + i] === b[i]) i++;
      if (i === b.length) return k;
    }
    return null;
  }
}

/** The RESP multibulk encoding of `args`. */
function multibulk(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args)
    parts.push(Buffer.from(`$${a.length}\r\n`, 'latin1'), a, Buffer.from('\r\n', 'latin1'));
  return Buffer.concat(parts);
}
