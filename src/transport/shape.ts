// Narrowing helpers for data parsed from the wire: everything arrives as `unknown` and is read
// field by field, so nothing untyped (and no unexpected key) reaches the rest of the node.

export type Fields = Readonly<Record<string, unknown>>;

/** Thrown by the readers below; the parsers turn it into a `{ ok: false, reason }` result. */
export class ShapeError extends Error {
  override get name(): string {
    return 'ShapeError';
  }
}

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Runs a reader that throws ShapeError and turns the outcome into a result. */
export function parseWith<T>(read: () => T): Parsed<T> {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    if (err instanceof ShapeError) return { ok: false, reason: err.message };
    throw err;
  }
}

export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function fields(value: unknown, path: string): Fields {
  if (!isFields(value)) throw new ShapeError(`${path}: expected an object`);
  return value;
}

export function str(obj: Fields, key: string, path: string, maxLength = Number.MAX_SAFE_INTEGER): string {
  const value = obj[key];
  if (typeof value !== 'string') throw new ShapeError(`${path}.${key}: expected a string`);
  if (value.length > maxLength) throw new ShapeError(`${path}.${key}: longer than ${maxLength} characters`);
  return value;
}

/** A non-empty string of bounded length: node ids, cluster ids. */
export function ident(obj: Fields, key: string, path: string, maxLength: number): string {
  const value = str(obj, key, path, maxLength);
  if (value.length === 0) throw new ShapeError(`${path}.${key}: expected a non-empty string`);
  return value;
}

/** An integer that JSON numbers represent exactly, at least `min`. */
export function int(obj: Fields, key: string, path: string, min: number): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ShapeError(`${path}.${key}: expected an integer >= ${min}`);
  }
  return value;
}

/** Terms and indexes: non-negative integers. */
export function nat(obj: Fields, key: string, path: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ShapeError(`${path}.${key}: expected a non-negative integer`);
  }
  return value;
}

export function bool(obj: Fields, key: string, path: string): boolean {
  const value = obj[key];
  if (typeof value !== 'boolean') throw new ShapeError(`${path}.${key}: expected a boolean`);
  return value;
}

export function optionalBool(obj: Fields, key: string, path: string): boolean | undefined {
  return obj[key] === undefined ? undefined : bool(obj, key, path);
}

export function list(obj: Fields, key: string, path: string): readonly unknown[] {
  const value = obj[key];
  if (!Array.isArray(value)) throw new ShapeError(`${path}.${key}: expected an array`);
  return value;
}

export function oneOf<T extends string>(obj: Fields, key: string, path: string, allowed: readonly T[]): T {
  const value = obj[key];
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new ShapeError(`${path}.${key}: expected one of ${allowed.join(', ')}`);
  return found;
}
