// Maps keyed by names that clients and operators choose (shards, nodes). A plain `{}` inherits
// Object.prototype, so a shard called `constructor` or `__proto__` would find a function or
// the prototype instead of nothing; a dictionary without a prototype finds only its own keys.

/** An empty dictionary with no prototype. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A copy of `source` (parsed JSON, say) with no prototype; own keys only. */
export function dictFrom<T>(source: Readonly<Record<string, T>> | undefined): Record<string, T> {
  return Object.assign(dict<T>(), source);
}
