// The shape of a command: its table entry (name, arity, what COMMAND reports) and its handler,
// which writes replies through the context instead of returning them because pub/sub commands
// answer with one frame per channel.
import type { Logger } from '../../../util/log.js';
import type { PubSubHub, Subscriber } from '../pubsub-hub.js';
import type { KnownRequests } from '../known-requests.js';
import type { RecentNames } from '../recent-names.js';
import type { Reply } from '../reply.js';
import type { Session } from '../session.js';
import type { SentinelSource } from '../source.js';
import type { MasterAddressReplies } from './address-reply.js';

/** Counters for INFO stats, owned by the server. */
export interface ServerStats {
  connectionsReceived: number;
  commandsProcessed: number;
  rejectedConnections: number;
  errorReplies: number;
  netInputBytes: number;
  netOutputBytes: number;
}

/** What the handlers may know about the server around them. */
export interface ServerFacts {
  /** Random per process, like Redis's run_id (SENTINEL MYID is the stable one). */
  readonly runId: string;
  readonly startedAtMs: number;
  readonly maxClients: number;
  readonly stats: ServerStats;
  /** The bound port (0 before listen). */
  port(): number;
  connectedClients(): number;
  /** Channels and patterns with at least one subscriber. */
  pubsub(): { channels: number; patterns: number };
}

export interface CommandContext {
  readonly session: Session;
  readonly subscriber: Subscriber;
  readonly source: SentinelSource;
  readonly server: ServerFacts;
  readonly hub: PubSubHub;
  readonly logger: Logger;
  /** Most channels plus patterns one connection may subscribe to. */
  readonly maxSubscriptions: number;
  /** The server's encoded GET-MASTER-ADDR-BY-NAME answers. */
  readonly addressReplies: MasterAddressReplies;
  /** The server's decoded shard names (GET-MASTER-ADDR-BY-NAME). */
  readonly shardNames: RecentNames;
  /** The server's learned GET-MASTER-ADDR-BY-NAME requests (answered without parsing). */
  readonly knownRequests: KnownRequests;
  reply(reply: Reply): void;
  /** Close the connection once the replies written so far are flushed (QUIT). */
  closeAfterReplies(): void;
}

/** Returns a promise only when it must wait (SENTINEL FAILOVER); the connection then holds
 * later commands back so that replies keep the order of requests. */
export type Handler = (ctx: CommandContext, args: readonly Buffer[]) => void | Promise<void>;

export interface CommandSpec {
  /** Lower case; a subcommand's is its own name (`master`), its full name `sentinel|master`. */
  readonly name: string;
  /** Redis's convention: N exactly N arguments (name included), -N at least N. */
  readonly arity: number;
  /** For COMMAND INFO: Redis's command flags and ACL categories. */
  readonly flags: readonly string[];
  readonly acl: readonly string[];
  /** For COMMAND DOCS. */
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  /** Runs before AUTH (AUTH, HELLO, QUIT, RESET). */
  readonly noAuth?: boolean;
  /** Allowed on a RESP2 connection with subscriptions. */
  readonly inSubscribedContext?: boolean;
  readonly handler?: Handler;
  readonly subcommands?: ReadonlyMap<string, CommandSpec>;
}

/** The i-th argument as UTF-8 text ('' when absent); toString() with no encoding is the fast path. */
export const arg = (args: readonly Buffer[], i: number): string => args[i]?.toString() ?? '';
export const lower = (args: readonly Buffer[], i: number): string => arg(args, i).toLowerCase();
