// The answer to GET-MASTER-ADDR-BY-NAME, encoded once per master address and then reused: it is
// the command every Sentinel client sends, on connect and after each error, and encoding it
// afresh each time was a third of its cost. The bytes depend on host and port only, and every
// use compares both, so a changed master can never get an old answer. Whether this node may
// answer at all (a fresh leader) is the caller's check, made on every call and never cached.
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

// Keyed by the source's address object (the node's is the applied Redis node spec), weakly: an
// address that leaves the applied state takes its bytes with it.
const encodedByAddress = new WeakMap<MasterAddress, EncodedAddress>();

/** `*2 $host $port`, the same bytes in RESP2 and RESP3. */
export function masterAddressReply(master: MasterAddress): Reply {
  const known = encodedByAddress.get(master);
  if (known !== undefined && known.host === master.host && known.port === master.port) return known.reply;
  const reply = preEncoded(array([bulk(master.host), bulk(String(master.port))]));
  encodedByAddress.set(master, { host: master.host, port: master.port, reply });
  return reply;
}
