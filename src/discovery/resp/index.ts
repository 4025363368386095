// The Sentinel-compatible RESP endpoint (docs/design.md 5.1): the server, the data source it reads,
// and the event names and formats for what it publishes.
export { SentinelRespServer, DEFAULT_MAX_CLIENTS } from './server.js';
export type { SentinelRespServerOptions, RespTlsOptions } from './server.js';
export type { ConnectionLimits } from './connection.js';
export { DEFAULT_LIMITS } from './connection.js';
export type {
  SentinelSource,
  SentinelShard,
  SentinelRedisNode,
  SentinelPeer,
  SentinelFailoverResult,
  SentinelClientAuth,
} from './source.js';
export * from './events.js';
export { REDIS_COMPAT_VERSION } from './info.js';
