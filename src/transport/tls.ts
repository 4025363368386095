// Mutual TLS between peers: one cluster CA signs every node's certificate; each side presents
// its own and requires the other's. Node identity itself is checked by the handshake.
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { RaftinelError } from '../util/errors.js';

/** Each field is a PEM file path or the PEM text itself. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function isPemText(value: string): boolean {
  return value.includes('-----BEGIN ');
}

async function load(field: keyof TlsFiles, value: string): Promise<string> {
  if (isPemText(value)) return value;
  try {
    return await readFile(value, 'utf8');
  } catch (err) {
    // Only the path is named: the content may be a private key.
    const reason = err instanceof Error ? err.message : String(err);
    throw new RaftinelError('tls_load_failed', `cannot read TLS ${field} file ${value}: ${reason}`, {
      field,
      path: value,
    });
  }
}

/** Reads the PEM material and checks that OpenSSL accepts it, so a bad key fails at start. */
export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all([
    load('ca', files.ca),
    load('cert', files.cert),
    load('key', files.key),
  ]);
  try {
    createSecureContext({ ca, cert, key });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RaftinelError('tls_load_failed', `TLS material rejected: ${reason}`);
  }
  return { ca, cert, key };
}
