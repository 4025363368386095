// "host:port" strings as the config writes them. Kept as strings in the resolved config (the
// transport and the committed membership carry them that way); parsed here when needed.
import { isIP } from 'node:net';

// Letters, digits, '-', '_' (container and compose names use it) and dots; no leading or
// trailing dot or dash, so "host." and "-x" typos are caught.
const HOST_NAME_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A host name, an IPv4 address or an IPv6 address (without brackets). */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  // "10.0.0.300" looks like an address, not a name: refuse it rather than resolve it by DNS.
  if (/^[0-9.]+$/.test(host)) return false;
  return host.length <= 253 && HOST_NAME_RE.test(host);
}

/** Parses "host:port" or "[ipv6]:port"; null when malformed or the port is outside 1..65535. */
export function parseHostPort(address: string): HostPort | null {
  const bracketed = /^\[([^\]]+)\]:([0-9]{1,5})$/.exec(address);
  const plain = bracketed ? null : /^([^:[\]]+):([0-9]{1,5})$/.exec(address);
  const match = bracketed ?? plain;
  if (!match) return null;
  const host = match[1];
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  if (bracketed ? isIP(host) !== 6 : !isValidHost(host)) return null;
  return { host, port };
}

/** The inverse of parseHostPort: IPv6 hosts get brackets. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A key that is equal for two spellings of the same endpoint ("Redis:6379" and "redis:6379"). */
export function endpointKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}
