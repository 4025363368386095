// In-process RESP servers on loopback for the integration tests, and a self-signed TLS pair.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentinelRespServer, type SentinelRespServerOptions } from '../../../../src/discovery/resp/server.js';
import type { SentinelSource } from '../../../../src/discovery/resp/source.js';
import { silentLogger } from '../../../../src/util/log.js';

export async function startRespServer(
  source: SentinelSource,
  options: Partial<SentinelRespServerOptions> = {},
): Promise<{ server: SentinelRespServer; port: number }> {
  const server = new SentinelRespServer(source, { logger: silentLogger(), ...options });
  await server.listen('127.0.0.1', 0);
  return { server, port: server.port };
}

/** A self-signed certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export function selfSignedCert(dir: string): { cert: Buffer; key: Buffer } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert), key: readFileSync(key) };
}
