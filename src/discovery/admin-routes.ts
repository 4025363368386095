// Admin routes (docs/design.md 5.2): switchover, failover, pause/resume/ack, shard and member changes.
// Each is authorized (token, or loopback without an admin block), audited, and run on the
// leader (followers forward over the peer transport); each answers when the action finished.
import { timingSafeEqual } from 'node:crypto';
import { readSecretFile, type RaftinelConfig, type ShardSettings } from '../config/core.js';
import { nodeSpecOf } from '../failover/config-shards.js';
import type { CandidateReport, ShardSpec, TopologyCommand } from '../failover/types.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Logger } from '../util/log.js';
import { errorReply, type HttpReply, type HttpRequest, type Router } from '../node/http-server.js';
import type { DiscoveryDeps } from './http-routes.js';
import { notFound } from './http-routes.js';

const ACTION_TIMEOUT_MS = 30_000;

export function addAdminRoutes(router: Router, deps: DiscoveryDeps): void {
  const { runtime, topology, driver } = deps;
  const command =
    (cmd: (p: Record<string, string>) => TopologyCommand, what: string, needsShard = true) =>
    (req: HttpRequest, p: Record<string, string>) =>
      admin(deps, req, () =>
        needsShard && !topology().shards[p.name]
          ? notFound(p.name)
          : propose(runtime, cmd(p), what, deps.logger),
      );
  router.on(
    'POST',
    '/v1/shards/{name}/pause',
    command((p) => ({ type: 'pause', shard: p.name }), 'pause'),
  );
  router.on(
    'POST',
    '/v1/shards/{name}/resume',
    command((p) => ({ type: 'resume', shard: p.name }), 'resume'),
  );
  router.on(
    'POST',
    '/v1/shards/{name}/ack',
    command((p) => ({ type: 'ack', shard: p.name }), 'ack'),
  );
  // Maintenance of one Redis node: POST starts it, DELETE ends it (docs/design.md 5.2).
  for (const [method, on] of [
    ['POST', true],
    ['DELETE', false],
  ] as const) {
    router.on(method, '/v1/shards/{name}/nodes/{node}/maintenance', (req, p) =>
      admin(deps, req, () => {
        const shard = topology().shards[p.name];
        if (!shard) return notFound(p.name);
        if (!shard.nodes.some((n) => n.id === p.node))
          return errorReply(404, 'node_not_found', `no Redis node ${p.node} in shard ${p.name}`);
        return propose(
          runtime,
          { type: 'maintenance', shard: p.name, node: p.node, on },
          `maintenance ${on ? 'on' : 'off'} ${p.name}/${p.node}`,
          deps.logger,
        );
      }),
    );
  }
  router.on(
    'POST',
    '/v1/pause',
    command(() => ({ type: 'pause', shard: null }), 'pause all', false),
  );
  router.on(
    'POST',
    '/v1/resume',
    command(() => ({ type: 'resume', shard: null }), 'resume all', false),
  );

  router.on('POST', '/v1/shards/{name}/switchover', (req, p) =>
    admin(deps, req, async () => {
      const body = (await bodies()).switchover(req.body);
      if (typeof body === 'string') return errorReply(400, 'bad_request', body);
      if (!topology().shards[p.name]) return notFound(p.name);
      const to = body.to ?? null;
      if (body.dryRun === true)
        return { status: 200, body: dryRun(topology().shards[p.name], to, driver.candidates(p.name)) };
      const result = await driver.switchover(p.name, to, ACTION_TIMEOUT_MS);
      return { status: result.ok ? 200 : 409, body: result };
    }),
  );
  router.on('POST', '/v1/shards/{name}/failover', (req, p) =>
    admin(deps, req, async () => {
      const body = (await bodies()).failover(req.body);
      if (typeof body === 'string') return errorReply(400, 'bad_request', body);
      if (!topology().shards[p.name]) return notFound(p.name);
      const result = await driver.failover(p.name, body.to, body.allowDataLoss === true, ACTION_TIMEOUT_MS);
      return { status: result.ok ? 200 : 409, body: result };
    }),
  );

  router.on('POST', '/v1/shards', (req) =>
    admin(deps, req, async () => {
      const body = (await bodies()).newShard(req.body);
      if (typeof body === 'string') return errorReply(400, 'bad_request', body);
      if (topology().shards[body.name]) return errorReply(409, 'shard_exists', `shard ${body.name} exists`);
      const clash = redisClash(deps, body.nodes, null);
      if (clash) return errorReply(409, 'redis_node_in_use', clash);
      const settings = { ...deps.config.defaults, ...body.settings } as ShardSettings;
      const spec: ShardSpec = {
        name: body.name,
        nodes: body.nodes.map(nodeSpecOf),
        settings,
        initialMaster: body.initialMaster ?? null,
      };
      return propose(runtime, { type: 'addShard', shard: spec }, `add shard ${body.name}`, deps.logger);
    }),
  );
  router.on('PATCH', '/v1/shards/{name}', (req, p) =>
    admin(deps, req, async () => {
      const body = (await bodies()).patchShard(req.body);
      if (typeof body === 'string') return errorReply(400, 'bad_request', body);
      if (!topology().shards[p.name]) return notFound(p.name);
      const clash = body.nodes ? redisClash(deps, body.nodes, p.name) : null;
      if (clash) return errorReply(409, 'redis_node_in_use', clash);
      const cmd: TopologyCommand = {
        type: 'setShard',
        name: p.name,
        settings: body.settings as Partial<ShardSettings> | undefined,
        nodes: body.nodes?.map(nodeSpecOf),
      };
      return propose(runtime, cmd, `change shard ${p.name}`, deps.logger);
    }),
  );
  router.on('DELETE', '/v1/shards/{name}', (req, p) =>
    admin(deps, req, () =>
      topology().shards[p.name]
        ? propose(runtime, { type: 'removeShard', name: p.name }, `remove shard ${p.name}`, deps.logger)
        : notFound(p.name),
    ),
  );

  router.on('POST', '/v1/members', (req) =>
    admin(deps, req, async () => {
      const body = (await bodies()).newMember(req.body);
      if (typeof body === 'string') return errorReply(400, 'bad_request', body);
      const context = JSON.stringify({ [body.id]: { raft: body.raft, http: null, sentinel: null } });
      return confChange(
        runtime,
        { type: 'addLearner', id: body.id, context },
        `add member ${body.id} as a learner`,
        deps.logger,
      );
    }),
  );
  router.on('DELETE', '/v1/members/{id}', (req, p) =>
    admin(deps, req, () => {
      const s = runtime.status();
      const isVoter = s.conf.voters.includes(p.id);
      if (!isVoter && !s.conf.learners.includes(p.id))
        return errorReply(404, 'member_not_found', `${p.id} is not a member`);
      if (isVoter) {
        const remaining = s.conf.voters.filter((v) => v !== p.id);
        const live = remaining.filter((v) => deps.memberLive(v)).length;
        const majority = Math.floor(remaining.length / 2) + 1;
        if (live < majority) {
          return errorReply(
            409,
            'would_lose_quorum',
            `removing ${p.id} would leave ${live} live voters of ${remaining.length}, fewer than a majority (${majority})`,
          );
        }
      }
      return confChange(runtime, { type: 'remove', id: p.id }, `remove member ${p.id}`, deps.logger);
    }),
  );
}

/**
 * The preflight of a switchover without running it: `ok` says whether it would start (the
 * shard has a master and the target, named or best, is an eligible replica), `problem` why not.
 */
function dryRun(
  shard: { name: string; master: string | null },
  to: string | null,
  candidates: CandidateReport | null,
) {
  const target = to ?? candidates?.chosen ?? null;
  const row = candidates?.rows.find((r) => r.id === target) ?? null;
  const problem =
    shard.master === null
      ? `${shard.name} has no master`
      : target === null
        ? 'no eligible replica'
        : target === shard.master
          ? `${target} is already the master`
          : row === null
            ? `${target} is not a replica of ${shard.name}`
            : row.eligible
              ? null
              : `${target} is not eligible: ${row.reason}`;
  return {
    ok: problem === null,
    dryRun: true,
    shard: shard.name,
    from: shard.master,
    to,
    target,
    problem,
    candidates,
  };
}

/** The body checks, loaded with zod on the first request that needs them (admin-bodies.ts). */
const bodies = async (): Promise<(typeof import('./admin-bodies.js'))['adminBodies']> =>
  (await import('./admin-bodies.js')).adminBodies;

/** A Redis node may belong to one shard only (the config rule, kept for changes too). */
function redisClash(
  deps: DiscoveryDeps,
  nodes: readonly { id: string; host: string; port: number }[],
  except: string | null,
): string | null {
  for (const s of Object.values(deps.topology().shards)) {
    if (s.name === except) continue;
    for (const n of nodes) {
      const other = s.nodes.find((x) => x.id === n.id || (x.host === n.host && x.port === n.port));
      if (other) return `Redis node ${n.id} (${n.host}:${n.port}) is already in shard ${s.name}`;
    }
  }
  return null;
}

function confChange(
  runtime: RaftRuntime,
  change: Parameters<RaftRuntime['proposeConfChange']>[0],
  what: string,
  logger: Logger,
): Promise<HttpReply> {
  return new Promise((resolve) => {
    runtime.proposeConfChange(change, (err) => {
      if (err) resolve(errorReply(err.code === 'bad_conf_change' ? 409 : 503, err.code, err.message));
      else {
        logger.info({ event: 'admin-action', action: what }, what);
        resolve({ status: 200, body: { ok: true, action: what } });
      }
    });
  });
}

/** Admin: authorize, audit, then run on the leader (followers forward). */
export async function admin(
  deps: DiscoveryDeps,
  req: HttpRequest,
  run: () => HttpReply | Promise<HttpReply>,
): Promise<HttpReply> {
  const denied = authorize(deps.config, req);
  if (denied) return denied;
  deps.logger.info(
    {
      event: 'audit',
      method: req.method,
      path: req.path,
      remote: req.remoteAddress,
      forwarded: req.headers['x-raftinel-forwarded'] === '1',
    },
    'admin request',
  );
  const s = deps.runtime.status();
  if (s.role !== 'leader') {
    if (req.headers['x-raftinel-forwarded'] === '1')
      return errorReply(503, 'not_leader', 'leadership moved while forwarding');
    if (s.leader === null) return errorReply(503, 'no_leader', 'no leader to forward to');
    return deps.forward(req);
  }
  return run();
}

function authorize(config: RaftinelConfig, req: HttpRequest): HttpReply | null {
  if (req.headers['x-raftinel-forwarded'] === '1' && req.remoteAddress === 'peer') return null; // authorized by the follower
  if (req.remoteAddress === 'internal') return null; // the RESP side authenticated it (AUTH admin)
  if (!config.admin) {
    // All of 127.0.0.0/8 is loopback (tests and sidecars bind source addresses 127.0.0.2, ...).
    const loopback =
      req.remoteAddress.startsWith('127.') ||
      req.remoteAddress === '::1' ||
      req.remoteAddress.startsWith('::ffff:127.');
    return loopback
      ? null
      : errorReply(
          403,
          'forbidden',
          'admin routes accept loopback clients only (no admin block in the config)',
        );
  }
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  let token: string;
  try {
    token = readSecretFile(config.admin.tokenFile);
  } catch {
    return errorReply(500, 'token_unreadable', 'the admin token file cannot be read');
  }
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b)
    ? null
    : errorReply(401, 'unauthorized', 'a valid admin token is required (Authorization: Bearer)');
}

function propose(
  runtime: RaftRuntime,
  command: TopologyCommand,
  what: string,
  logger: Logger,
): Promise<HttpReply> {
  return new Promise((resolve) => {
    runtime.propose(JSON.stringify({ type: 'topology', command }), (err) => {
      if (err) resolve(errorReply(503, err.code, err.message));
      else {
        logger.info({ event: 'admin-action', action: what }, what);
        resolve({ status: 200, body: { ok: true, action: what } });
      }
    });
  });
}
