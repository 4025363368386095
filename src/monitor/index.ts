// The probe side of failover (docs/design.md 4.1): what each raftinel node sees of each Redis node,
// and the Redis commands the leader's failover engine sends.
export { Prober, type ProberOptions } from './prober.js';
export { RedisAdmin, type RedisAdminOptions } from './redis-admin.js';
export type { ProbeTarget, RedisAuth, RedisTls } from './connection.js';
export {
  parseInfo,
  parseRole,
  type InfoReply,
  type RoleReply,
  type ParseError,
  type Parsed,
} from './parse.js';
export { observe, type ProbeState, type ObserveInput, type Stall } from './observe.js';
