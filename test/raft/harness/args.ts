// Argument helpers for command handlers: positional words and key=value pairs of a TestData.
import type { TestData } from '../datadriven.js';

/** Bare words (arguments without `=`), in order. */
export function positional(d: TestData): string[] {
  return d.args.filter((a) => a.vals.length === 0).map((a) => a.key);
}

export function hasKey(d: TestData, key: string): boolean {
  return d.args.some((a) => a.key === key && a.vals.length > 0);
}

/** All values of `key=(...)`, or undefined when absent. */
export function listArg(d: TestData, key: string): string[] | undefined {
  const a = d.args.find((x) => x.key === key && x.vals.length > 0);
  return a ? [...a.vals] : undefined;
}

export function stringArg(d: TestData, key: string): string | undefined {
  const vals = listArg(d, key);
  if (vals === undefined) return undefined;
  if (vals.length !== 1) throw new Error(`${d.pos}: ${key} takes one value`);
  return vals[0];
}

export function requiredString(d: TestData, key: string): string {
  const v = stringArg(d, key);
  if (v === undefined) throw new Error(`${d.pos}: ${d.cmd} needs ${key}=`);
  return v;
}

export function intArg(d: TestData, key: string): number | undefined {
  const v = stringArg(d, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${d.pos}: ${key}=${v} is not an integer`);
  return n;
}

/** The first positional word as a node id, required. */
export function nodeIdArg(d: TestData): string {
  const [id] = positional(d);
  if (id === undefined) throw new Error(`${d.pos}: ${d.cmd} needs a node id`);
  return id;
}

export function toInt(d: TestData, word: string | undefined, what: string): number {
  const n = Number(word);
  if (word === undefined || !Number.isInteger(n))
    throw new Error(`${d.pos}: ${d.cmd} needs ${what} (an integer)`);
  return n;
}
