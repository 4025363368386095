// The config module's public face: import from here, not from the files behind it. A running
// node imports core.ts instead: the same less the schema, the loader and the reference.
export * from './core.js';
export { configSchema, shardSettingsSchema, redisNodeSchema, ID_PATTERN } from './schema.js';
export { loadConfig, parseConfigText, type LoadConfigOptions, type ParseConfigOptions } from './load.js';
export { configReferenceMarkdown, describeConfig, type ConfigKeyDoc } from './reference.js';
