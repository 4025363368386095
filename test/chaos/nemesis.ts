// The nemesis: applies one scheduled fault to the real processes and links of a chaos rig and
// undoes it. Roles ("the master", "the leader") are resolved at the fault's start from what the
// cluster says (a leader's /leader, a node's applied shard view) and written down with the fault.
// Pods are index-aligned: Redis node r<i> and its sidecar raftinel node n<i>.
import { sourceAddressOf } from '../helpers/raftinel-cluster.js';
import type { FailoverRig, RigRedis } from '../helpers/failover-rig.js';
import type { RaftinelProcess } from '../helpers/raftinel-process.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { sleep } from '../helpers/wait.js';
import type { Fault, Op, RaftRole, RedisRole } from './schedule.js';

export interface NemesisEvent {
  /** ms since the campaign's start. */
  readonly at: number;
  readonly op: number;
  readonly what: string;
}

type Undo = () => Promise<void>;

function pickOf<T>(items: readonly T[], pick: number): T {
  return items[Math.min(items.length - 1, Math.floor(pick * items.length))];
}

export class Nemesis {
  readonly events: NemesisEvent[] = [];
  /** raftinel nodes this nemesis holds SIGSTOPped. */
  private readonly stoppedNodes = new Set<RaftinelProcess>();
  private readonly stoppedRedis = new Set<RigRedis>();
  private readonly shard = 'mymaster';

  constructor(
    private readonly rig: FailoverRig,
    private readonly t0: number,
    /** The master as the omniscient sampler saw it last (a fallback when no node answers). */
    private readonly sampledMaster: () => string | null,
  ) {}

  private get redis(): RigRedis[] {
    return this.rig.shard(this.shard).nodes;
  }

  private get nodes(): RaftinelProcess[] {
    return this.rig.nodes;
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  private note(op: number, what: string): void {
    this.events.push({ at: Math.round(this.now()), op, what });
  }

  podOf(node: RaftinelProcess): RigRedis {
    return this.redis[this.nodes.indexOf(node)];
  }

  sidecarOf(redis: RigRedis): RaftinelProcess {
    return this.nodes[this.redis.indexOf(redis)];
  }

  private source(node: RaftinelProcess): string {
    return sourceAddressOf(this.nodes.indexOf(node) + 1);
  }

  private raftProxy(node: RaftinelProcess): FaultProxy {
    const p = this.rig.raftProxies.get(node.id);
    if (!p) throw new Error(`no raft proxy for ${node.id}`);
    return p;
  }

  private redisProxy(r: RigRedis): FaultProxy {
    if (!r.proxy) throw new Error(`no proxy for ${r.id}`);
    return r.proxy;
  }

  private usable(): RaftinelProcess[] {
    return this.nodes.filter((n) => n.running && !this.stoppedNodes.has(n));
  }

  async leader(): Promise<RaftinelProcess | null> {
    const usable = this.usable();
    const flags = await Promise.all(
      usable.map((n) =>
        n
          .get('/leader', 500)
          .then((r) => r.status === 200)
          .catch(() => false),
      ),
    );
    const leaders = usable.filter((_, i) => flags[i]);
    return leaders.length === 1 ? leaders[0] : null;
  }

  async master(): Promise<RigRedis | null> {
    for (const n of this.usable()) {
      try {
        const r = await n.get<{ master: { id: string } | null }>(`/v1/shards/${this.shard}?stale=ok`, 500);
        const id = r.status === 200 ? r.body.master?.id : undefined;
        if (id) return this.redis.find((x) => x.id === id) ?? null;
      } catch {
        // the next node
      }
    }
    const sampled = this.sampledMaster();
    return sampled ? (this.redis.find((x) => x.id === sampled) ?? null) : null;
  }

  private async raftTarget(role: RaftRole, pick: number): Promise<RaftinelProcess> {
    const leader = await this.leader();
    if (role === 'leader' && leader) return leader;
    const pool = this.usable().filter((n) => n !== leader);
    return pickOf(pool.length > 0 ? pool : this.nodes, pick);
  }

  private async redisTarget(role: RedisRole, pick: number): Promise<RigRedis> {
    const master = await this.master();
    if (role === 'master' && master) return master;
    const pool = this.redis.filter((r) => r !== master && r.server.alive);
    return pickOf(pool.length > 0 ? pool : this.redis, pick);
  }

  private async podTarget(
    target: 'master' | 'leader',
    pick: number,
  ): Promise<{ r: RigRedis; n: RaftinelProcess }> {
    if (target === 'master') {
      const r = await this.redisTarget('master', pick);
      return { r, n: this.sidecarOf(r) };
    }
    const n = await this.raftTarget('leader', pick);
    return { r: this.podOf(n), n };
  }

  private async restartRedis(r: RigRedis, withData: boolean): Promise<void> {
    if (withData) await r.restartWithData();
    else await r.restartEmpty();
  }

  /** Starts the op's fault; the returned function undoes it. */
  async start(op: Op): Promise<Undo> {
    const f: Fault = op.fault;
    const i = op.index;
    switch (f.kind) {
      case 'kill-redis': {
        const r = await this.redisTarget(f.target, op.pick);
        this.note(i, `SIGKILL ${r.id} (pid ${r.pid})`);
        await r.kill();
        return async () => {
          await this.restartRedis(r, f.restart === 'data');
          this.note(i, `${r.id} restarted ${f.restart === 'data' ? 'with data' : 'empty'} (pid ${r.pid})`);
        };
      }
      case 'stop-redis': {
        const r = await this.redisTarget(f.target, op.pick);
        this.note(i, `SIGSTOP ${r.id}`);
        r.server.pause();
        this.stoppedRedis.add(r);
        return async () => {
          r.server.resume();
          this.stoppedRedis.delete(r);
          this.note(i, `SIGCONT ${r.id}`);
        };
      }
      case 'kill-raftinel': {
        const n = await this.raftTarget(f.target, op.pick);
        this.note(i, `SIGKILL ${n.id}`);
        await n.kill();
        return async () => {
          n.start();
          this.note(i, `${n.id} restarted`);
        };
      }
      case 'stop-raftinel': {
        const n = await this.raftTarget(f.target, op.pick);
        this.note(i, `SIGSTOP ${n.id}`);
        n.signal('SIGSTOP');
        this.stoppedNodes.add(n);
        return async () => {
          n.signal('SIGCONT');
          this.stoppedNodes.delete(n);
          this.note(i, `SIGCONT ${n.id}`);
        };
      }
      case 'stall-raftinel': {
        const n = await this.raftTarget(f.target, op.pick);
        this.note(i, `stalls of ${n.id} begin`);
        let done = false;
        let stalls = 0;
        const loop = (async () => {
          while (!done) {
            n.signal('SIGSTOP');
            await sleep(f.stallMs);
            n.signal('SIGCONT');
            stalls++;
            await sleep(f.gapMs);
          }
        })();
        return async () => {
          done = true;
          await loop;
          n.signal('SIGCONT');
          this.note(i, `stalls of ${n.id} end (${stalls} stalls)`);
        };
      }
      case 'pod-loss': {
        const { r, n } = await this.podTarget(f.target, op.pick);
        this.note(i, `SIGKILL pod ${r.id}+${n.id}`);
        await Promise.all([r.kill(), n.kill()]);
        return async () => {
          await this.restartRedis(r, f.restart === 'data');
          n.start();
          this.note(
            i,
            `pod ${r.id}+${n.id} restarted (redis ${f.restart === 'data' ? 'with data' : 'empty'})`,
          );
        };
      }
      case 'isolate-raftinel': {
        const n = await this.raftTarget(f.target, op.pick);
        const others = this.nodes.filter((x) => x !== n);
        // n's own proxy carries the others' connections to n ('up': toward n); each other node's
        // proxy carries n's connections to it ('up': away from n).
        const into = f.direction === 'in' ? 'up' : f.direction === 'out' ? 'down' : undefined;
        const outOf = f.direction === 'in' ? 'down' : f.direction === 'out' ? 'up' : undefined;
        this.raftProxy(n).cut(
          'blackhole',
          others.map((o) => this.source(o)),
          into,
        );
        for (const o of others) this.raftProxy(o).cut('blackhole', [this.source(n)], outOf);
        this.note(i, `${n.id} cut from ${others.map((o) => o.id).join(',')} (${f.direction})`);
        return async () => {
          this.raftProxy(n).heal();
          for (const o of others) this.raftProxy(o).heal();
          this.note(i, `${n.id} healed`);
        };
      }
      case 'cut-redis': {
        const r = await this.redisTarget(f.target, op.pick);
        const sidecar = this.sidecarOf(r);
        const observers =
          f.observers === 'majority'
            ? this.nodes.filter((x) => x !== sidecar)
            : [pickOf(this.nodes, op.pick)];
        const sources = observers.map((o) => this.source(o));
        if (f.mode === 'drop') this.redisProxy(r).cut('drop', sources);
        else this.redisProxy(r).cut('blackhole', sources, f.direction === 'replies' ? 'down' : undefined);
        this.note(i, `${observers.map((o) => o.id).join(',')} cut from ${r.id} (${f.direction}, ${f.mode})`);
        return async () => {
          this.redisProxy(r).heal();
          this.note(i, `${r.id} links healed`);
        };
      }
      case 'isolate-pod': {
        const { r, n } = await this.podTarget(f.target, op.pick);
        const others = this.nodes.filter((x) => x !== n);
        const otherRedis = this.redis.filter((x) => x !== r);
        this.raftProxy(n).cut(
          'blackhole',
          others.map((o) => this.source(o)),
        );
        for (const o of others) this.raftProxy(o).cut('blackhole', [this.source(n)]);
        // The other pods reach neither r (their probes, their replication links) ...
        this.redisProxy(r).cut('blackhole', [
          ...others.map((o) => this.source(o)),
          ...otherRedis.map((x) => x.sourceAddress as string),
        ]);
        // ... nor does the isolated pod reach theirs.
        for (const x of otherRedis)
          this.redisProxy(x).cut('blackhole', [this.source(n), r.sourceAddress as string]);
        this.note(i, `pod ${r.id}+${n.id} isolated`);
        return async () => {
          await this.healLinks();
          this.note(i, `pod ${r.id}+${n.id} healed`);
        };
      }
      case 'latency': {
        const sources = this.nodes.map((n) => this.source(n));
        // On the replies only: every round trip gets f.ms ± f.jitterMs longer, as netem on the Redis host's egress.
        for (const r of this.redis) this.redisProxy(r).delay(f.ms, sources, f.jitterMs, 'down');
        this.note(i, `latency ${f.ms}±${f.jitterMs} ms (round trip) on raftinel->redis links`);
        let done = false;
        const loop = (async () => {
          while (!done) {
            await sleep(1000 + Math.floor(Math.random() * 1000));
            if (done) break;
            pickOf(this.redis, Math.random()).proxy?.stall(f.stallMs, sources);
          }
        })();
        return async () => {
          done = true;
          await loop;
          await this.healLinks();
          this.note(i, 'latency lifted');
        };
      }
    }
  }

  private async healLinks(): Promise<void> {
    for (const p of this.rig.raftProxies.values()) p.heal();
    for (const r of this.redis) r.proxy?.heal();
  }

  /** Everything back: links healed, processes resumed, dead ones restarted (Redis with its data). */
  async healAll(): Promise<void> {
    await this.healLinks();
    for (const n of this.nodes) n.signal('SIGCONT');
    this.stoppedNodes.clear();
    for (const r of this.redis) r.server.resume();
    this.stoppedRedis.clear();
    for (const r of this.redis) if (!r.server.alive) await r.restartWithData();
    for (const n of this.nodes) if (!n.running) n.start();
  }
}
