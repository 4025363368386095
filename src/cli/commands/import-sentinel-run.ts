// `raftinel import-sentinel`'s work, loaded when the command runs (import-sentinel.ts).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, formatConfigIssues, parseConfigText, parseHostPort } from '../../config/index.js';
import { parseSentinelConf } from '../import/conf-parse.js';
import type { SentinelDeployment } from '../import/deployment.js';
import { mapDeployment, type ImportOptions, type ImportResult, type MappingNote } from '../import/mapping.js';
import type { ImportArgs } from './import-sentinel.js';

export async function runImport(args: ImportArgs): Promise<number> {
  const fail = (message: string, code = 1): number => {
    if (args.json)
      process.stdout.write(
        JSON.stringify({ error: { code: code === 2 ? 'usage' : 'failed', message } }, null, 2) + '\n',
      );
    else process.stderr.write(`raftinel: ${message}\n`);
    return code;
  };
  if (args.config === undefined && args.from === undefined)
    return fail('give --config FILE or --from HOST:PORT (see raftinel import-sentinel --help)', 2);
  if (args.from !== undefined && parseHostPort(args.from) === null)
    return fail(`--from: not host:port: ${args.from}`, 2);
  const peers = parsePeers(args.peers);
  if (typeof peers === 'string') return fail(peers, 2);

  let deployment: SentinelDeployment;
  try {
    deployment =
      args.config !== undefined
        ? parseSentinelConf(readFileSync(args.config, 'utf8'), args.config)
        : await readLive(args);
  } catch (err) {
    const what =
      args.config !== undefined ? `cannot read ${args.config}` : `cannot read the Sentinel at ${args.from}`;
    return fail(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }

  const options: ImportOptions = {
    cluster: args.cluster,
    nodeId: args['node-id'],
    peers,
    listen: { sentinel: args['listen-sentinel'], http: args['listen-http'], raft: args['listen-raft'] },
  };
  const result = mapDeployment(deployment, options);
  const text = `# raftinel config imported from Sentinel ${deployment.source} (raftinel import-sentinel; docs/migration.md)\n${stringify(result.document)}`;
  const outDir = args.out !== undefined ? dirname(resolve(args.out)) : process.cwd();
  try {
    parseConfigText(text, outDir, { file: args.out ?? 'the imported config' });
  } catch (err) {
    if (err instanceof ConfigError)
      return fail(`the imported config would not load:\n${formatConfigIssues(err)}`);
    throw err;
  }

  if (args.out !== undefined) {
    const targets = [resolve(args.out), ...result.secretFiles.map((s) => resolve(outDir, s.path))];
    const existing = targets.filter((t) => existsSync(t));
    if (existing.length > 0 && !args.force)
      return fail(`would overwrite ${existing.join(', ')} (give --force)`);
    try {
      mkdirSync(outDir, { recursive: true });
      for (const s of result.secretFiles) {
        const path = resolve(outDir, s.path);
        writeFileSync(path, s.value + '\n', { mode: 0o600 });
        chmodSync(path, 0o600); // --force over an existing file keeps its old mode otherwise
      }
      writeFileSync(resolve(args.out), text, { mode: 0o640 });
    } catch (err) {
      return fail(`cannot write ${args.out}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (args.json) {
    process.stdout.write(JSON.stringify(jsonReport(result, args.out), null, 2) + '\n');
    return 0;
  }
  if (args.out === undefined) process.stdout.write(text);
  process.stderr.write(renderNotes(result, args.out));
  return 0;
}

async function readLive(args: ImportArgs): Promise<SentinelDeployment> {
  const address = parseHostPort(args.from ?? '');
  if (address === null) throw new Error(`not host:port: ${args.from}`);
  const passwordFile = args['sentinel-password-file'];
  const password =
    passwordFile !== undefined ? readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '') : null;
  // Loaded here: ioredis is not needed by the other CLI commands.
  const { readLiveSentinel } = await import('../import/live.js');
  return readLiveSentinel({ address, username: args['sentinel-user'] ?? null, password });
}

function parsePeers(text: string | undefined): ImportOptions['peers'] | string {
  if (text === undefined) return null;
  const peers: { id: string; raft: string }[] = [];
  for (const part of text.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || parseHostPort(part.slice(eq + 1)) === null)
      return `--peers: expected id=host:port, got "${part}"`;
    peers.push({ id: part.slice(0, eq), raft: part.slice(eq + 1) });
  }
  return peers.length > 0 ? peers : '--peers: no peer given';
}

function jsonReport(result: ImportResult, out: string | undefined): Record<string, unknown> {
  return {
    config: result.document,
    written: out ?? null,
    // Paths only: a secret's value never leaves its file.
    secretFiles: result.secretFiles.map((s) => ({ path: s.path, what: s.what, written: out !== undefined })),
    notes: result.notes,
  };
}

const STATUS_TEXT: Readonly<Record<MappingNote['status'], string>> = {
  mapped: 'mapped    ',
  default: 'default   ',
  'not-mapped': 'NOT MAPPED',
};

export function renderNotes(result: ImportResult, out: string | undefined): string {
  const lines = result.notes.map((n) => {
    const where = n.shard !== null ? ` (${n.shard})` : '';
    const to = n.to !== null ? ` -> ${n.to}` : '';
    return `${STATUS_TEXT[n.status]} ${n.setting}${where}${to}: ${n.why}`;
  });
  for (const s of result.secretFiles) {
    lines.push(
      out !== undefined
        ? `secret     ${s.what}: written to ${s.path} (mode 0600)`
        : `secret     ${s.what}: not printed; write it into ${s.path} (mode 0600), or run again with --out`,
    );
  }
  if (out !== undefined) lines.push(`wrote ${out}`);
  lines.push(
    'shards and peers are read only when a node bootstraps an empty data dir: see docs/migration.md',
  );
  return lines.join('\n') + '\n';
}
