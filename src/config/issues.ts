// Config mistakes as the operator reads them: one line per mistake with where (path), what the
// key wants (expected) and what the file had (got), all of them at once (docs/design.md 8).
import type { z } from 'zod';
import { RaftinelError } from '../util/errors.js';
import { pathText, type CrossIssue, type IssuePath } from './checks.js';

export interface ConfigIssue {
  /** Where, as `shards[0].nodes[1].port`; empty for the file as a whole. */
  readonly path: string;
  readonly expected: string;
  /** What was there: the raw value, JSON-ish and truncated; `nothing` when the key is missing. */
  readonly got: string;
  /** `expected X, got Y`, plus a note where one helps. */
  readonly message: string;
  /** 1-based position in the file, where known. */
  readonly line?: number;
  readonly column?: number;
}

export type ConfigErrorCode = 'config_invalid' | 'config_unreadable';

export class ConfigError extends RaftinelError {
  constructor(
    code: ConfigErrorCode,
    message: string,
    readonly issues: readonly ConfigIssue[],
    readonly file: string | null = null,
  ) {
    super(code, message, { file, issues });
  }
  override get name(): string {
    return 'ConfigError';
  }
}

/** One line per issue: `config: shards[0].nodes[1].port: expected integer 1..65535, got "abc"`. */
export function formatConfigIssues(err: ConfigError): string {
  if (err.issues.length === 0) return `config: ${err.message}`;
  return err.issues
    .map((issue) => (issue.path ? `config: ${issue.path}: ${issue.message}` : `config: ${issue.message}`))
    .join('\n');
}

const GOT_MAX = 60;

/** Renders a value for `got`. Secrets are never in the config itself, only the paths of files. */
export function renderValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let out: string;
  try {
    out = JSON.stringify(value) ?? String(value);
  } catch {
    out = String(value);
  }
  return out.length > GOT_MAX ? `${out.slice(0, GOT_MAX - 3)}...` : out;
}

/** Follows a path through the raw parsed YAML; undefined where it leads nowhere. */
export function valueAt(raw: unknown, path: IssuePath): unknown {
  let here: unknown = raw;
  for (const part of path) {
    if (typeof here !== 'object' || here === null) return undefined;
    if (!Object.prototype.hasOwnProperty.call(here, part)) return undefined;
    here = (here as Record<string | number, unknown>)[part];
  }
  return here;
}

export type Locate = (path: IssuePath) => { line: number; column: number } | undefined;

export interface IssueDraft {
  readonly path: IssuePath;
  readonly expected: string;
  readonly note?: string;
  /** Overrides the value found at path (file checks show the resolved file name). */
  readonly got?: string;
}

export function makeIssue(draft: IssueDraft, raw: unknown, locate?: Locate): ConfigIssue {
  const got = draft.got ?? renderValue(valueAt(raw, draft.path));
  const note = draft.note ? ` (${draft.note})` : '';
  const where = locate?.(draft.path);
  return {
    path: pathText(draft.path),
    expected: draft.expected,
    got,
    message: `expected ${draft.expected}, got ${got}${note}`,
    ...(where ? { line: where.line, column: where.column } : {}),
  };
}

function zodPath(path: readonly PropertyKey[]): IssuePath {
  return path.map((part) => (typeof part === 'number' ? part : String(part)));
}

/** zod's issues as drafts; an unknown-keys issue becomes one draft per key. */
export function draftsFromZod(issues: readonly z.core.$ZodIssue[]): {
  schema: IssueDraft[];
  cross: IssueDraft[];
} {
  const schema: IssueDraft[] = [];
  const cross: IssueDraft[] = [];
  for (const issue of issues) {
    const path = zodPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        schema.push({ path: [...path, key], expected: issue.message, note: 'unknown key' });
    } else if (issue.code === 'custom' && issue.params?.cross === true) {
      const note: unknown = issue.params.note;
      cross.push({ path, expected: issue.message, ...(typeof note === 'string' ? { note } : {}) });
    } else {
      schema.push({ path, expected: issue.message });
    }
  }
  return { schema, cross };
}

/**
 * Merges shape and cross-field drafts into one line per wrong key: the first complaint about a
 * key wins (a value that is not an integer need not also be told it is too small), and a
 * cross-field rule is not reported on a key whose value is already wrong in itself.
 */
export function mergeDrafts(
  schema: readonly IssueDraft[],
  cross: readonly (IssueDraft | CrossIssue)[],
): IssueDraft[] {
  const wrongPaths = new Set<string>();
  const out: IssueDraft[] = [];
  for (const draft of schema) {
    const key = pathText(draft.path);
    if (wrongPaths.has(key)) continue;
    wrongPaths.add(key);
    out.push(draft);
  }
  const crossSeen = new Set<string>();
  for (const draft of cross) {
    const key = pathText(draft.path);
    if (wrongPaths.has(key) || crossSeen.has(`${key}\u0000${draft.expected}`)) continue;
    crossSeen.add(`${key}\u0000${draft.expected}`);
    out.push(draft);
  }
  return out;
}

/** Orders issues as they appear in the file; issues without a position keep their order, last. */
export function byPosition(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = (i: ConfigIssue): number =>
    i.line === undefined ? Number.MAX_SAFE_INTEGER : i.line * 1e6 + (i.column ?? 0);
  return [...issues].sort((a, b) => rank(a) - rank(b));
}
