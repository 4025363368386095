// A sidecar (src/sidecar/sidecar.ts) with fakes, for its unit tests: the sidecar of a Redis node
// of shard m (r1 the committed master), its checks run by hand, its Redis operations answered by
// the test, its ReadIndex rounds answered by the test (`confirm`), its fence store in memory.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { RedisOp, RedisOpResult } from '../../../src/failover/engine.js';
import type { RedisObservation } from '../../../src/failover/types.js';
import type { Topology } from '../../../src/failover/topology.js';
import { Sidecar } from '../../../src/sidecar/sidecar.js';
import { obs, settings, topologyWithMaster } from '../failover/fixtures.js';

export class Harness {
  /** ms since this node last had a Raft majority's acknowledgement. */
  contactMs = 0;
  /** Whether a leader was heard from lately. */
  freshLeader = true;
  /** What the fence store holds. */
  stored = false;
  /** ReadIndex rounds asked for and not answered yet. */
  readonly confirms: ((ok: boolean) => void)[] = [];

  topo: Topology = topologyWithMaster();
  /** This node's own view of each Redis node of shard m. */
  readonly views = new Map([
    ['r1', obs('r1')],
    ['r2', obs('r2')],
  ]);
  readonly ops: RedisOp[] = [];
  /** The result the next Redis operations get. */
  result: RedisOpResult = { ok: true };
  readonly logs: Record<string, unknown>[] = [];
  private check: () => void = () => undefined;
  private observed: (changed: readonly RedisObservation[]) => void = () => undefined;
  readonly sidecar: Sidecar;

  constructor(
    readonly redisId = 'r2',
    storedFence = false,
  ) {
    this.stored = storedFence;
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    this.sidecar = new Sidecar({
      redisId,
      fenceAfterMs: 3000,
      clock: {
        now: () => 0,
        every: (_ms, fn) => {
          this.check = fn;
          return () => undefined;
        },
        after: () => () => undefined,
        defer: (fn) => fn(),
      },
      topology: () => this.topo,
      ownView: (_shard, node) => this.views.get(node) ?? null,
      onObservation: (listener) => {
        this.observed = listener;
        return () => undefined;
      },
      msSinceMajorityContact: () => this.contactMs,
      hasFreshLeader: () => this.freshLeader,
      confirmApplied: (done) => {
        this.confirms.push(done);
      },
      fenceStore: {
        load: () => this.stored,
        save: (fenced) => {
          this.stored = fenced;
        },
      },
      admin: {
        execute: (_target, op, done) => {
          this.ops.push(op);
          done(this.result);
        },
      },
      target: (shard, node) => ({
        shard,
        node: { id: node, host: `h-${node}`, port: 6379, priority: 100, noFailover: false },
        settings,
        auth: null,
        tls: null,
        isMaster: false,
      }),
      logger: pino({ level: 'info' }, sink),
    });
  }

  /** One check of the sidecar, with its own view of r2 changed first. */
  see(fields: Parameters<typeof obs>[1]): void {
    this.views.set(this.redisId, obs(this.redisId, fields));
    this.check();
  }

  /** This node's prober reports a changed view of r2, between two checks. */
  report(fields: Parameters<typeof obs>[1]): void {
    const o = obs(this.redisId, fields);
    this.views.set(this.redisId, o);
    this.observed([o]);
  }

  conversions(): Record<string, unknown>[] {
    return this.logs.filter((l) => l.event === '+convert-to-slave');
  }

  /** One check of the sidecar with the views as they are. */
  tick(): void {
    this.check();
  }

  /** Answers every ReadIndex round asked for so far. */
  confirm(ok = true): void {
    for (const done of this.confirms.splice(0)) done(ok);
  }

  events(name: string): Record<string, unknown>[] {
    return this.logs.filter((l) => l.event === name);
  }
}
