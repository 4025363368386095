// ioredis in Sentinel mode as the integration tests use it: asks the given sentinels for the
// master of `name`, retries every 50 ms, a command fails after 1 s; errors are the caller's to
// read from the replies (no unhandled 'error' events).
import { Redis, type RedisOptions } from 'ioredis';

export function sentinelClient(
  sentinels: readonly { host: string; port: number }[],
  extra: RedisOptions = {},
  name = 'mymaster',
): Redis {
  const client = new Redis({
    sentinels: [...sentinels],
    name,
    lazyConnect: true,
    commandTimeout: 1000,
    retryStrategy: () => 50,
    sentinelRetryStrategy: () => 50,
    ...extra,
  });
  client.on('error', () => undefined);
  return client;
}
