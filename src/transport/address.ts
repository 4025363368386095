// "host:port" strings as they appear in config and in the committed membership.
import { isIP, type Socket } from 'node:net';
import { RaftinelError } from '../util/errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[ipv6]:port`; port 0 means "any free port" when listening. */
export function parseHostPort(address: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const host = match?.[1] ?? match?.[2];
  const port = match ? Number(match[3]) : NaN;
  if (host === undefined || !(port >= 0 && port <= 65535)) {
    throw new RaftinelError('bad_address', `"${address}" is not a host:port address`, { address });
  }
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The remote end of a socket for log lines; "unknown" once the socket has lost it. */
export function remoteOf(socket: Socket): string {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress === undefined || remotePort === undefined
    ? 'unknown'
    : formatHostPort(remoteAddress, remotePort);
}
