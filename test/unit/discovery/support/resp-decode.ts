// A RESP2/RESP3 reply decoder for tests: keeps every frame's type, so that tests can check
// that a value came as a bulk string and not an integer, or as a map and not an array.

export type RespValue =
  | { readonly t: 'simple'; readonly v: string }
  | { readonly t: 'error'; readonly v: string }
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'bulk'; readonly v: string }
  | { readonly t: 'null-bulk' }
  | { readonly t: 'null-array' }
  | { readonly t: 'null' }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'double'; readonly v: string }
  | { readonly t: 'verbatim'; readonly v: string }
  | { readonly t: 'array'; readonly v: readonly RespValue[] }
  | { readonly t: 'push'; readonly v: readonly RespValue[] }
  | { readonly t: 'set'; readonly v: readonly RespValue[] }
  | { readonly t: 'map'; readonly v: readonly (readonly [RespValue, RespValue])[] };

/** Decodes one value at `pos`; null when the buffer does not hold all of it yet. */
export function decodeOne(buf: Buffer, pos = 0): { value: RespValue; end: number } | null {
  const cr = buf.indexOf('\r\n', pos);
  if (cr < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const text = buf.toString('utf8', pos + 1, cr);
  const next = cr + 2;
  switch (type) {
    case '+':
      return { value: { t: 'simple', v: text }, end: next };
    case '-':
      return { value: { t: 'error', v: text }, end: next };
    case ':':
      return { value: { t: 'int', v: Number(text) }, end: next };
    case '_':
      return { value: { t: 'null' }, end: next };
    case '#':
      return { value: { t: 'bool', v: text === 't' }, end: next };
    case ',':
      return { value: { t: 'double', v: text }, end: next };
    case '$':
    case '=': {
      const len = Number(text);
      if (len < 0) return { value: { t: 'null-bulk' }, end: next };
      if (buf.length < next + len + 2) return null;
      const v = buf.toString('utf8', next, next + len);
      return { value: type === '$' ? { t: 'bulk', v } : { t: 'verbatim', v }, end: next + len + 2 };
    }
    case '*':
    case '>':
    case '~': {
      const n = Number(text);
      if (n < 0) return { value: { t: 'null-array' }, end: next };
      const items: RespValue[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const item = decodeOne(buf, p);
        if (!item) return null;
        items.push(item.value);
        p = item.end;
      }
      const t = type === '*' ? 'array' : type === '>' ? 'push' : 'set';
      return { value: { t, v: items }, end: p };
    }
    case '%': {
      const n = Number(text);
      const entries: [RespValue, RespValue][] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const k = decodeOne(buf, p);
        if (!k) return null;
        const v = decodeOne(buf, k.end);
        if (!v) return null;
        entries.push([k.value, v.value]);
        p = v.end;
      }
      return { value: { t: 'map', v: entries }, end: p };
    }
    default:
      throw new Error(`unknown RESP type byte ${JSON.stringify(type)} at ${pos}`);
  }
}

/** Decodes every complete value in the buffer. */
export function decodeAll(buf: Buffer): { values: RespValue[]; rest: Buffer } {
  const values: RespValue[] = [];
  let pos = 0;
  for (;;) {
    if (pos >= buf.length) break;
    const one = decodeOne(buf, pos);
    if (!one) break;
    values.push(one.value);
    pos = one.end;
  }
  return { values, rest: buf.subarray(pos) };
}

/** The text of a bulk/simple/verbatim value (throws on anything else: a type mismatch). */
export function str(value: RespValue): string {
  if (value.t === 'bulk' || value.t === 'simple' || value.t === 'verbatim') return value.v;
  throw new Error(`expected a string, got ${JSON.stringify(value)}`);
}

/** Key/value pairs of a record: a flat array (RESP2) or a map (RESP3). */
export function pairs(value: RespValue): [RespValue, RespValue][] {
  if (value.t === 'map') return value.v.map(([k, v]) => [k, v]);
  if (value.t === 'array') {
    const out: [RespValue, RespValue][] = [];
    for (let i = 0; i + 1 < value.v.length; i += 2) out.push([value.v[i], value.v[i + 1]]);
    return out;
  }
  throw new Error(`expected a map or array, got ${JSON.stringify(value)}`);
}

export function items(value: RespValue): readonly RespValue[] {
  if (value.t === 'array' || value.t === 'push' || value.t === 'set') return value.v;
  throw new Error(`expected an array, got ${JSON.stringify(value)}`);
}

/** A record as a plain object of strings (every value must be a bulk string). */
export function record(value: RespValue): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs(value)) {
    if (v.t !== 'bulk') throw new Error(`field ${str(k)} is ${v.t}, not a bulk string`);
    out[str(k)] = v.v;
  }
  return out;
}
