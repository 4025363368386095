// The node's HTTP listener: a tiny router over node:http with caps on headers and bodies and
// JSON errors with stable codes (docs/design.md 5.2). Health routes answer GET and HEAD.
import http from 'node:http';
import https from 'node:https';
import { RaftinelError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
  readonly remoteAddress: string;
}

export interface HttpReply {
  readonly status: number;
  readonly body: unknown;
  /** A non-JSON answer (Prometheus text): sent as is with this content type. */
  readonly text?: { readonly contentType: string; readonly content: string };
  /** A long-lived answer (Server-Sent Events): takes over the response once headers are sent. */
  readonly stream?: (res: http.ServerResponse) => void;
  /** Extra response headers (`Allow` on a 405, the status page's Content-Security-Policy). */
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: HttpRequest) => HttpReply | Promise<HttpReply>;

export const MAX_BODY_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;

export function errorReply(status: number, code: string, message: string): HttpReply {
  return { status, body: { error: { code, message } } };
}

export class Router {
  private readonly routes: {
    method: string;
    path: string;
    pattern: RegExp;
    keys: string[];
    handler: Handler;
  }[] = [];

  /** Every registered route as `METHOD /path/{param}`, in registration order. */
  list(): string[] {
    return this.routes.map((r) => `${r.method} ${r.path}`);
  }

  /** `path` may hold `{name}` segments, handed to the handler in `params`. */
  on(
    method: string,
    path: string,
    handler: (req: HttpRequest, params: Record<string, string>) => HttpReply | Promise<HttpReply>,
  ): void {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' + path.replace(/\{(\w+)\}/g, (_m, k: string) => (keys.push(k), '([^/]+)')) + '$',
    );
    this.routes.push({
      method,
      path,
      pattern,
      keys,
      handler: (req) => {
        const m = pattern.exec(req.path) as RegExpExecArray;
        const params: Record<string, string> = {};
        for (const [i, k] of keys.entries()) {
          try {
            params[k] = decodeURIComponent(m[i + 1]);
          } catch {
            // A broken percent-escape (`%E0%A4%A`) is the client's mistake, not a server failure.
            return errorReply(
              400,
              'bad_path',
              `path segment ${JSON.stringify(m[i + 1])} is not valid percent-encoded UTF-8`,
            );
          }
        }
        return handler(req, params);
      },
    });
  }

  async handle(req: HttpRequest): Promise<HttpReply> {
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const allowed = new Set<string>();
    for (const r of this.routes) {
      if (!r.pattern.test(req.path)) continue;
      if (r.method === method) return r.handler(req);
      allowed.add(r.method);
    }
    if (allowed.size === 0) return errorReply(404, 'not_found', `no route ${req.path}`);
    if (allowed.has('GET')) allowed.add('HEAD');
    return {
      ...errorReply(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}`),
      headers: { allow: [...allowed].sort().join(', ') },
    };
  }
}

export async function startHttpServer(
  listen: { host: string; port: number },
  router: Router,
  logger: Logger,
  tls: { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert?: boolean } | null = null,
): Promise<http.Server> {
  const options = { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 30_000 };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void serve(router, req, res, logger);
  };
  const server: http.Server = tls
    ? https.createServer(
        {
          ...options,
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          requestCert: tls.requireClientCert === true,
          rejectUnauthorized: tls.requireClientCert === true,
        },
        handler,
      )
    : http.createServer(options, handler);
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new RaftinelError(
          'listen_failed',
          `http: cannot listen on ${listen.host}:${listen.port}: ${err.code ?? err.message}`,
        ),
      ),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  return server;
}

async function serve(
  router: Router,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  logger: Logger,
): Promise<void> {
  let reply: HttpReply;
  try {
    const url = new URL(req.url ?? '/', 'http://local');
    const body = await readBody(req);
    reply = await router.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      remoteAddress: req.socket.remoteAddress ?? '',
    });
  } catch (err) {
    if (err instanceof RaftinelError)
      reply = errorReply(err.code === 'body_too_large' ? 413 : 400, err.code, err.message);
    else {
      logger.error({ event: 'http-handler-failed', err }, 'http handler failed');
      reply = errorReply(500, 'internal', 'internal error');
    }
  }
  if (reply.stream && req.method !== 'HEAD') {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    reply.stream(res);
    return;
  }
  const text = reply.text ? reply.text.content : JSON.stringify(reply.body) + '\n';
  const contentType = reply.text ? reply.text.contentType : 'application/json';
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new RaftinelError('body_too_large', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new RaftinelError('bad_json', 'request body is not valid JSON');
  }
}
