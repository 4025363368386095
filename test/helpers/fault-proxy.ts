// An in-process TCP fault proxy (docs/design.md 9): it listens on an address, forwards every
// connection to a target, and tells client connections apart by their source address (each
// raftinel test node binds its outgoing connections to its own loopback address through
// `node.sourceAddress`: 127.0.0.2, 127.0.0.3, ...). Faults apply to some sources or to all:
//
// - refuse:    new connections are reset at once; established ones carry on.
// - drop:      established connections are reset and new ones too (a dead link or a dead host).
// - blackhole: nothing moves in either direction, on established and new connections alike; the
//              bytes wait (in the kernel's buffers, as TCP would keep retransmitting them) and flow
//              again on heal, as after a healed partition. No close is passed on while cut.
// - blackhole in one direction only (`cut('blackhole', sources, 'up')`): only the bytes from the
//              client to the target wait ('up'), or only those back ('down'): an asymmetric cut.
// - delay:     every chunk is forwarded after `ms`, plus a uniform jitter in [-jitterMs, +jitterMs]
//              when given, in both directions or one; order is kept (a chunk never overtakes the
//              one before it).
// - stall:     on top of any rule, nothing moves for `ms`, then the rule in force applies again
//              (a short hiccup of the link: a GC pause of a middlebox, a congested switch).
//
// heal() lifts faults (for some sources or all). Nothing here kills a process; the sockets are the
// proxy's own.
import net from 'node:net';

export type FaultMode = 'refuse' | 'drop' | 'blackhole';

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

export interface FaultProxyOptions {
  readonly target: ProxyTarget;
  /** Listen address; default 127.0.0.1 and a port the kernel picks. */
  readonly host?: string;
  readonly port?: number;
  readonly name?: string;
  /**
   * A refused or dropped new connection is reset this long after it was accepted (default 0: at
   * once), as a proxy that dials a dead backend first does; the client has seen its connect by then.
   */
  readonly resetDelayMs?: number;
}

/** Which bytes a one-way fault holds: 'up' from the client to the target, 'down' back. */
export type Direction = 'up' | 'down';

type Rule =
  | { readonly mode: Exclude<FaultMode, 'blackhole'> }
  | { readonly mode: 'blackhole'; readonly direction?: Direction }
  | {
      readonly mode: 'delay';
      readonly ms: number;
      readonly jitterMs: number;
      /** Only the bytes of this direction are late (as netem delays a host's egress); absent: both. */
      readonly direction?: Direction;
    };

/** Per source address: connections accepted, refused or reset by a fault, bytes each way. */
export interface SourceStats {
  accepted: number;
  refused: number;
  reset: number;
  bytesUp: number;
  bytesDown: number;
}

const ALL = '*';

/** IPv4-mapped IPv6 ("::ffff:127.0.0.2") as the plain IPv4 text the tests use. */
function plain(address: string | undefined): string {
  if (address === undefined) return '?';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

class Pair {
  private closed = false;
  private held = false;
  private upstreamConnected = false;
  /**
   * Delayed chunks of each direction, in arrival order, each with the time it is due; one timer
   * per direction writes them out in that order. (One setTimeout per chunk did not keep the
   * order: Node measures a timer from the loop's cached time, so a chunk that arrived later in
   * the same loop turn with an equal due time could fire first, and the client read the replies
   * of two commands swapped.)
   */
  private readonly delayed = { up: [] as DelayedChunk[], down: [] as DelayedChunk[] };
  private readonly delayTimer: Record<Direction, NodeJS.Timeout | null> = { up: null, down: null };
  /** Which directions a stall or blackhole holds now. */
  private holding: Record<Direction, boolean> = { up: false, down: false };

  constructor(
    readonly source: string,
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    private readonly proxy: FaultProxy,
  ) {
    this.pipe(client, upstream, 'up');
    this.pipe(upstream, client, 'down');
    upstream.once('connect', () => {
      this.upstreamConnected = true;
      this.apply();
    });
    // A close while blackholed is not passed on: a partitioned peer would not see it either.
    // It is passed on at heal (apply), or at once otherwise.
    const onEnd = (): void => {
      if (!this.held) this.close(false);
    };
    client.once('close', onEnd);
    upstream.once('close', onEnd);
    client.on('error', () => undefined);
    // The target refused or reset us: reset the client too, as a refused connection would be.
    upstream.on('error', () => {
      if (!this.held) this.close(true);
    });
  }

  get alive(): boolean {
    return !this.closed;
  }

  /** Re-reads the rule for this source and acts on it. */
  apply(): void {
    if (this.closed) return;
    const rule = this.proxy.ruleFor(this.source);
    if (rule?.mode === 'drop') {
      this.proxy.stats(this.source).reset++;
      this.close(true);
      return;
    }
    const stalled = this.proxy.stalled(this.source);
    const holdUp = stalled || (rule?.mode === 'blackhole' && rule.direction !== 'down');
    const holdDown = stalled || (rule?.mode === 'blackhole' && rule.direction !== 'up');
    this.held = holdUp || holdDown;
    this.holding = { up: holdUp, down: holdDown };
    if (!this.held && (this.client.destroyed || this.upstream.destroyed)) {
      this.close(false); // one side went away while held
      return;
    }
    // Reading from the client carries bytes up; reading from the target carries them down.
    if (holdUp) this.client.pause();
    else this.client.resume();
    if (holdDown) this.upstream.pause();
    else if (this.upstreamConnected) this.upstream.resume();
    // Chunks that were waiting out a delay wait out the hold too; they go on now if released.
    if (!holdUp) this.flushDelayed(this.upstream, 'up');
    if (!holdDown) this.flushDelayed(this.client, 'down');
  }

  close(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const dir of ['up', 'down'] as const) {
      const timer = this.delayTimer[dir];
      if (timer !== null) clearTimeout(timer);
      this.delayTimer[dir] = null;
      this.delayed[dir].length = 0;
    }
    for (const s of [this.client, this.upstream]) {
      if (s.destroyed) continue;
      try {
        // No RST on a socket still connecting (resetAndDestroy waits for the connect) or already
        // shutting down: Node 20's uv_tcp_close_reset fails after a shutdown and the handle is
        // then never closed, so the process spins at exit waiting for it.
        if (reset && !s.connecting && !s.writableEnded && !s.readableEnded) s.resetAndDestroy();
        else s.destroy();
      } catch {
        s.destroy();
      }
    }
    this.proxy.forget(this);
  }

  private pipe(from: net.Socket, to: net.Socket, dir: 'up' | 'down'): void {
    from.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      const stats = this.proxy.stats(this.source);
      if (dir === 'up') stats.bytesUp += chunk.length;
      else stats.bytesDown += chunk.length;
      const rule = this.proxy.ruleFor(this.source);
      const queue = this.delayed[dir];
      if (rule?.mode === 'delay' && (rule.direction === undefined || rule.direction === dir)) {
        const now = performance.now();
        const jitter = rule.jitterMs > 0 ? (Math.random() * 2 - 1) * rule.jitterMs : 0;
        const last = queue.length > 0 ? queue[queue.length - 1].due : 0;
        queue.push({ chunk, due: Math.max(now + Math.max(0, rule.ms + jitter), last) });
        this.flushDelayed(to, dir);
        return;
      }
      if (queue.length > 0) {
        // The rule changed while chunks still wait: this one goes after them.
        queue.push({ chunk, due: queue[queue.length - 1].due });
        this.flushDelayed(to, dir);
        return;
      }
      if (!to.destroyed && !to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!this.held) from.resume();
        });
      }
    });
  }

  /** Writes the due chunks of one direction in order and arms the timer for the next one. */
  private flushDelayed(to: net.Socket, dir: Direction): void {
    if (this.delayTimer[dir] !== null || this.holding[dir]) return;
    const queue = this.delayed[dir];
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) {
      const { chunk } = queue.shift() as DelayedChunk;
      if (!this.closed && !to.destroyed) to.write(chunk);
    }
    if (queue.length === 0 || this.closed) return;
    this.delayTimer[dir] = setTimeout(
      () => {
        this.delayTimer[dir] = null;
        this.flushDelayed(to, dir);
      },
      Math.max(1, Math.ceil(queue[0].due - now)),
    );
  }
}

interface DelayedChunk {
  readonly chunk: Buffer;
  /** performance.now() at which it may be written. */
  readonly due: number;
}

export class FaultProxy {
  readonly name: string;
  private readonly server: net.Server;
  private readonly rules = new Map<string, Rule>();
  private readonly pairs = new Set<Pair>();
  private readonly perSource = new Map<string, SourceStats>();
  /** performance.now() until which a source (or ALL) is stalled. */
  private readonly stalledUntil = new Map<string, number>();
  private readonly stallTimers = new Set<NodeJS.Timeout>();
  private boundPort = 0;
  private readonly resetDelayMs: number;

  private constructor(
    readonly target: ProxyTarget,
    readonly host: string,
    name: string | undefined,
    resetDelayMs: number | undefined,
  ) {
    this.resetDelayMs = resetDelayMs ?? 0;
    this.name = name ?? `proxy->${target.host}:${target.port}`;
    this.server = net.createServer({ pauseOnConnect: true }, (client) => this.accept(client));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(
      options.target,
      options.host ?? '127.0.0.1',
      options.name,
      options.resetDelayMs,
    );
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen({ host: proxy.host, port: options.port ?? 0, exclusive: true }, () => {
        proxy.server.off('error', reject);
        resolve();
      });
    });
    proxy.boundPort = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  get port(): number {
    return this.boundPort;
  }

  /** "host:port" clients dial. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /**
   * Applies a fault to the given source addresses, or to every source when none is given; a
   * blackhole may hold one direction only.
   */
  cut(mode: FaultMode, sources?: readonly string[], direction?: Direction): void {
    if (mode === 'blackhole') this.set({ mode, direction }, sources);
    else this.set({ mode }, sources);
  }

  /**
   * Forwards every chunk `ms` late, give or take a uniform `jitterMs`, order kept; in one
   * direction only when given ('down': the target's replies, which adds `ms` to every round trip).
   */
  delay(ms: number, sources?: readonly string[], jitterMs = 0, direction?: Direction): void {
    this.set({ mode: 'delay', ms, jitterMs, direction }, sources);
  }

  /** Holds every byte of the given sources (or all) for `ms`, on top of the rule in force. */
  stall(ms: number, sources?: readonly string[]): void {
    const until = performance.now() + ms;
    for (const s of sources ?? [ALL])
      this.stalledUntil.set(s, Math.max(until, this.stalledUntil.get(s) ?? 0));
    for (const p of [...this.pairs]) p.apply();
    this.endStallAt(until);
  }

  /**
   * Lifts the stalls due by `until`. A timer may fire before performance.now() reaches its due
   * time (Node measures it from the loop's cached time): then it is armed again for the rest, or
   * the link would stay held until some later stall or heal re-read the rules.
   */
  private endStallAt(until: number): void {
    const timer = setTimeout(
      () => {
        this.stallTimers.delete(timer);
        const now = performance.now();
        if (now < until) {
          this.endStallAt(until);
          return;
        }
        for (const [s, u] of [...this.stalledUntil]) if (u <= now) this.stalledUntil.delete(s);
        for (const p of [...this.pairs]) p.apply();
      },
      Math.max(1, Math.ceil(until - performance.now())),
    );
    this.stallTimers.add(timer);
  }

  /** Whether a stall holds this source now. */
  stalled(source: string): boolean {
    const now = performance.now();
    return (this.stalledUntil.get(source) ?? 0) > now || (this.stalledUntil.get(ALL) ?? 0) > now;
  }

  /** Lifts the faults of the given sources, or every fault when none is given. */
  heal(sources?: readonly string[]): void {
    if (sources === undefined) {
      this.rules.clear();
      this.stalledUntil.clear();
    } else {
      for (const s of sources) {
        this.rules.delete(s);
        this.stalledUntil.delete(s);
      }
    }
    for (const p of [...this.pairs]) p.apply();
  }

  /** The rule in force for a source: its own, else the one for all sources. */
  ruleFor(source: string): Rule | undefined {
    return this.rules.get(source) ?? this.rules.get(ALL);
  }

  stats(source: string): SourceStats {
    let s = this.perSource.get(source);
    if (!s) this.perSource.set(source, (s = { accepted: 0, refused: 0, reset: 0, bytesUp: 0, bytesDown: 0 }));
    return s;
  }

  /** Every source seen so far with its counters. */
  sources(): ReadonlyMap<string, SourceStats> {
    return this.perSource;
  }

  /** Open connections per source. */
  openConnections(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.pairs) out.set(p.source, (out.get(p.source) ?? 0) + 1);
    return out;
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    for (const t of this.stallTimers) clearTimeout(t);
    this.stallTimers.clear();
    for (const p of [...this.pairs]) p.close(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  forget(pair: Pair): void {
    this.pairs.delete(pair);
  }

  private set(rule: Rule, sources: readonly string[] | undefined): void {
    if (sources === undefined) {
      this.rules.clear();
      this.rules.set(ALL, rule);
    } else {
      for (const s of sources) this.rules.set(s, rule);
    }
    for (const p of [...this.pairs]) p.apply();
  }

  private accept(client: net.Socket): void {
    const source = plain(client.remoteAddress);
    const rule = this.ruleFor(source);
    const stats = this.stats(source);
    if (rule?.mode === 'refuse' || rule?.mode === 'drop') {
      stats.refused++;
      client.on('error', () => undefined);
      // Later, a plain close: an RST then (uv_tcp_close_reset) on a socket whose peer may have
      // closed meanwhile can leave a request Node waits for at exit forever.
      if (this.resetDelayMs > 0) setTimeout(() => client.destroy(), this.resetDelayMs);
      else client.resetAndDestroy();
      return;
    }
    stats.accepted++;
    const upstream = net.connect({ host: this.target.host, port: this.target.port });
    upstream.pause();
    const pair = new Pair(source, client, upstream, this);
    this.pairs.add(pair);
    pair.apply();
  }
}
