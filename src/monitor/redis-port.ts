// The Redis connection port (docs/design.md 3, 4.1): what the prober needs of one connection to
// one Redis node. The node plugs in its RESP client (resp-connection.ts); the simulator plugs in its
// fake Redis nodes (test/sim/fake-connection.ts), so the prober under test is the one that runs in
// production. Callbacks rather than promises: a reply is handled inside the event that delivers
// it, so the simulator's single-threaded event loop replays a run from its seed without having
// to drain microtasks between events.
import type { ConnectionOptions } from './connection.js';

/** What a connection tells its owner. Never called synchronously from `open` or `call`. */
export interface ConnectionEvents {
  /** TCP (and TLS) is up; the handshake (AUTH, CLIENT SETNAME) is under way. */
  connected(): void;
  /** The handshake is done: commands may be sent. */
  ready(): void;
  /** The connection closed; it connects again by itself after retryDelayMs. */
  closed(): void;
  /** The connection will never recover by itself: the owner must replace it. */
  dead(): void;
  /**
   * Refused, timed out, AUTH refused, garbage on the wire. Error replies are Errors named
   * `ReplyError` (classify.ts), whoever produced them.
   */
  error(err: unknown): void;
}

/** `err` is null when the command was answered with a reply that is not an error. */
export type ReplyCallback = (err: unknown, reply: unknown) => void;

export interface RedisConnection {
  /** The handshake is done and the connection believed up. */
  readonly ready: boolean;
  /** Sends a command now or fails it (no offline queue, no resend); `done` runs once, later. */
  call(args: readonly string[], done: ReplyCallback): void;
  /**
   * Runs `send` (calls of `call`) at once; what it sends leaves in one write when `send`
   * returns (a probe's INFO with its ROLE: a system call per command was most of a probe's cost
   * at 1000 shards, issue 12).
   */
  batch(send: () => void): void;
  /** Timeouts for the next connects (a shard's settings changed); the connection is kept. */
  retune(connectTimeoutMs: number, retryDelayMs: number): void;
  /** Closes it for good: no event and no reply follows. */
  close(): void;
}

/** Opens a connection; it connects at once and retries by itself. Throws on unreadable TLS files. */
export type RedisConnector = (options: ConnectionOptions, events: ConnectionEvents) => RedisConnection;
