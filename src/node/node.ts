// One `raftinel node` process: file storage, TCP transport, the runtime loop and the HTTP
// listener, wired from a validated config. Everything here is shell; decisions live in src/raft.
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { randomInt } from 'node:crypto';
import {
  advertisedAddresses,
  effectiveFenceAfterMs,
  parseHostPort,
  readSecretFile,
  type RaftinelConfig,
} from '../config/core.js';
import type { NodeId } from '../raft/types.js';
import { RaftRuntime } from '../runtime/raft-runtime.js';
import { systemClock } from '../runtime/system-clock.js';
import { openFileStorage } from '../storage/index.js';
import { createTcpTransport, type TcpTransport } from '../transport/index.js';
import { MIN_SECRET_BYTES } from '../transport/peer-auth.js';
import { RaftinelError } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { addDiscoveryRoutes } from '../discovery/http-routes.js';
import { ViewChanges } from '../discovery/change-cache.js';
import { Histogram } from '../discovery/histogram.js';
import { Metrics, PROBE_BUCKETS } from '../discovery/metrics.js';
import { ShardStates } from '../discovery/shard-states.js';
import { openApiDocument } from '../discovery/openapi.js';
import { SentinelRespServer } from '../discovery/resp/index.js';
import { createSentinelSource } from '../discovery/sentinel-source.js';
import { publishParityEvents } from '../discovery/parity-events.js';
import {
  addSidecarRoutes,
  internalRequest,
  failoverErrorText,
  listenerTls,
  publishSdownEvents,
} from './wiring.js';
import { shardsFromConfig } from '../failover/config-shards.js';
import { FailoverDriver } from '../failover/driver.js';
import type { RedisExecutor } from '../failover/ports.js';
import { HookRunner } from '../hooks/hook-runner.js';
import { fileFenceStore } from '../sidecar/fence-store.js';
import { Sidecar } from '../sidecar/sidecar.js';
import { Prober, RedisAdmin } from '../monitor/index.js';
import { PreflightRunner } from '../monitor/preflight-runner.js';
import { ClusterState, type MemberAddresses } from './cluster-state.js';
import { MemberHealth } from './member-health.js';
import { startLearnerPromoter } from './learner-promoter.js';
import { mustRejoin, rejoined } from './rejoin-marker.js';
import { AdminForwarder } from './forward.js';
import { Router, startHttpServer } from './http-server.js';
import { addClusterRoutes, clusterView } from './routes.js';
import { LiveDetail } from '../discovery/live-detail.js';
import { ObserverDigest } from '../discovery/observer-digest.js';

export interface NodeOptions {
  /** Adds POST /debug/propose and GET /debug/state (tests and the benchmark only). */
  readonly debugRoutes?: boolean;
  readonly logger?: Logger;
}

export interface RunningNode {
  readonly id: NodeId;
  readonly config: RaftinelConfig;
  readonly runtime: RaftRuntime;
  readonly state: ClusterState;
  readonly transport: TcpTransport;
  readonly driver: FailoverDriver;
  readonly logger: Logger;
  /** Graceful stop: hand leadership over (bounded wait), then close everything. */
  stop(options?: { transferLeadership?: boolean }): Promise<void>;
}

export async function startNode(config: RaftinelConfig, options: NodeOptions = {}): Promise<RunningNode> {
  let runtimeRef: RaftRuntime | null = null;
  const logger =
    options.logger ??
    createLogger({
      level: config.log.level,
      nodeId: config.node.id,
      mixin: () => (runtimeRef ? { term: runtimeRef.core.term } : {}),
    });
  const advertised = advertisedAddresses(config.node);
  const storage = openFileStorage(config.node.dataDir, logger);
  const cleanup: (() => Promise<void> | void)[] = [() => storage.close()];
  try {
    const transport = await createTcpTransport({
      cluster: config.cluster,
      nodeId: config.node.id,
      listen: config.node.listen.raft,
      advertise: advertised,
      sourceAddress: config.node.sourceAddress,
      tls: peerTls(config),
      secret: peerSecret(config),
      logger,
      now: () => performance.now(),
      // Any node that passed the cluster handshake is heard on Raft (a fresh node learns its
      // membership from the log, a lagging one may not know a newer member: RaftRuntime.accepts);
      // other kinds come from members only.
      allowUnknown: () => true,
    });
    cleanup.push(() => transport.close());
    const state = new ClusterState();
    // Entry 1 must be byte-identical on every initial voter (Log Matching), so it carries only
    // what every config shares; the leader commits each member's full addresses afterwards.
    const bootstrapContext: Record<NodeId, MemberAddresses> = {};
    for (const p of config.peers) bootstrapContext[p.id] = { raft: p.raft, http: null, sentinel: null };
    const runtime = new RaftRuntime({
      id: config.node.id,
      timing: config.raft,
      storage,
      transport,
      clock: systemClock,
      stateMachine: state,
      random: () => randomInt(0, 2 ** 31) / 2 ** 31,
      logger: logger.child({ component: 'raft' }),
      bootstrap: config.isBootstrapVoter
        ? { voters: config.peers.map((p) => p.id), context: JSON.stringify(bootstrapContext) }
        : undefined,
      rejoin: mustRejoin(config.node.dataDir, config.node.bootstrap, storage.load())
        ? { onPromoted: () => rejoined(config.node.dataDir) }
        : undefined,
    });
    runtimeRef = runtime;

    const syncMembers = (): void => {
      const members = new Map<NodeId, string>();
      for (const [id, a] of Object.entries(state.members())) if (a.raft) members.set(id, a.raft);
      // Before the first entries apply, the bootstrap peers are all we know.
      if (members.size === 0) for (const p of config.peers) members.set(p.id, p.raft);
      transport.setMembers(members);
    };
    state.onChange(syncMembers);
    syncMembers();

    const addressKeeper = new AddressKeeper(runtime, state, config.node.id, advertised, logger);
    runtime.onSoftState((s) => {
      logger.info(
        {
          event: s.role === 'leader' ? '+elected-leader' : 'raft-role',
          role: s.role,
          leader: s.leader,
          term: s.term,
        },
        `${s.role} in term ${s.term}`,
      );
      if (s.role === 'leader') addressKeeper.reconcile();
    });
    transport.onPeerHello((hello) => {
      // Only the answer of a node we dialed at its committed raft address is trusted: anyone can
      // open an inbound connection and claim a member's id.
      if (hello.direction !== 'outbound') return;
      addressKeeper.learned(hello.nodeId, hello.addresses);
    });

    let resp: SentinelRespServer | null = null;
    // Each module names its own component on the logger it is given (one `component` key per line).
    const probeLatency = new Histogram(PROBE_BUCKETS);
    const prober = new Prober({
      logger,
      sourceAddress: config.node.sourceAddress,
      onRoundTrip: (ms) => probeLatency.observe(ms / 1000),
    });
    const admin = new RedisAdmin({
      logger,
      sourceAddress: config.node.sourceAddress,
    });
    cleanup.push(
      () => prober.close(),
      () => admin.close(),
    );
    const redisExecutor: RedisExecutor = {
      execute: (target, op, done) => void admin.execute(target, op).then(done),
    };
    const shards = shardsFromConfig(config, logger);
    const driver = new FailoverDriver({
      selfId: config.node.id,
      configuredShards: shards.specs,
      credentials: shards.credentials,
      clock: systemClock,
      runtime,
      topology: () => state.topology(),
      onTopology: (l) => state.onTopology(l),
      prober,
      admin: redisExecutor,
      channel: transport,
      logger: logger.child({ component: 'failover' }),
      publish: (name, _shard, message) => resp?.publish(name, message),
    });
    cleanup.push(() => driver.stop());
    const preflight = new PreflightRunner({ logger, sourceAddress: config.node.sourceAddress });
    cleanup.push(() => preflight.close());
    // After an applied entry that changed some shard's nodes or settings; the driver keeps the
    // target objects of unchanged shards, so most entries change nothing here.
    let checkedVersion = -1;
    const checkRedisNodes = (): void => {
      if (driver.targetsVersion === checkedVersion) return;
      checkedVersion = driver.targetsVersion;
      preflight.setTargets(driver.targets());
    };

    const router = new Router();
    const forwarder = new AdminForwarder(transport, runtime, router, {
      cluster: config.cluster,
      admin: config.admin,
      logger: logger.child({ component: 'forward' }),
    });
    const health = new MemberHealth(runtime, transport);
    cleanup.push(() => health.close());
    const clusterRouteDeps = {
      config,
      runtime,
      state,
      transport,
      health,
      debugRoutes: options.debugRoutes === true,
      logger,
    };
    addClusterRoutes(router, clusterRouteDeps);
    // One change counter for every fleet-sized view (discovery/change-cache.ts, issue 12).
    const viewChanges = new ViewChanges();
    state.onTopology(() => viewChanges.changed());
    prober.onChange(() => viewChanges.changed());
    // Who sees which Redis node down, as the leader's table says (followers: its digest).
    const observerDigest = new ObserverDigest({
      runtime,
      topology: () => state.topology(),
      sightings: (shard, node) => driver.sightings(shard, node),
      sendEnvelope: (to, kind, body) => transport.sendEnvelope(to, kind, body),
      onEnvelope: (kind, handler) => transport.onEnvelope(kind, handler),
      now: () => performance.now(),
    });
    cleanup.push(() => observerDigest.close());
    // The one source of every Redis node's and shard's state for HTTP, RESP and /metrics.
    const shardStates = new ShardStates({
      selfId: config.node.id,
      topology: () => state.topology(),
      ownView: (shard, node) => driver.ownView(shard, node),
      observers: (shard) => observerDigest.of(shard),
      voters: () => runtime.status().conf.voters.length,
      wallNow: () => Date.now(),
    });
    const metrics = new Metrics({
      runtime,
      topology: () => state.topology(),
      states: shardStates,
      changes: viewChanges,
      probeLatency,
    });
    cleanup.push(() => metrics.close());
    state.onTopology((events) => metrics.topologyApplied(events));
    router.on('GET', '/metrics', () => ({
      status: 200,
      body: null,
      text: { contentType: 'text/plain; version=0.0.4; charset=utf-8', content: metrics.render() },
    }));
    const openApi = openApiDocument(packageVersion());
    router.on('GET', '/v1/openapi.json', () => ({ status: 200, body: openApi }));
    if (options.debugRoutes === true)
      router.on('GET', '/debug/routes', () => ({ status: 200, body: router.list() }));
    const fenceAfterMs = effectiveFenceAfterMs(config);
    const sidecar =
      config.sidecar.redis !== null && fenceAfterMs !== null
        ? new Sidecar({
            redisId: config.sidecar.redis,
            fenceAfterMs,
            clock: systemClock,
            topology: () => state.topology(),
            ownView: (shard, node) => driver.ownView(shard, node),
            onObservation: (listener) => prober.onChange(listener),
            msSinceMajorityContact: () => runtime.msSinceMajorityContact(),
            hasFreshLeader: () => runtime.hasFreshLeader(),
            admin: redisExecutor,
            target: (shard, node) => driver.targetOf(shard, node),
            logger: logger.child({ component: 'sidecar' }),
            // No leader heard from lately: a ReadIndex would wait out the request timeout.
            confirmApplied: (done) =>
              runtime.hasFreshLeader() ? runtime.readIndex((err) => done(err === null)) : done(false),
            fenceStore: fileFenceStore(config.node.dataDir, config.sidecar.redis, logger),
          })
        : null;
    if (sidecar) cleanup.push(() => sidecar.close());
    addSidecarRoutes(router, sidecar);
    const shardWatchers = new Set<(shard: string) => void>();
    state.onTopology((events) => {
      const shards = events.length === 0 ? ['*'] : [...new Set(events.map((e) => e.shard))];
      for (const w of shardWatchers) for (const shard of shards) w(shard);
    });
    const electionMs = config.raft.electionTicks * config.raft.tickMs;
    // Heard from within one election timeout: the rule for member removal and learner promotion.
    const memberLive = (id: NodeId): boolean => (health.lastContactMs(id) ?? Infinity) <= electionMs;
    // Lag seconds for the JSON views and the status page.
    const live = new LiveDetail({
      topology: () => state.topology(),
      observations: () => prober.latest(),
      now: () => performance.now(),
    });
    cleanup.push(() => live.close());
    addDiscoveryRoutes(router, {
      changes: viewChanges,
      states: shardStates,
      clusterView: () => clusterView(clusterRouteDeps),
      live,
      config,
      runtime,
      topology: () => state.topology(),
      driver,
      logger,
      memberLive,
      onShardChange: (listener) => {
        shardWatchers.add(listener);
        return () => shardWatchers.delete(listener);
      },
      forward: (req) => forwarder.forward(req),
      preflight: (shard) =>
        preflight.ofShard(shard).flatMap((e) => e.problems.map((p) => ({ node: e.node, ...p }))),
    });
    const httpAddr = parseHostPort(config.node.listen.http);
    if (!httpAddr)
      throw new RaftinelError('listen_failed', `bad http listen address ${config.node.listen.http}`);
    const server: http.Server = await startHttpServer(httpAddr, router, logger, listenerTls(config.tls.http));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const source = createSentinelSource({
      changes: viewChanges,
      config,
      runtime,
      topology: () => state.topology(),
      members: () => state.members(),
      lastContactMs: (id) => health.lastContactMs(id),
      states: shardStates,
      switchover: async (shard) => {
        const reply = await router.handle(
          internalRequest('POST', `/v1/shards/${encodeURIComponent(shard)}/switchover`, {}),
        );
        if (reply.status === 200) return { ok: true };
        return { ok: false, error: failoverErrorText(reply.body) };
      },
    });
    resp = new SentinelRespServer(source, { logger, tls: listenerTls(config.tls.sentinel) ?? undefined });
    const respAddr = parseHostPort(config.node.listen.sentinel);
    if (!respAddr)
      throw new RaftinelError('listen_failed', `bad sentinel listen address ${config.node.listen.sentinel}`);
    await resp.listen(respAddr.host, respAddr.port);
    const respServer = resp;
    cleanup.push(() => respServer.close());
    publishSdownEvents(prober, state, (name, message) => respServer.publish(name, message));
    // +slave, +sentinel, +tilt/-tilt, +odown on followers, +elected-leader (docs/design.md 5.1).
    cleanup.push(
      publishParityEvents({
        prober,
        onTopology: (cb) => state.onTopology(cb),
        topology: () => state.topology(),
        quorum: (name) => source.shards().find((s) => s.name === name)?.quorum ?? 0,
        leading: () => runtime.leaseValid(),
        sentinels: () => source.sentinels(),
        publish: (name, message) => respServer.publish(name, message),
        logger,
      }),
    );
    server.closeIdleConnections?.();

    const hooks = new HookRunner({
      hooks: config.hooks,
      topology: () => state.topology(),
      leading: () => runtime.leaseValid(),
      propose: (command) => runtime.propose(JSON.stringify({ type: 'topology', command }), () => {}),
      logger: logger.child({ component: 'hooks' }),
    });
    state.onTopology((events) => hooks.applied(events));
    let hooksLeading = false;
    const stopHookTimer = systemClock.every(
      500,
      () => {
        const leading = runtime.leaseValid();
        if (leading && !hooksLeading) hooks.becameLeader();
        hooksLeading = leading;
      },
      { unref: true },
    );
    cleanup.push(stopHookTimer);

    runtime.start();
    driver.start();
    // After the driver's own topology listener (registered by start()): it rebuilds the targets
    // this one reads.
    state.onTopology(checkRedisNodes);
    checkRedisNodes();
    cleanup.push(startLearnerPromoter(runtime, memberLive, logger));
    logger.info(
      {
        event: 'node-started',
        raft: transport.address,
        http: config.node.listen.http,
        sentinel: advertised.sentinel,
        cluster: config.cluster,
      },
      'raftinel node started',
    );

    let stopping: Promise<void> | null = null;
    const stop = (opts: { transferLeadership?: boolean } = {}): Promise<void> => {
      stopping ??= (async () => {
        if (opts.transferLeadership !== false) await handOverLeadership(runtime, logger);
        runtime.stop();
        server.closeAllConnections?.();
        for (const c of cleanup.reverse()) await c();
        logger.info({ event: 'node-stopped' }, 'raftinel node stopped');
      })();
      return stopping;
    };
    return { id: config.node.id, config, runtime, state, transport, driver, logger, stop };
  } catch (err) {
    for (const c of cleanup.reverse()) await c();
    throw err;
  }
}

/** Mutual TLS between nodes needs all three files (the schema checks that cert and key go together). */
function peerTls(config: RaftinelConfig): { ca: string; cert: string; key: string } | null {
  const t = config.tls.peer;
  if (!t?.ca || !t.cert || !t.key) return null;
  return { ca: t.ca, cert: t.cert, key: t.key };
}

/** The cluster secret of peerAuth, checked for length; its content is never logged. */
function peerSecret(config: RaftinelConfig): Uint8Array | null {
  if (!config.peerAuth) return null;
  const file = config.peerAuth.secretFile;
  const secret = Buffer.from(readSecretFile(file), 'utf8');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new RaftinelError(
      'bad_peer_secret',
      `peerAuth.secretFile ${JSON.stringify(file)} holds ${secret.length} bytes; the cluster secret needs at least ${MIN_SECRET_BYTES}`,
      { file },
    );
  }
  return secret;
}

/** Moves leadership to the most caught-up voter and waits (at most ~600 ms) for it to take over. */
async function handOverLeadership(runtime: RaftRuntime, logger: Logger): Promise<void> {
  const s = runtime.status();
  if (s.role !== 'leader') return;
  let best: NodeId | null = null;
  let bestMatch = -1;
  for (const [id, pr] of s.progress) {
    if (id !== s.id && s.conf.voters.includes(id) && pr.match > bestMatch) {
      best = id;
      bestMatch = pr.match;
    }
  }
  if (best === null) return;
  logger.info({ event: 'leadership-transfer', to: best }, `moving leadership to ${best}`);
  try {
    runtime.transferLeadership(best);
  } catch {
    return;
  }
  const deadline = performance.now() + 600;
  while (runtime.status().role === 'leader' && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The leader commits every member's advertised addresses (learned from handshakes) into the
 * log, so that SENTINEL SENTINELS, /v1/cluster and forwarding read them from committed state.
 */
class AddressKeeper {
  private inFlight = false;
  private readonly heard = new Map<NodeId, { http: string | null; sentinel: string | null }>();

  constructor(
    private readonly runtime: RaftRuntime,
    private readonly state: ClusterState,
    private readonly selfId: NodeId,
    private readonly selfAddresses: MemberAddresses,
    private readonly logger: Logger,
  ) {}

  learned(id: NodeId, addresses: { http: string; sentinel: string }): void {
    this.heard.set(id, { http: addresses.http, sentinel: addresses.sentinel });
    this.reconcile();
  }

  reconcile(): void {
    if (this.inFlight || this.runtime.status().role !== 'leader') return;
    const conf = this.runtime.status().conf;
    const committedAll = this.state.members();
    const known = new Map<NodeId, MemberAddresses>([[this.selfId, this.selfAddresses]]);
    for (const [id, heard] of this.heard) {
      // The raft address stays the committed one: a hello may fill in http and sentinel only.
      const raft = committedAll[id]?.raft;
      if (raft) known.set(id, { raft, ...heard });
    }
    for (const [id, addresses] of known) {
      if (!conf.voters.includes(id) && !conf.learners.includes(id)) continue;
      const committed = committedAll[id];
      if (
        committed &&
        committed.raft === addresses.raft &&
        committed.http === addresses.http &&
        committed.sentinel === addresses.sentinel
      )
        continue;
      this.inFlight = true;
      this.runtime.propose(JSON.stringify({ type: 'setMemberAddresses', id, addresses }), (err) => {
        this.inFlight = false;
        if (err)
          this.logger.debug({ event: 'member-addresses-not-committed', id, code: err.code }, err.message);
        else this.reconcile();
      });
      return;
    }
  }
}

/** The version in package.json (two folders above dist/src/node in a checkout and in the package). */
function packageVersion(): string {
  try {
    const url = new URL('../../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
