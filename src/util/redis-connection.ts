// Closing an ioredis connection for good, as the CLI demo, `import-sentinel` and the tests do
// when they drop one (the node itself uses its own client, src/monitor/resp-client.ts).
import type { Redis } from 'ioredis';

/** Disconnects `conn` and detaches its listeners; a late socket error is swallowed, not thrown. */
export function discardConnection(conn: Redis): void {
  conn.removeAllListeners();
  conn.on('error', () => {}); // a late socket error must not become an unhandled one
  conn.disconnect();
}
