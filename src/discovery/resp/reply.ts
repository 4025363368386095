// Replies as values, encoded for the connection's protocol (RESP2 or RESP3) at write time.
// One value type serves both protocols the way Redis's addReply* functions do: a map is a flat
// array in RESP2, a null is `$-1` or `*-1` in RESP2 and `_` in RESP3, a push is an array in RESP2.
import { RaftinelError } from '../../util/errors.js';

export type Reply =
  | { readonly type: 'simple'; readonly text: string }
  | { readonly type: 'error'; readonly text: string }
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'bulk'; readonly value: string | Buffer }
  | { readonly type: 'null-bulk' }
  | { readonly type: 'null-array' }
  | { readonly type: 'array'; readonly items: readonly Reply[] }
  | { readonly type: 'map'; readonly entries: readonly (readonly [Reply, Reply])[] }
  | { readonly type: 'push'; readonly items: readonly Reply[] }
  /** Bytes encoded once and sent as they are (see preEncoded). */
  | { readonly type: 'encoded'; readonly bytes: Buffer };

export type Protocol = 2 | 3;

export const simple = (text: string): Reply => ({ type: 'simple', text });
export const integer = (value: number): Reply => ({ type: 'integer', value });
export const bulk = (value: string | Buffer): Reply => ({ type: 'bulk', value });
export const array = (items: readonly Reply[]): Reply => ({ type: 'array', items });
export const push = (items: readonly Reply[]): Reply => ({ type: 'push', items });
export const NULL_BULK: Reply = { type: 'null-bulk' };
export const NULL_ARRAY: Reply = { type: 'null-array' };
export const OK: Reply = simple('OK');

/**
 * An error reply. `text` starts with its code (`ERR ...`, `NOAUTH ...`); as Redis does, CR and
 * LF become spaces so that a client-supplied argument quoted in the text cannot end the line.
 */
export const error = (text: string): Reply => ({ type: 'error', text });

/** Every value a bulk string, in order: Sentinel's instance records and HELLO-like maps. */
export function bulkMap(pairs: readonly (readonly [string, string | number])[]): Reply {
  return { type: 'map', entries: pairs.map(([k, v]) => [bulk(k), bulk(String(v))] as const) };
}

/**
 * A reply encoded once, to be sent many times (the answer of GET-MASTER-ADDR-BY-NAME, the one
 * command every client sends). Only for replies that RESP2 and RESP3 encode alike: no maps,
 * nulls or pushes inside; anything else is a bug, reported with code `reply_not_protocol_neutral`.
 */
export function preEncoded(reply: Reply): Reply {
  const bytes = encode(reply, 2);
  if (!bytes.equals(encode(reply, 3))) {
    throw new RaftinelError('reply_not_protocol_neutral', `a ${reply.type} reply differs in RESP2 and RESP3`);
  }
  return { type: 'encoded', bytes };
}

export function encode(reply: Reply, proto: Protocol): Buffer {
  if (reply.type === 'encoded') return reply.bytes;
  const parts: Buffer[] = [];
  write(reply, proto, parts);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n');

function line(prefix: string, text: string | number, parts: Buffer[]): void {
  parts.push(Buffer.from(`${prefix}${text}\r\n`, 'utf8'));
}

function write(reply: Reply, proto: Protocol, parts: Buffer[]): void {
  switch (reply.type) {
    case 'simple':
      return line('+', oneLine(reply.text), parts);
    case 'error':
      return line('-', oneLine(reply.text), parts);
    case 'integer':
      return line(':', Math.trunc(reply.value), parts);
    case 'bulk': {
      const value = typeof reply.value === 'string' ? Buffer.from(reply.value, 'utf8') : reply.value;
      line('$', value.length, parts);
      parts.push(value, CRLF);
      return;
    }
    case 'null-bulk':
      return line(proto === 3 ? '_' : '$-1', '', parts);
    case 'null-array':
      return line(proto === 3 ? '_' : '*-1', '', parts);
    case 'array':
    case 'push':
      line(reply.type === 'push' && proto === 3 ? '>' : '*', reply.items.length, parts);
      for (const item of reply.items) write(item, proto, parts);
      return;
    case 'map':
      line(proto === 3 ? '%' : '*', proto === 3 ? reply.entries.length : reply.entries.length * 2, parts);
      for (const [k, v] of reply.entries) {
        write(k, proto, parts);
        write(v, proto, parts);
      }
      return;
    case 'encoded':
      parts.push(reply.bytes);
      return;
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}
