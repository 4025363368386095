// The simulator's side of the Redis connection port (src/monitor/redis-port.ts): a client
// connection from one raftinel node to one fake Redis node over a simulated link, so that the
// production Prober (src/monitor/prober.ts) runs unchanged. It behaves as the RESP client
// the node uses (src/monitor/resp-client.ts): it connects at once, times out a connect after
// connectTimeoutMs, sends CLIENT SETNAME before declaring itself ready, fails what is pending
// when the connection closes, and connects again after retryDelayMs. The link delays each packet
// and keeps TCP's order; a cut link loses what is on the wire and leaves the connection
// half-open (the prober's own timeout gives it up); a crashed Redis process closes its
// connections (FIN, if the link carries it) and refuses new ones; a stalled one (SIGSTOP) accepts
// connections but answers only when it resumes; a restarted one may answer -LOADING a while.
// Everything the observer hears runs through its inbox: later if it is paused, never if it died.
import { replyError } from '../../src/monitor/classify.js';
import type { ConnectionOptions } from '../../src/monitor/connection.js';
import type { ConnectionEvents, RedisConnection, ReplyCallback } from '../../src/monitor/redis-port.js';
import type { FakeRedis, RedisGroup } from './redis-sim.js';
import type { Scheduler } from './scheduler.js';

/** The links between raftinel nodes and Redis nodes, as the world models them. */
export interface FakeLinks {
  readonly sched: Scheduler;
  /** The link (observer>shard/node) loses every packet now. */
  cut(key: string): boolean;
  /** One-way delay of a packet sent on the link now. */
  delay(key: string): number;
}

type Phase = 'connecting' | 'handshake' | 'up' | 'down';

export class FakeConnection implements RedisConnection {
  private phase: Phase = 'connecting';
  private closedForGood = false;
  /** Counts TCP connections of this client: packets of an older one are dropped. */
  private generation = 0;
  /** The Redis process the current TCP connection reached. */
  private incarnation = -1;
  /** A packet of this TCP connection was lost: nothing more gets through (half-open). */
  private broken = false;
  /** When the last packet each way arrives: TCP delivers in order. */
  private lastToServer = 0;
  private lastToClient = 0;
  private readonly pending: ReplyCallback[] = [];
  private connectTimeoutMs: number;
  private retryDelayMs: number;

  constructor(
    private readonly links: FakeLinks,
    private readonly key: string,
    private readonly group: RedisGroup,
    private readonly node: FakeRedis,
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
    private readonly inbox: (fn: () => void) => void,
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.retryDelayMs = options.retryDelayMs;
    this.connect();
  }

  get ready(): boolean {
    return this.phase === 'up';
  }

  /** Packets are the fake's unit, not writes: a batch is its calls, in order. */
  batch(send: () => void): void {
    send();
  }

  call(args: readonly string[], done: ReplyCallback): void {
    if (this.phase !== 'up' && this.phase !== 'handshake') {
      const gen = this.generation;
      this.deliver(0, gen, () =>
        done(stacklessError("Stream isn't writeable and enableOfflineQueue options is false"), null),
      );
      return;
    }
    this.pending.push(done);
    this.toServer(args);
  }

  retune(connectTimeoutMs: number, retryDelayMs: number): void {
    this.connectTimeoutMs = connectTimeoutMs;
    this.retryDelayMs = retryDelayMs;
  }

  close(): void {
    this.closedForGood = true;
    this.phase = 'down';
    this.pending.length = 0;
    this.node.connections.delete(this);
  }

  /** The Redis process died: its kernel closes the connection (FIN), if the link carries it. */
  peerClosed(): void {
    if (this.phase !== 'up' && this.phase !== 'handshake') return;
    const gen = this.generation;
    this.send(this.links.delay(this.key), 'toClient', () =>
      this.inbox(() => {
        if (this.current(gen)) this.lost(null);
      }),
    );
  }

  // ---- TCP ------------------------------------------------------------------------------------

  private connect(): void {
    const gen = ++this.generation;
    this.phase = 'connecting';
    this.broken = false;
    this.pending.length = 0;
    const { sched } = this.links;
    // Runs on the observer's clock in real life; a paused observer times out late, as its timer.
    sched.at(
      sched.now + this.connectTimeoutMs,
      () =>
        this.inbox(() => {
          if (this.current(gen) && this.phase === 'connecting')
            this.lost(connectError('ETIMEDOUT', this.options));
        }),
      true,
    );
    const oneWay = this.links.delay(this.key);
    if (this.links.cut(this.key)) return; // the SYN is lost: the connect times out
    sched.at(
      sched.now + oneWay,
      () => {
        if (this.links.cut(this.key) || !this.current(gen)) return;
        const refused = !this.node.alive;
        const incarnation = this.node.incarnation;
        const back = this.links.delay(this.key);
        sched.at(
          sched.now + back,
          () => {
            if (this.links.cut(this.key)) return;
            this.inbox(() => {
              if (!this.current(gen) || this.phase !== 'connecting') return;
              if (refused) {
                this.lost(connectError('ECONNREFUSED', this.options));
                return;
              }
              // The process that accepted died meanwhile: its kernel reset the connection.
              if (this.node.incarnation !== incarnation) this.lost(connectError('ECONNRESET', this.options));
              else this.accepted(gen);
            });
          },
          true,
        );
      },
      true,
    );
  }

  /** TCP is up: as the RESP client, CLIENT SETNAME before ready. */
  private accepted(gen: number): void {
    this.phase = 'handshake';
    this.incarnation = this.node.incarnation;
    this.node.connections.add(this);
    this.lastToServer = this.links.sched.now;
    this.lastToClient = this.links.sched.now;
    this.events.connected();
    if (!this.current(gen)) return;
    this.call(['CLIENT', 'SETNAME', this.options.name], (err) => {
      if (!this.current(gen) || this.phase !== 'handshake') return;
      if (err !== null) {
        this.events.error(err);
        return;
      }
      this.phase = 'up';
      this.events.ready();
    });
  }

  /** The connection closed (with the error that closed it): pending commands fail, then retry. */
  private lost(err: Error | null): void {
    this.phase = 'down';
    this.generation++;
    this.node.connections.delete(this);
    const pending = this.pending.splice(0);
    if (err !== null) this.events.error(err);
    for (const done of pending) {
      if (this.closedForGood) return;
      done(stacklessError('Connection is closed.'), null);
    }
    if (this.closedForGood) return;
    this.events.closed();
    if (this.closedForGood) return;
    const gen = this.generation;
    this.links.sched.at(
      this.links.sched.now + this.retryDelayMs,
      () =>
        this.inbox(() => {
          if (this.current(gen)) this.connect();
        }),
      true,
    );
  }

  private current(gen: number): boolean {
    return !this.closedForGood && this.generation === gen;
  }

  /**
   * Schedules a packet's arrival `delay` ms from now, after every earlier packet the same way,
   * unless the link cuts it now or on arrival (then the connection is half-open from here on).
   */
  private send(delay: number, way: 'toServer' | 'toClient', arrive: () => void): void {
    const { sched } = this.links;
    if (this.broken || this.links.cut(this.key)) {
      this.broken = true;
      return;
    }
    const last = way === 'toServer' ? this.lastToServer : this.lastToClient;
    const at = Math.max(sched.now + delay, last);
    if (way === 'toServer') this.lastToServer = at;
    else this.lastToClient = at;
    sched.at(
      at,
      () => {
        if (this.broken || this.links.cut(this.key)) {
          this.broken = true;
          return;
        }
        arrive();
      },
      true,
    );
  }

  private toServer(args: readonly string[]): void {
    const gen = this.generation;
    this.send(this.links.delay(this.key), 'toServer', () => {
      // A process that crashed since has no such connection (its FIN is on the way).
      if (!this.node.alive || this.node.incarnation !== this.incarnation) return;
      const run = (): void => {
        if (!this.node.alive || this.node.incarnation !== this.incarnation) return;
        const now = this.links.sched.now;
        // SIGSTOP: the command waits in the socket; the process runs it when it resumes.
        if (this.node.mustWait(now)) {
          this.node.whenAnswering(this.links.sched, run);
          return;
        }
        const answer = this.group.answer(this.node.id, args, now);
        this.send(this.links.delay(this.key), 'toClient', () =>
          this.inbox(() => {
            if (!this.current(gen)) return;
            const done = this.pending.shift();
            if (answer.error !== null) done?.(replyError(answer.error), null);
            else done?.(null, answer.reply);
          }),
        );
      };
      run();
    });
  }

  /** Delivers a local failure (no packet) to the observer. */
  private deliver(delay: number, gen: number, fn: () => void): void {
    this.links.sched.at(
      this.links.sched.now + delay,
      () =>
        this.inbox(() => {
          if (this.current(gen)) fn();
        }),
      true,
    );
  }
}

function connectError(code: 'ETIMEDOUT' | 'ECONNREFUSED' | 'ECONNRESET', o: ConnectionOptions): Error {
  const err = stacklessError(`connect ${code} ${o.host}:${o.port}`);
  (err as Error & { code: string }).code = code;
  return err;
}

/** An Error without a stack trace: capturing one per refused connect showed in the profile. */
function stacklessError(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const err = new Error(message);
  Error.stackTraceLimit = limit;
  return err;
}
