// The production side of the Redis connection port (redis-port.ts): one ioredis client set up by
// openConnection (connection.ts), its events and promises turned into the port's callbacks.
import type { Redis } from 'ioredis';
import { discardConnection } from '../util/redis-connection.js';
import { openConnection, readyOnClosedStream } from './connection.js';
import type { RedisConnection, RedisConnector } from './redis-port.js';

class IoredisConnection implements RedisConnection {
  constructor(private readonly conn: Redis) {}

  get ready(): boolean {
    return this.conn.status === 'ready';
  }

  call(args: readonly string[], done: (err: unknown, reply: unknown) => void): void {
    const [command, ...rest] = args;
    this.conn.call(command, ...rest).then(
      (reply) => done(null, reply),
      (err: unknown) => done(err ?? new Error('command failed'), undefined),
    );
  }

  retune(connectTimeoutMs: number, retryDelayMs: number): void {
    // ioredis reads these at each use: retuned in place rather than dropping a good connection.
    this.conn.options.connectTimeout = connectTimeoutMs;
    this.conn.options.retryStrategy = () => retryDelayMs;
  }

  close(): void {
    discardConnection(this.conn);
  }
}

export const ioredisConnector: RedisConnector = (options, events) => {
  const conn = openConnection(options);
  conn.on('connect', () => events.connected());
  conn.on('ready', () => {
    // Closed during the handshake: this client will never reconnect; a new one must.
    if (readyOnClosedStream(conn)) events.dead();
    else events.ready();
  });
  conn.on('close', () => events.closed());
  conn.on('error', (err: unknown) => events.error(err));
  return new IoredisConnection(conn);
};
