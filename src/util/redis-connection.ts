// Closing an ioredis connection for good, as the prober, the admin pool and the demo's writer
// all do when they drop one.
import type { Redis } from 'ioredis';

/** Disconnects `conn` and detaches its listeners; a late socket error is swallowed, not thrown. */
export function discardConnection(conn: Redis): void {
  conn.removeAllListeners();
  conn.on('error', () => {}); // a late socket error must not become an unhandled one
  conn.disconnect();
}
