// Followers forward admin requests to the leader over the peer transport, which carries the
// cluster's identity, so forwarding works across hosts without exposing the leader's HTTP.
import type { NodeId } from '../raft/types.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { EnvelopeChannel } from '../failover/driver.js';
import { errorReply, type HttpReply, type HttpRequest, type Router } from './http-server.js';

const FORWARD_TIMEOUT_MS = 60_000;
const MAX_PENDING = 256;

interface ForwardedRequest {
  readonly id: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body: unknown;
}

export class AdminForwarder {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: HttpReply) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly channel: EnvelopeChannel,
    private readonly runtime: RaftRuntime,
    router: Router,
  ) {
    channel.onEnvelope('fwd', (from, body) => void this.serve(router, from, body));
    channel.onEnvelope('fwd-resp', (_from, body) => this.answer(body));
  }

  forward(req: HttpRequest): Promise<HttpReply> {
    const leader = this.runtime.status().leader;
    if (leader === null) return Promise.resolve(errorReply(503, 'no_leader', 'no leader to forward to'));
    if (this.pending.size >= MAX_PENDING)
      return Promise.resolve(errorReply(503, 'busy', 'too many forwarded requests'));
    const id = this.nextId++;
    const msg: ForwardedRequest = {
      id,
      method: req.method,
      path: req.path,
      query: req.query.toString(),
      body: req.body,
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(errorReply(504, 'forward_timeout', `the leader ${leader} did not answer in time`));
      }, FORWARD_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      if (!this.channel.sendEnvelope(leader, 'fwd', msg)) {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(errorReply(503, 'leader_unreachable', `cannot reach the leader ${leader}`));
      }
    });
  }

  private async serve(router: Router, from: NodeId, body: unknown): Promise<void> {
    const m = body as Partial<ForwardedRequest> | null;
    if (!m || typeof m.id !== 'number' || typeof m.method !== 'string' || typeof m.path !== 'string') return;
    const reply = await router.handle({
      method: m.method,
      path: m.path,
      query: new URLSearchParams(typeof m.query === 'string' ? m.query : ''),
      headers: { 'x-raftinel-forwarded': '1' },
      body: m.body,
      remoteAddress: 'peer',
    });
    this.channel.sendEnvelope(from, 'fwd-resp', { id: m.id, status: reply.status, body: reply.body });
  }

  private answer(body: unknown): void {
    const m = body as { id?: unknown; status?: unknown; body?: unknown } | null;
    if (!m || typeof m.id !== 'number' || typeof m.status !== 'number') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    p.resolve({ status: m.status, body: m.body });
  }
}
