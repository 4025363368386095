// The answer to GET-MASTER-ADDR-BY-NAME, encoded once per shard and master and then reused: it
// is the command every Sentinel client sends, on connect and after each error, and encoding it
// afresh each time was a third of its cost. The bytes depend on host and port only, and every
// use compares both with the master the source names now, so a changed master can never get an
// old answer. Whether this node may answer at all (a fresh leader) is the caller's check, made
// on every call and never cached.
import { array, bulk, preEncoded, type Reply } from '../reply.js';

export interface MasterAddress {
  readonly host: string;
  readonly port: number;
}

interface EncodedAddress {
  readonly host: string;
  readonly port: number;
  readonly reply: Reply;
}

// Only shards that exist and have a master get an entry; the bound is for removed shards.
const MAX_SHARDS = 10_000;

/** One per server: the encoded answer of each shard's current master. */
export class MasterAddressReplies {
  private readonly byShard = new Map<string, EncodedAddress>();

  /** `*2 $host $port` for `shard` whose master is `master`: the same bytes in RESP2 and RESP3. */
  reply(shard: string, master: MasterAddress): Reply {
    const known = this.byShard.get(shard);
    if (known !== undefined && known.host === master.host && known.port === master.port) return known.reply;
    const reply = preEncoded(array([bulk(master.host), bulk(String(master.port))]));
    if (known === undefined && this.byShard.size >= MAX_SHARDS) this.byShard.clear();
    this.byShard.set(shard, { host: master.host, port: master.port, reply });
    return reply;
  }
}
