// Reading the config file: YAML -> one schema -> the resolved config, or a ConfigError that
// lists every mistake with its path, what was expected and what was there (docs/design.md 8).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { crossCheck, type IssuePath } from './checks.js';
import { CONFIG_ENV } from './defaults.js';
import {
  byPosition,
  ConfigError,
  draftsFromZod,
  makeIssue,
  mergeDrafts,
  renderValue,
  type Locate,
} from './issues.js';
import { checkReferencedFiles, resolveConfigPaths } from './paths.js';
import { configSchema, type RaftinelConfig } from './schema.js';

export interface ParseConfigOptions {
  /** Also require every referenced file (secrets, TLS, hook scripts) to exist and be usable. */
  readonly checkFiles?: boolean;
  /** The file the text came from, for messages. */
  readonly file?: string;
}

export interface LoadConfigOptions {
  /** Where RAFTINEL_CONFIG is read; process.env by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default true: a node should not start and only then find its token file missing. */
  readonly checkFiles?: boolean;
}

/** Parses config text; relative paths resolve against baseDir. Throws ConfigError. */
export function parseConfigText(
  text: string,
  baseDir: string,
  options: ParseConfigOptions = {},
): RaftinelConfig {
  const file = options.file ?? null;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw yamlSyntaxError(doc.errors[0], text, lineCounter, file);
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // toJS refuses alias bombs (more aliases than maxAliasCount) and similar abuse.
    const issue = {
      path: '',
      expected: 'valid YAML',
      got: 'a document yaml refused to build',
      message: String(err),
    };
    throw new ConfigError('config_invalid', `${file ?? 'config'}: ${String(err)}`, [issue], file);
  }

  const result = configSchema.safeParse(raw);
  const fileDrafts = options.checkFiles ? checkReferencedFiles(raw, baseDir) : [];
  if (result.success && fileDrafts.length === 0) return resolveConfigPaths(result.data, baseDir);

  // zod skips refinements once the shape is wrong: run the cross-field rules on the raw value
  // too, so a bad port and a duplicate id show up in the same run.
  const zodDrafts = result.success ? { schema: [], cross: [] } : draftsFromZod(result.error.issues);
  const cross = result.success ? [] : [...zodDrafts.cross, ...crossCheck(raw)];
  const drafts = mergeDrafts([...zodDrafts.schema, ...fileDrafts], cross);
  const issues = byPosition(drafts.map((draft) => makeIssue(draft, raw, locator(doc, lineCounter))));
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  throw new ConfigError('config_invalid', `invalid config ${file ?? '(text)'}: ${count}`, issues, file);
}

/**
 * Loads the config file named by `path`, else by RAFTINEL_CONFIG. Throws ConfigError with code
 * `config_unreadable` when there is no file to read, `config_invalid` when it is wrong.
 */
export function loadConfig(path?: string, options: LoadConfigOptions = {}): RaftinelConfig {
  const env = options.env ?? process.env;
  const given = path || env[CONFIG_ENV] || '';
  if (given === '') {
    const message = `no config file: give its path (--config) or set ${CONFIG_ENV}`;
    const issue = { path: '', expected: 'a config file', got: 'nothing', message };
    throw new ConfigError('config_unreadable', message, [issue]);
  }
  const file = resolve(given);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const reason = code === 'ENOENT' ? 'no such file' : code;
    const message = `cannot read config file ${JSON.stringify(file)}: ${reason}`;
    const issue = {
      path: '',
      expected: 'a readable config file',
      got: `${JSON.stringify(file)} (${reason})`,
      message,
    };
    throw new ConfigError('config_unreadable', message, [issue], file);
  }
  return parseConfigText(text, dirname(file), { file, checkFiles: options.checkFiles ?? true });
}

function yamlSyntaxError(err: YAMLError, text: string, lines: LineCounter, file: string | null): ConfigError {
  const { line, col } = lines.linePos(err.pos[0]);
  const sourceLine = text.split(/\r?\n/)[line - 1] ?? '';
  const reason = err.message.split('\n')[0];
  const issue = {
    path: '',
    expected: 'valid YAML',
    got: renderValue(sourceLine.trim()),
    message: `YAML syntax error at line ${line}, column ${col}: ${reason}`,
    line,
    column: col,
  };
  return new ConfigError(
    'config_invalid',
    `invalid config ${file ?? '(text)'}: ${issue.message}`,
    [issue],
    file,
  );
}

// Points an issue at the nearest node of the document that exists along its path (a missing
// key is reported where its parent starts).
function locator(doc: Document, lines: LineCounter): Locate {
  return (path: IssuePath) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node: unknown = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) {
        const { line, col } = lines.linePos(node.range[0]);
        return { line, column: col };
      }
    }
    return undefined;
  };
}
