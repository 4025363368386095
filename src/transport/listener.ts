// Opens the peer listener (TCP or TLS) and reports a port in use as listen_failed.
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { RaftinelError } from '../util/errors.js';
import { formatHostPort, type HostPort } from './address.js';
import type { TlsMaterial } from './tls.js';

export interface ListenerOptions {
  readonly target: HostPort;
  readonly tls: TlsMaterial | null;
  readonly handshakeTimeoutMs: number;
  readonly maxConnections: number;
}

/**
 * Resolves once listening. Sockets arrive as 'connection' (plain) or 'secureConnection'
 * (TLS: the caller must check `authorized` first); the caller attaches its handlers.
 */
export function openListener(options: ListenerOptions): Promise<Server> {
  const { target, tls } = options;
  const server: Server = tls
    ? createTlsServer({
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        minVersion: 'TLSv1.2',
        requestCert: true,
        // Verification is just as strict, but done by the transport itself: on 'secureConnection'
        // it destroys any socket whose certificate did not verify before reading a byte from it.
        // With rejectUnauthorized: true, Node drops such a socket silently (the log would only
        // say "socket hang up", without the remote address or the certificate error).
        rejectUnauthorized: false,
        handshakeTimeout: options.handshakeTimeoutMs,
      })
    : createNetServer();
  server.maxConnections = options.maxConnections;
  const address = formatHostPort(target.host, target.port);
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.close();
      reject(
        new RaftinelError(
          'listen_failed',
          `cannot listen for peers on ${address}: ${err.code ?? err.message}`,
          {
            address,
            cause: err.code ?? err.message,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host: target.host, port: target.port }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}
