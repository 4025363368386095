// The RESP listener alone, with a fixed source, for a profile of its per-command cost:
//   node --cpu-prof dist/bench/discovery/resp-alone.js <port> <seconds>
// It serves for the given time and exits; a load generator (redis-benchmark) is run beside it.
// Not a benchmark of raftinel (no Raft, no probing): it isolates the protocol path.
import { SentinelRespServer } from '../../src/discovery/resp/index.js';
import type { SentinelSource } from '../../src/discovery/resp/source.js';
import { createLogger } from '../../src/util/log.js';

const master = { host: '127.0.0.1', port: 6379 };
const source: SentinelSource = {
  myId: () => '0'.repeat(40),
  hasFreshLeader: () => true,
  shards: () => [],
  masterAddress: (name) => (name === 'mymaster' ? master : undefined),
  sentinels: () => [],
  failover: () => Promise.resolve({ ok: false, error: 'not here' }),
  checkAdminToken: () => false,
  clientAuth: null,
};
const port = Number(process.argv[2] ?? 0);
const seconds = Number(process.argv[3] ?? 20);
const server = new SentinelRespServer(source, { logger: createLogger({ level: 'warn' }) });
await server.listen('127.0.0.1', port);
process.stderr.write(`resp-alone: listening on ${server.port} for ${seconds} s\n`);
setTimeout(() => {
  void server.close().then(() => process.exit(0));
}, seconds * 1000);
