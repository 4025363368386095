// Followers forward admin requests to the leader over the peer transport, which carries the
// cluster's identity, so forwarding works across hosts without exposing the leader's HTTP. The
// leader runs a forwarded request only from a member of the committed configuration whose admin
// settings agree with its own (admin-agreement.ts, docs/design.md 5.2).
import type { AdminConfig } from '../config/core.js';
import type { NodeId } from '../raft/types.js';
import type { Logger } from '../util/log.js';
import { adminStamp, checkAdminStamp, type AdminStamp } from './admin-agreement.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { EnvelopeChannel } from '../failover/ports.js';
import { errorReply, type HttpReply, type HttpRequest, type Router } from './http-server.js';

const FORWARD_TIMEOUT_MS = 60_000;
const MAX_PENDING = 256;

interface ForwardedRequest {
  readonly id: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body: unknown;
  readonly admin: AdminStamp;
}

export interface ForwarderSettings {
  readonly cluster: string;
  readonly admin: AdminConfig | null;
  readonly logger: Logger;
}

export class AdminForwarder {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: HttpReply) => void; timer: NodeJS.Timeout; leader: NodeId }
  >();

  constructor(
    private readonly channel: EnvelopeChannel,
    private readonly runtime: RaftRuntime,
    router: Router,
    private readonly settings: ForwarderSettings,
  ) {
    channel.onEnvelope('fwd', (from, body) => void this.serve(router, from, body));
    channel.onEnvelope('fwd-resp', (from, body) => this.answer(from, body));
  }

  forward(req: HttpRequest): Promise<HttpReply> {
    const leader = this.runtime.status().leader;
    if (leader === null) return Promise.resolve(errorReply(503, 'no_leader', 'no leader to forward to'));
    if (this.pending.size >= MAX_PENDING)
      return Promise.resolve(errorReply(503, 'busy', 'too many forwarded requests'));
    let admin: AdminStamp;
    try {
      admin = adminStamp(this.settings.admin, this.settings.cluster);
    } catch {
      return Promise.resolve(errorReply(500, 'token_unreadable', 'the admin token file cannot be read'));
    }
    const id = this.nextId++;
    const msg: ForwardedRequest = {
      id,
      method: req.method,
      path: req.path,
      query: req.query.toString(),
      body: req.body,
      admin,
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(errorReply(504, 'forward_timeout', `the leader ${leader} did not answer in time`));
      }, FORWARD_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer, leader });
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
    const conf = this.runtime.status().conf;
    if (!conf.voters.includes(from) && !conf.learners.includes(from)) {
      this.settings.logger.warn({ event: 'forward-refused', peer: from, reason: 'not a member' });
      return;
    }
    let agreement;
    try {
      agreement = checkAdminStamp(this.settings.admin, this.settings.cluster, m.admin);
    } catch {
      agreement = { ok: false, reason: 'the admin token file cannot be read' } as const;
    }
    if (!agreement.ok) {
      this.settings.logger.error({
        event: 'admin-settings-mismatch',
        peer: from,
        path: m.path,
        reason: agreement.reason,
      });
      this.channel.sendEnvelope(from, 'fwd-resp', {
        id: m.id,
        ...errorReply(
          409,
          'admin_mismatch',
          `refused by the leader: ${agreement.reason}; every node needs the same admin block (docs/design.md 5.2)`,
        ),
      });
      return;
    }
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

  private answer(from: NodeId, body: unknown): void {
    const m = body as { id?: unknown; status?: unknown; body?: unknown } | null;
    if (!m || typeof m.id !== 'number' || typeof m.status !== 'number') return;
    const p = this.pending.get(m.id);
    // Only the node the request went to answers it.
    if (!p || p.leader !== from) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    p.resolve({ status: m.status, body: m.body });
  }
}
