// Relative paths in the config resolve against the config file's folder (docs/design.md 6a), so a
// node behaves the same whatever directory it was started from.
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { IssuePath } from './checks.js';
import type { IssueDraft } from './issues.js';
import type { RaftinelConfig, TlsFiles } from './schema.js';

export function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** A hook is a path when it starts with ./ or ../ (or /); a bare name is looked up on PATH. */
export function isPathLikeCommand(command: string): boolean {
  return command.startsWith('./') || command.startsWith('../') || isAbsolute(command);
}

function resolveCommand(baseDir: string, command: string | null): string | null {
  return command !== null && isPathLikeCommand(command) ? resolvePath(baseDir, command) : command;
}

function resolveTls(baseDir: string, tls: TlsFiles | null): TlsFiles | null {
  if (tls === null) return tls;
  const file = (p: string | null): string | null => (p === null ? null : resolvePath(baseDir, p));
  return { ...tls, ca: file(tls.ca), cert: file(tls.cert), key: file(tls.key) };
}

/** The same config with every file path absolute. */
export function resolveConfigPaths(config: RaftinelConfig, baseDir: string): RaftinelConfig {
  const base = resolve(baseDir);
  const auth = <A extends { passwordFile: string }>(a: A | null): A | null =>
    a === null ? null : { ...a, passwordFile: resolvePath(base, a.passwordFile) };
  return {
    ...config,
    node: { ...config.node, dataDir: resolvePath(base, config.node.dataDir) },
    shards: config.shards.map((shard) => ({
      ...shard,
      auth: auth(shard.auth),
      tls: resolveTls(base, shard.tls),
    })),
    admin: config.admin && { tokenFile: resolvePath(base, config.admin.tokenFile) },
    peerAuth: config.peerAuth && { secretFile: resolvePath(base, config.peerAuth.secretFile) },
    clients: config.clients && { auth: auth(config.clients.auth) },
    tls: {
      peer: resolveTls(base, config.tls.peer),
      sentinel: resolveTls(base, config.tls.sentinel),
      http: resolveTls(base, config.tls.http),
    },
    hooks: {
      ...config.hooks,
      onSwitchMaster: resolveCommand(base, config.hooks.onSwitchMaster),
      onFailoverEnd: resolveCommand(base, config.hooks.onFailoverEnd),
    },
  };
}

interface FileRef {
  readonly path: IssuePath;
  readonly file: string;
  readonly executable: boolean;
}

type Raw = Record<string, unknown>;
const asRecord = (v: unknown): Raw | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : null;

// Reads the raw value (wrong or not elsewhere) so that missing files are listed together with
// every other mistake.
function fileRefs(raw: unknown): FileRef[] {
  const refs: FileRef[] = [];
  const add = (holder: unknown, path: IssuePath, key: string, executable = false): void => {
    const value = asRecord(holder)?.[key];
    if (typeof value !== 'string' || value === '') return;
    if (executable && !isPathLikeCommand(value)) return;
    refs.push({ path: [...path, key], file: value, executable });
  };
  const tls = (holder: unknown, path: IssuePath): void => {
    for (const key of ['ca', 'cert', 'key']) add(holder, path, key);
  };
  const root = asRecord(raw);
  if (!root) return refs;
  const shards = Array.isArray(root.shards) ? root.shards : [];
  shards.forEach((shard, i) => {
    add(asRecord(shard)?.auth, ['shards', i, 'auth'], 'passwordFile');
    tls(asRecord(shard)?.tls, ['shards', i, 'tls']);
  });
  add(root.admin, ['admin'], 'tokenFile');
  add(root.peerAuth, ['peerAuth'], 'secretFile');
  add(asRecord(root.clients)?.auth, ['clients', 'auth'], 'passwordFile');
  for (const listener of ['peer', 'sentinel', 'http']) tls(asRecord(root.tls)?.[listener], ['tls', listener]);
  add(root.hooks, ['hooks'], 'onSwitchMaster', true);
  add(root.hooks, ['hooks'], 'onFailoverEnd', true);
  return refs;
}

/** Every referenced file (secrets, TLS, hook scripts) that is missing or unusable. */
export function checkReferencedFiles(raw: unknown, baseDir: string): IssueDraft[] {
  const drafts: IssueDraft[] = [];
  for (const ref of fileRefs(raw)) {
    const file = resolvePath(resolve(baseDir), ref.file);
    const problem = fileProblem(file, ref.executable);
    if (problem === null) continue;
    drafts.push({
      path: ref.path,
      expected: ref.executable ? 'an executable file' : 'a readable file',
      // Show the file's name only: these are secrets, their contents never go anywhere.
      got: `${JSON.stringify(file)} (${problem})`,
    });
  }
  return drafts;
}

function fileProblem(file: string, executable: boolean): string | null {
  try {
    if (!statSync(file).isFile()) return 'not a regular file';
    accessSync(file, executable ? constants.X_OK : constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return executable ? 'not executable' : 'not readable';
    return code ?? 'unusable';
  }
}
