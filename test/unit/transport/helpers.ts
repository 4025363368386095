// Shared pieces of the transport tests: transports on loopback with a captured log, raw sockets
// (test/helpers/raw-peer.ts) that speak or break the protocol, and polling with a hang guard.
import { createServer } from 'node:net';
import { afterEach } from 'node:test';
import type { Message, NodeId } from '../../../src/raft/types.js';
import { createTcpTransport, type TcpTransport } from '../../../src/transport/index.js';
import type { TcpTransportOptions } from '../../../src/transport/options.js';
import { createLogger } from '../../../src/util/log.js';
import { RawPeer } from '../../helpers/raw-peer.js';

export type LogLine = Record<string, unknown>;

/** A pino logger whose lines are kept, parsed, for assertions (pino's own `sink()` idea). */
export function captureLog(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

export function findLine(lines: readonly LogLine[], match: LogLine): LogLine | undefined {
  return lines.find((line) => Object.entries(match).every(([key, value]) => line[key] === value));
}

/** Polls until `check` holds. The deadline is a hang guard, not a speed claim. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface TestNode {
  readonly id: NodeId;
  readonly transport: TcpTransport;
  readonly inbox: Message[];
  readonly lines: LogLine[];
}

export const CLUSTER = 'test-cluster';
/** Fast redials keep the reconnect tests short. */
export const FAST_BACKOFF = { initialMs: 10, maxMs: 100 };

export async function startNode(
  id: NodeId,
  overrides: Partial<Omit<TcpTransportOptions, 'nodeId' | 'logger'>> = {},
): Promise<TestNode> {
  const { logger, lines } = captureLog();
  const transport = await createTcpTransport({
    cluster: CLUSTER,
    nodeId: id,
    listen: '127.0.0.1:0',
    advertise: { http: `http-of-${id}`, sentinel: `resp-of-${id}` },
    backoff: FAST_BACKOFF,
    ...overrides,
    logger,
  });
  const inbox: Message[] = [];
  transport.onMessage((message) => inbox.push(message));
  return { id, transport, inbox, lines };
}

type NodeOverrides = Parameters<typeof startNode>[1];

/**
 * Starts transports (`node`, as startNode) and dials them with raw sockets (`raw`), and closes
 * all of them after each test of the calling file (it registers the afterEach hook).
 */
export function closedAfterEachTest(): {
  node: (id: NodeId, overrides?: NodeOverrides) => Promise<TestNode>;
  raw: (target: TestNode) => RawPeer;
} {
  const transports: TcpTransport[] = [];
  const raws: RawPeer[] = [];
  afterEach(async () => {
    for (const peer of raws.splice(0)) peer.close();
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });
  return {
    node: async (id, overrides = {}) => {
      const started = await startNode(id, overrides);
      transports.push(started.transport);
      return started;
    },
    raw: (target) => {
      const peer = new RawPeer({
        address: target.transport.address,
        cluster: CLUSTER,
        listenerId: target.id,
      });
      raws.push(peer);
      return peer;
    },
  };
}

/** Gives every node the same membership: each node's id mapped to its listen address. */
export function connectAll(nodes: readonly TestNode[]): void {
  const members = new Map(nodes.map((node) => [node.id, node.transport.address]));
  for (const node of nodes) node.transport.setMembers(members);
}

export function heartbeat(from: NodeId, to: NodeId, term = 1, commit = 0): Message {
  return { type: 'Heartbeat', from, to, term, commit, readCtx: 0, seq: 1 };
}

/** Sends `make(i)` every few ms until `until` holds: Raft-style retry over a best-effort transport. */
export async function sendUntil(
  what: string,
  send: (attempt: number) => void,
  until: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  let attempt = 0;
  await waitFor(
    what,
    () => {
      if (until()) return true;
      send(attempt++);
      return false;
    },
    timeoutMs,
  );
}

/** Sends heartbeats from `from` to `to` until `to` has received a message. */
export async function untilDelivered(what: string, from: TestNode, to: TestNode, term = 1): Promise<void> {
  await sendUntil(
    what,
    () => from.transport.send(heartbeat(from.id, to.id, term)),
    () => to.inbox.length > 0,
  );
}

/** A port that was free a moment ago (for restarting a node on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
