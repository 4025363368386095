// A small JSON HTTP client on node:http: tests and the benchmark need per-request timeouts, a
// choice of keep-alive agent, and the status code even when the body is an error document.
import http from 'node:http';

export interface JsonReply<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly agent?: http.Agent;
  readonly headers?: Readonly<Record<string, string>>;
}

export function requestJson<T = unknown>(
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<JsonReply<T>> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        // Without an agent, each request gets its own connection that closes afterwards, so a
        // poller does not keep sockets to a node that the test is about to kill.
        agent: options.agent ?? false,
        headers: {
          ...options.headers,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        timeout: options.timeoutMs ?? 2000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text === '' ? null : JSON.parse(text);
          } catch {
            // Not JSON: hand back the text so that the failure message shows it.
          }
          resolve({ status: res.statusCode ?? 0, body: body as T });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url}: no answer within ${options.timeoutMs ?? 2000} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const getJson = <T = unknown>(url: string, options?: RequestOptions): Promise<JsonReply<T>> =>
  requestJson<T>('GET', url, options);

export const postJson = <T = unknown>(
  url: string,
  body: unknown,
  options?: RequestOptions,
): Promise<JsonReply<T>> => requestJson<T>('POST', url, { ...options, body });
