// One-shot Redis queries for tests that watch Redis nodes from the outside: a fresh connection per
// query (so a CLIENT KILL aimed at applications, or a node that was restarted, never leaves a stale
// connection behind), a hard deadline, and a small RESP2 reader.
import net from 'node:net';

export type RespValue = string | number | null | RespError | RespValue[];

export class RespError {
  constructor(readonly message: string) {}
}

/** Parses one complete RESP2 value at `pos`; null when more bytes are needed. */
function parse(buf: Buffer, pos: number): { value: RespValue; end: number } | null {
  const nl = buf.indexOf('\r\n', pos, 'latin1');
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, nl);
  const after = nl + 2;
  switch (type) {
    case '+':
      return { value: line, end: after };
    case '-':
      return { value: new RespError(line), end: after };
    case ':':
      return { value: Number(line), end: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: after };
      if (buf.length < after + len + 2) return null;
      return { value: buf.toString('utf8', after, after + len), end: after + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: after };
      const items: RespValue[] = [];
      let at = after;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, at);
        if (item === null) return null;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`not RESP: ${JSON.stringify(buf.toString('latin1', pos, pos + 40))}`);
  }
}

function encode(args: readonly (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/** Sends one command on a fresh connection and resolves with its reply (an error reply included). */
export function redisQuery(
  port: number,
  args: readonly (string | number)[],
  options: { host?: string; timeoutMs?: number } = {},
): Promise<RespValue> {
  const timeoutMs = options.timeoutMs ?? 1000;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host ?? '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${args.join(' ')} on port ${port}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      let parsed: { value: RespValue; end: number } | null;
      try {
        parsed = parse(buf, 0);
      } catch (err) {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
        return;
      }
      if (parsed === null) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(parsed.value);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} on port ${port}: connection closed before a reply`));
    });
  });
}

/** `INFO <section>` as a map of its fields. */
export async function redisInfo(
  port: number,
  section = 'replication',
  timeoutMs = 1000,
): Promise<Map<string, string>> {
  const reply = await redisQuery(port, ['INFO', section], { timeoutMs });
  if (typeof reply !== 'string') throw new Error(`INFO ${section} on ${port}: ${JSON.stringify(reply)}`);
  const out = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** A replica's processed replication offset (INFO slave_repl_offset). */
export async function replicaOffset(port: number): Promise<number> {
  return Number((await redisInfo(port)).get('slave_repl_offset'));
}

export interface RoleView {
  readonly role: 'master' | 'slave' | 'sentinel';
  /** A master's master_repl_offset, a replica's processed offset. */
  readonly offset: number;
  readonly masterHost: string | null;
  readonly masterPort: number | null;
  /** A replica's link state (connect, connecting, sync, connected). */
  readonly state: string | null;
}

export async function redisRole(port: number, timeoutMs = 1000, host = '127.0.0.1'): Promise<RoleView> {
  const r = await redisQuery(port, ['ROLE'], { timeoutMs, host });
  if (!Array.isArray(r)) throw new Error(`ROLE on ${port}: ${JSON.stringify(r)}`);
  if (r[0] === 'master')
    return { role: 'master', offset: Number(r[1]), masterHost: null, masterPort: null, state: null };
  if (r[0] === 'slave') {
    return {
      role: 'slave',
      offset: Number(r[4]),
      masterHost: String(r[1]),
      masterPort: Number(r[2]),
      state: String(r[3]),
    };
  }
  throw new Error(`ROLE on ${port}: ${JSON.stringify(r)}`);
}

/** GET key as a number (null when absent). */
export async function redisGetNumber(port: number, key: string, timeoutMs = 1000): Promise<number | null> {
  const r = await redisQuery(port, ['GET', key], { timeoutMs });
  if (r instanceof RespError) throw new Error(`GET ${key} on ${port}: ${r.message}`);
  return r === null ? null : Number(r);
}
