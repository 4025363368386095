// Runs commands through the dispatcher without sockets: each fake client has a session and
// collects the bytes its replies encode to, exactly as the connection would write them.
import { MasterAddressReplies } from '../../../../src/discovery/resp/commands/address-reply.js';
import type { CommandContext, ServerFacts } from '../../../../src/discovery/resp/commands/types.js';
import { dispatch } from '../../../../src/discovery/resp/dispatch.js';
import { KnownRequests } from '../../../../src/discovery/resp/known-requests.js';
import { PubSubHub } from '../../../../src/discovery/resp/pubsub-hub.js';
import { RecentNames } from '../../../../src/discovery/resp/recent-names.js';
import { encode, type Reply } from '../../../../src/discovery/resp/reply.js';
import { Session } from '../../../../src/discovery/resp/session.js';
import type { SentinelSource } from '../../../../src/discovery/resp/source.js';
import { silentLogger } from '../../../../src/util/log.js';
import { decodeAll, type RespValue } from './resp-decode.js';

export interface FakeClient {
  readonly session: Session;
  /** Runs one command; returns the raw bytes of its replies (latin1). */
  run(...args: string[]): Promise<string>;
  /** Runs one command; returns its decoded replies. */
  values(...args: string[]): Promise<RespValue[]>;
  /** Bytes delivered by pub/sub since the last call. */
  takePushed(): string;
  closed: boolean;
}

export function commandHarness(source: SentinelSource, options: { maxSubscriptions?: number } = {}) {
  const hub = new PubSubHub();
  const addressReplies = new MasterAddressReplies();
  const shardNames = new RecentNames();
  const knownRequests = new KnownRequests();
  let nextId = 1;
  const facts: ServerFacts = {
    runId: 'f'.repeat(40),
    startedAtMs: Date.now() - 5000,
    maxClients: 10000,
    stats: {
      connectionsReceived: 0,
      commandsProcessed: 0,
      rejectedConnections: 0,
      errorReplies: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
    },
    port: () => 26379,
    connectedClients: () => nextId - 1,
    pubsub: () => ({ channels: hub.channelCount, patterns: hub.patternCount }),
  };
  function client(): FakeClient {
    const session = new Session(nextId++, '127.0.0.1:5000', source.clientAuth !== null);
    let out: Buffer[] = [];
    let pushed: Buffer[] = [];
    const state = { closed: false };
    const subscriber = { session, deliver: (r: Reply) => pushed.push(encode(r, session.proto)) };
    const ctx: CommandContext = {
      session,
      subscriber,
      source,
      server: facts,
      hub,
      logger: silentLogger(),
      maxSubscriptions: options.maxSubscriptions ?? 10000,
      addressReplies,
      shardNames,
      knownRequests,
      reply: (r) => out.push(encode(r, session.proto)),
      closeAfterReplies: () => {
        state.closed = true;
      },
    };
    const run = async (...args: string[]): Promise<string> => {
      out = [];
      await dispatch(
        ctx,
        args.map((a) => Buffer.from(a, 'latin1')),
      );
      return Buffer.concat(out).toString('latin1');
    };
    return {
      session,
      run,
      values: async (...args) => decodeAll(Buffer.from(await run(...args), 'latin1')).values,
      takePushed: () => {
        const text = Buffer.concat(pushed).toString('latin1');
        pushed = [];
        return text;
      },
      get closed() {
        return state.closed;
      },
    };
  }
  return { hub, facts, client };
}
