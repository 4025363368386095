// The production side of the Redis connection port (redis-port.ts): our own client
// (resp-client.ts), its events passed on as the port's. It reconnects by itself in every case,
// so it never reports `dead`.
import { RespClient } from './resp-client.js';
import type { RedisConnector } from './redis-port.js';

export const respConnector: RedisConnector = (options, events) => {
  const client = new RespClient(options);
  client.on('connect', () => events.connected());
  client.on('ready', () => events.ready());
  client.on('close', () => events.closed());
  client.on('error', (err) => events.error(err));
  return client;
};
