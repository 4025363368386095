// The config module's public face: import from here, not from the files behind it.
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
export { configSchema, shardSettingsSchema, redisNodeSchema, ID_PATTERN } from './schema.js';
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
export { loadConfig, parseConfigText, type LoadConfigOptions, type ParseConfigOptions } from './load.js';
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
export { configReferenceMarkdown, describeConfig, type ConfigKeyDoc } from './reference.js';
