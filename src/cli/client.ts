// The CLI's HTTP client: finds a live node among the endpoints (in the order given), reads from
// it, and sends admin requests to the leader named in its /v1/cluster (a follower would forward
// them anyway, but that adds a hop and depends on the follower's link to the leader). Every
// failure becomes one line that says which address and what to check.
import http from 'node:http';
import https from 'node:https';
import { isClusterView, isErrorBody, type ClusterView } from './api.js';
import { CliError, EXIT_USAGE } from './output.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:26380';
/** Reads and discovery; a live node answers these in milliseconds. */
const READ_TIMEOUT_MS = 5_000;
/** Connecting to one endpoint during discovery: a dead host should not hold up the next one. */
const DISCOVER_TIMEOUT_MS = 2_000;
/** Admin actions answer when done; the server bounds a switchover at 30 s, forwarding adds some. */
export const ACTION_TIMEOUT_MS = 75_000;
/** Connecting (TCP, and TLS for https) to any address. */
const CONNECT_TIMEOUT_MS = 2_000;
/** How long admin requests are retried while the cluster has no leader (an election). */
const NO_LEADER_RETRY_MS = 5_000;

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** The base URL that answered. */
  readonly from: string;
}

/** A failure to get any HTTP answer (refused, timed out, reset): the node may be down. */
class Unreachable extends Error {
  constructor(
    readonly url: string,
    readonly why: string,
  ) {
    super(`${url}: ${why}`);
  }
}

const CHECK_ENDPOINT =
  'check that a raftinel node runs there and that --endpoint (or RAFTINEL_ENDPOINT) names its HTTP address';

/** Splits and checks `--endpoint` values: base URLs, comma-separated, http:// assumed. */
export function parseEndpoints(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const raw of value.split(',')) {
      const text = raw.trim();
      if (text === '') continue;
      const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `http://${text}`;
      let url: URL;
      try {
        url = new URL(withScheme);
      } catch {
        throw new CliError(
          `--endpoint ${text} is not a URL (expected http://host:port)`,
          EXIT_USAGE,
          'usage',
        );
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new CliError(
          `--endpoint ${text}: only http:// and https:// are supported`,
          EXIT_USAGE,
          'usage',
        );
      }
      out.push(`${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`);
    }
  }
  if (out.length === 0) throw new CliError('--endpoint names no address', EXIT_USAGE, 'usage');
  return out;
}

export interface ClientOptions {
  readonly endpoints: readonly string[];
  /** The admin token (from --token-file or RAFTINEL_TOKEN), or null. */
  readonly token: string | null;
}

export class ApiClient {
  private live: { base: string; cluster: ClusterView } | null = null;

  constructor(private readonly options: ClientOptions) {}

  /** GET /v1/cluster from the first endpoint that answers (asked again on every call). */
  async cluster(): Promise<ClusterView> {
    return (await this.discover(true)).cluster;
  }

  /** The base URL of the live node the reads go to. */
  async liveBase(): Promise<string> {
    return (await this.discover(false)).base;
  }

  /** A read from the live node; the reply whatever its status (callers decide). */
  async get<T>(path: string, timeoutMs = READ_TIMEOUT_MS): Promise<Reply<T>> {
    const { base } = await this.discover(false);
    try {
      return await request<T>('GET', base + path, undefined, this.headers(), timeoutMs);
    } catch (err) {
      throw this.explain(err);
    }
  }

  /** A read that must succeed (2xx): its body, or a CliError with the server's message. */
  async read<T>(path: string): Promise<T> {
    return expectOk(await this.get<T>(path), path);
  }

  /**
   * An admin request, to the leader first, then to the live node (which forwards it). Retried
   * for a few seconds while the cluster has no leader, since nothing ran then.
   */
  async admin<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = READ_TIMEOUT_MS,
  ): Promise<Reply<T>> {
    const deadline = performance.now() + NO_LEADER_RETRY_MS;
    for (;;) {
      const { base, cluster } = await this.discover(true);
      const bases = [leaderBase(base, cluster), base].filter(
        (b, i, all): b is string => b !== null && all.indexOf(b) === i,
      );
      let reply: Reply<T> | null = null;
      let lastErr: unknown = null;
      for (const b of bases) {
        try {
          reply = await request<T>(method, b + path, body, this.headers(), timeoutMs);
          // A leader without an admin block takes admin requests from its own host only; the
          // live node (on this host, as a preStop hook runs it) authorizes and forwards instead.
          const refused =
            reply.status === 403 && isErrorBody(reply.body) && reply.body.error.code === 'forbidden';
          if (refused && b !== base) continue;
          break;
        } catch (err) {
          // Only a request that never got an answer moves on: an answer means the node acted.
          if (err instanceof Unreachable && err.why.startsWith('no answer within')) {
            throw new CliError(
              `${method} ${path}: ${err.url} gave ${err.why}; the action may still have run: check \`raftinel status\``,
              1,
              'timeout',
            );
          }
          if (!(err instanceof Unreachable)) throw this.explain(err);
          lastErr = err;
        }
      }
      if (reply === null) throw this.explain(lastErr);
      const code = isErrorBody(reply.body) ? reply.body.error.code : null;
      const retry = reply.status === 503 && (code === 'no_leader' || code === 'leader_unreachable');
      if (!retry || performance.now() > deadline) return reply;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private headers(): Record<string, string> {
    return this.options.token !== null ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  private async discover(refresh: boolean): Promise<{ base: string; cluster: ClusterView }> {
    if (this.live && !refresh) return this.live;
    const failures: Unreachable[] = [];
    // The endpoint that answered last goes first: a dead first endpoint costs one timeout only.
    const order = this.live
      ? [this.live.base, ...this.options.endpoints.filter((e) => e !== this.live?.base)]
      : this.options.endpoints;
    for (const base of order) {
      try {
        const r = await request<unknown>(
          'GET',
          base + '/v1/cluster',
          undefined,
          this.headers(),
          DISCOVER_TIMEOUT_MS,
        );
        if (r.status === 200 && isClusterView(r.body)) {
          this.live = { base, cluster: r.body };
          return this.live;
        }
        failures.push(
          new Unreachable(base, `HTTP ${r.status} from GET /v1/cluster: not a raftinel HTTP address?`),
        );
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        failures.push(err);
      }
    }
    if (failures.length === 1)
      throw new CliError(
        `cannot reach a raftinel node at ${failures[0].url} (${failures[0].why}): ${CHECK_ENDPOINT}`,
        1,
        'unreachable',
      );
    const list = failures.map((f) => `${f.url} (${f.why})`).join(', ');
    throw new CliError(
      `cannot reach a raftinel node at any endpoint: ${list}; ${CHECK_ENDPOINT}`,
      1,
      'unreachable',
    );
  }

  private explain(err: unknown): Error {
    if (err instanceof Unreachable)
      return new CliError(
        `cannot reach a raftinel node at ${err.url} (${err.why}): ${CHECK_ENDPOINT}`,
        1,
        'unreachable',
      );
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The leader's HTTP base URL from a cluster view, or null when unknown or not dialable. */
function leaderBase(base: string, cluster: ClusterView): string | null {
  if (cluster.leader === null) return null;
  if (cluster.leader === cluster.node) return base;
  const addr = cluster.members.find((m) => m.id === cluster.leader)?.http ?? null;
  // A wildcard listen address names no host to dial from here: let the live node forward.
  if (addr === null || /^(0\.0\.0\.0|\[::\]|::):/.test(addr)) return null;
  return `${new URL(base).protocol}//${addr}`;
}

/** The body of a 2xx reply, or a CliError that carries the server's message and a hint. */
export function expectOk<T>(reply: Reply<T>, what: string): T {
  if (reply.status >= 200 && reply.status < 300) return reply.body;
  throw httpError(reply, what);
}

export function httpError(reply: Reply<unknown>, what: string): CliError {
  if (!isErrorBody(reply.body)) {
    return new CliError(
      `${what}: ${reply.from} answered HTTP ${reply.status} with no raftinel error document`,
      1,
      'http_error',
    );
  }
  const { code, message } = reply.body.error;
  let hint = '';
  if (reply.status === 401) hint = '; give the admin token with --token-file or RAFTINEL_TOKEN';
  if (reply.status === 403)
    hint = '; without an admin block a node takes admin requests from its own host only';
  if (code === 'no_quorum' || code === 'no_leader')
    hint = '; the cluster has no majority right now (check `raftinel status`)';
  return new CliError(`${message} (${code})${hint}`, 1, code);
}

function describeError(err: NodeJS.ErrnoException, timeoutMs: number): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'RAFTINEL_TIMEOUT':
      return `no answer within ${timeoutMs} ms`;
    case 'RAFTINEL_CONNECT_TIMEOUT':
      return `no connection within ${Math.min(timeoutMs, CONNECT_TIMEOUT_MS)} ms`;
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

/** One request with a hard deadline; a JSON body in, the parsed JSON (or text) out. */
function request<T>(
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Reply<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const base = new URL(url).origin;
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method,
        // One connection per request, closed after: nothing keeps the CLI process alive.
        agent: false,
        headers: {
          accept: 'application/json',
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err: NodeJS.ErrnoException) => fail(err));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? null : JSON.parse(text);
          } catch {
            // Not JSON (another service on that port): the caller reports it as such.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, from: base });
        });
      },
    );
    const fail = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(new Unreachable(base, describeError(err, timeoutMs)));
    };
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error('timeout');
      err.code = 'RAFTINEL_TIMEOUT';
      req.destroy(err);
    }, timeoutMs);
    // A host that drops packets fails here within the connect timeout, and since nothing was
    // sent yet, the caller may safely try the next address (a long action timeout must not
    // keep it waiting on a dead leader).
    const connectTimer = setTimeout(
      () => {
        const err: NodeJS.ErrnoException = new Error('connect timeout');
        err.code = 'RAFTINEL_CONNECT_TIMEOUT';
        req.destroy(err);
      },
      Math.min(timeoutMs, CONNECT_TIMEOUT_MS),
    );
    req.on('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once('connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      fail(err);
    });
    req.on('close', () => clearTimeout(connectTimer));
    req.end(payload);
  });
}
