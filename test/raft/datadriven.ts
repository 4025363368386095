// A small port of cockroachdb/datadriven, the format of etcd-io/raft's testdata/*.txt:
//
//   # a comment
//   command arg key=value key=(a,b,c)
//   ----
//   expected output, up to the next blank line
//
// An output that itself holds blank lines is fenced by a doubled separator:
//   ----
//   ----
//   output with
//
//   a blank line
//   ----
//   ----
//
// With `rewrite`, the expected outputs are replaced by the actual ones and the file is written
// back, leaving commands and comments untouched. Review the diff before committing it: "only
// commit the changes if you understand what caused them" (etcd-io/raft interaction_test.go).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';

export interface CmdArg {
  readonly key: string;
  /** `key=v` gives one value, `key=(a,b)` several, a bare word none (its key is the word). */
  readonly vals: readonly string[];
}

export interface TestData {
  /** file:line of the command, for error messages. */
  readonly pos: string;
  readonly cmd: string;
  readonly args: readonly CmdArg[];
  /** Lines between the command and the separator (unused by most commands). */
  readonly input: string;
  readonly expected: string;
}

interface Stanza {
  readonly data: TestData;
  /** Line numbers (0-based) of the separator and one past the expected output. */
  readonly sepLine: number;
  readonly endLine: number;
}

const SEP = '----';

export function parseFile(path: string, text: string): Stanza[] {
  const lines = text.split('\n');
  const stanzas: Stanza[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    const cmdLine = i;
    const { cmd, args } = parseDirective(line, `${path}:${cmdLine + 1}`);
    const input: string[] = [];
    i++;
    while (i < lines.length && lines[i] !== SEP) {
      if (lines[i].trim() === '')
        throw new Error(`${path}:${cmdLine + 1}: command without a ${SEP} separator`);
      input.push(lines[i++]);
    }
    if (i >= lines.length) throw new Error(`${path}:${cmdLine + 1}: command without a ${SEP} separator`);
    const sepLine = i++;
    const expected: string[] = [];
    if (lines[i] === SEP) {
      i++;
      while (i < lines.length && !(lines[i] === SEP && lines[i + 1] === SEP)) expected.push(lines[i++]);
      if (i >= lines.length) throw new Error(`${path}:${cmdLine + 1}: unterminated ${SEP}/${SEP} block`);
      i += 2;
    } else {
      while (i < lines.length && lines[i].trim() !== '') expected.push(lines[i++]);
    }
    stanzas.push({
      data: {
        pos: `${path}:${cmdLine + 1}`,
        cmd,
        args,
        input: input.join('\n'),
        expected: expected.join('\n'),
      },
      sepLine,
      endLine: i,
    });
  }
  return stanzas;
}

/** Splits `cmd a k=v k=(x, y) "quoted words"` into a command and its arguments. */
export function parseDirective(line: string, pos: string): { cmd: string; args: CmdArg[] } {
  const tokens: string[] = [];
  const re = /\s*([^\s=("]+=\([^)]*\)|[^\s=("]+="[^"]*"|"[^"]*"|[^\s]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    if (m[1] === undefined) break;
    tokens.push(m[1]);
    if (re.lastIndex >= line.length) break;
  }
  if (tokens.length === 0) throw new Error(`${pos}: empty command`);
  const [cmd, ...rest] = tokens;
  const args = rest.map((t): CmdArg => {
    const eq = t.indexOf('=');
    if (t.startsWith('"') || eq < 0) return { key: unquote(t), vals: [] };
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1);
    if (value.startsWith('(') && value.endsWith(')')) {
      const inner = value.slice(1, -1).trim();
      return { key, vals: inner === '' ? [] : inner.split(/[\s,]+/).filter((v) => v !== '') };
    }
    return { key, vals: [unquote(value)] };
  });
  return { cmd, args };
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

/** Formats an output for the file: fenced when it holds a blank line. */
function renderOutput(output: string): string[] {
  const lines = output === '' ? [] : output.split('\n');
  if (lines.some((l) => l.trim() === '')) return [SEP, SEP, ...lines, SEP, SEP];
  return [SEP, ...lines];
}

function normalize(output: string): string {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/**
 * Runs every stanza of `path` through `handle`, in order, on one fresh environment. Without
 * rewrite, the first mismatch fails with a line diff (later stanzas depend on earlier state).
 */
export function runFile(path: string, handle: (d: TestData) => string, rewrite: boolean): void {
  const text = readFileSync(path, 'utf8');
  const stanzas = parseFile(path, text);
  const outputs: string[] = [];
  let failure: unknown = null;
  for (const s of stanzas) {
    if (!rewrite) {
      const actual = normalize(handle(s.data));
      assert.equal(
        actual,
        normalize(s.data.expected),
        `${s.data.pos}: output of "${directiveOf(s.data)}" differs`,
      );
      continue;
    }
    try {
      outputs.push(normalize(handle(s.data)));
    } catch (err) {
      // Keep what ran, show the error in place, leave the rest of the file as it was.
      outputs.push(`ERROR: ${(err as Error).message}`);
      failure = err;
      break;
    }
  }
  if (!rewrite) return;
  const lines = text.split('\n');
  for (let k = outputs.length - 1; k >= 0; k--) {
    const s = stanzas[k];
    lines.splice(s.sepLine, s.endLine - s.sepLine, ...renderOutput(outputs[k]));
  }
  const next = lines.join('\n');
  if (next !== text) writeFileSync(path, next);
  if (failure !== null) throw failure;
}

export function directiveOf(d: TestData): string {
  const args = d.args.map((a) =>
    a.vals.length === 0
      ? a.key
      : a.vals.length === 1
        ? `${a.key}=${a.vals[0]}`
        : `${a.key}=(${a.vals.join(',')})`,
  );
  return [d.cmd, ...args].join(' ');
}
