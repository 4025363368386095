// The config module's face for a running node: everything of index.ts but the schema, the loader
// and the reference, so that nothing a node runs imports zod or yaml (issue 12: together they
// are ~16 MiB of a node's memory). The config is loaded and checked in a child process
// (load-isolated.ts); admin routes load their body checks on first use (admin-bodies.ts).
export {
  CONFIG_ENV,
  DEFAULTS,
  LINK_DOWN_FACTOR,
  LOG_LEVELS,
  MAX_DURATION_MS,
  SELECTIONS,
} from './defaults.js';
export type { LogLevel, Quorum, Selection } from './defaults.js';
export { endpointKey, formatHostPort, isValidHost, parseHostPort, type HostPort } from './address.js';
export type {
  AdminConfig,
  AnnounceConfig,
  ClientsConfig,
  HooksConfig,
  ListenConfig,
  LogConfig,
  NodeConfig,
  PeerConfig,
  RaftConfig,
  RaftinelConfig,
  RedisAuthConfig,
  RedisNodeConfig,
  ShardConfig,
  ShardSettings,
  SidecarConfig,
  TlsConfig,
  TlsFiles,
} from './schema.js';
export { ConfigError, formatConfigIssues, type ConfigErrorCode, type ConfigIssue } from './issues.js';
export { resolveConfigPaths, resolvePath } from './paths.js';
export {
  advertisedAddresses,
  configWarnings,
  effectiveFenceAfterMs,
  effectiveMaxLinkDownMs,
  findRedisNode,
  quorumSize,
  readSecretFile,
  type AdvertisedAddresses,
} from './derive.js';
