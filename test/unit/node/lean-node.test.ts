// A running `raftinel node` must not carry what it does not use (issue 12: the memory target).
// ioredis (~15 MiB of RSS by import alone): the node talks to Redis through its own client
// (src/monitor/resp-client.ts); ioredis stays for the CLI demo, `import-sentinel` and the tests.
// zod and yaml (~16 MiB together): the node command checks its config in a child process
// (src/config/load-isolated.ts), and the admin routes load their body checks on first use. The
// checks walk the built import graph (our own files; static imports, and literal dynamic ones
// where a lazy load would still be a load), naming the chain that brought a package back, and
// look at what a process that imports the node module has loaded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const NODE_MODULE = fileURLToPath(new URL('../../../src/node/node.js', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const CLI_FULL = fileURLToPath(new URL('../../../src/cli/cli.js', import.meta.url));
/** What `raftinel node` loads when its command runs (main.js imports it lazily). */
const NODE_COMMAND = fileURLToPath(new URL('../../../src/cli/node-command.js', import.meta.url));
const IOREDIS = /^ioredis(\/|$)/;
/** Loaded with every CLI call, `raftinel node` included, unless imported lazily. */
const CONFIG_LOADER = /^(zod|yaml)(\/|$)/;
/** The CLI parser (~10 MiB of RSS): main.js starts a plain `raftinel node` without it. */
const YARGS = /^yargs(\/|$)/;
// `import x from 'y'`, `export { x } from 'y'`, `import 'y'`, `import('y')` as tsc emits them.
const SPECIFIERS =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

function specifiers(file: string, lazy: boolean): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIERS)].flatMap((m) =>
    m[3] !== undefined && !lazy ? [] : [m[1] ?? m[2] ?? m[3]],
  );
}

/** The chain of our files from `entry` to a forbidden import, or null; `lazy`: dynamic imports too. */
function forbiddenChain(entry: string, forbidden: RegExp, lazy = true): string[] | null {
  const seen = new Set<string>([entry]);
  const queue: string[][] = [[entry]];
  while (queue.length > 0) {
    const chain = queue.shift() as string[];
    const file = chain[chain.length - 1];
    for (const spec of specifiers(file, lazy)) {
      if (forbidden.test(spec)) return [...chain, spec];
      if (!spec.startsWith('.')) continue; // node: built-ins and other packages
      const next = resolve(dirname(file), spec);
      // A relative import that names no built file: the walk would miss what is behind it.
      assert.ok(existsSync(next), `${file} imports ${spec}, which is not built`);
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push([...chain, next]);
    }
  }
  return null;
}

/** Asserts that `entry` reaches no import matching `forbidden`; the message names the chain. */
function assertNoChain(entry: string, forbidden: RegExp, lazy = true): void {
  const root = resolve(dirname(entry), '..', '..');
  const chain = forbiddenChain(entry, forbidden, lazy);
  assert.equal(chain, null, `imported by: ${chain?.map((f) => f.replace(`${root}/`, '')).join(' -> ')}`);
}

test('the node module does not reach ioredis through its imports', () => {
  assert.ok(existsSync(NODE_MODULE), `${NODE_MODULE} (run npm run build)`);
  assertNoChain(NODE_MODULE, IOREDIS);
});

test('the import graph walk does find ioredis where it is imported (the check can fail)', () => {
  const live = fileURLToPath(new URL('../../../src/cli/import/live.js', import.meta.url));
  const chain = forbiddenChain(live, IOREDIS);
  assert.ok(chain !== null && chain[chain.length - 1] === 'ioredis', String(chain));
});

test('the CLI (raftinel node among its commands) loads neither ioredis nor the config loader until a command needs them', () => {
  assert.ok(existsSync(CLI_MAIN), `${CLI_MAIN} (run npm run build)`);
  // main.js, and the full CLI it loads for every command line but a plain `raftinel node`.
  for (const entry of [CLI_MAIN, CLI_FULL])
    for (const forbidden of [IOREDIS, CONFIG_LOADER]) assertNoChain(entry, forbidden, false);
});

test('the node command reaches zod and yaml only through lazy imports, and ioredis not at all', () => {
  assertNoChain(NODE_COMMAND, CONFIG_LOADER, false);
  assertNoChain(NODE_COMMAND, IOREDIS);
  // The walk sees the lazy one (admin-bodies.js): the eager check above can fail.
  assert.notEqual(forbiddenChain(NODE_MODULE, CONFIG_LOADER, true), null);
});

test('a plain `raftinel node` loads no yargs: main.js reaches it only through the full CLI', () => {
  assertNoChain(CLI_MAIN, YARGS, false);
  assertNoChain(NODE_COMMAND, YARGS);
  // The lazy walk finds it behind cli.js: the checks above can fail.
  assert.notEqual(forbiddenChain(CLI_MAIN, YARGS, true), null);
});

/** The ioredis files a process that imports `module` has loaded (ioredis is CommonJS). */
function ioredisLoadedBy(module: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(module)});
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify(loaded.filter((f) => f.includes('/node_modules/ioredis/'))));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out) as string[];
}

test('a process that imports the node module has not loaded ioredis', () => {
  assert.deepEqual(ioredisLoadedBy(NODE_MODULE), []);
  // The same look finds it where it is loaded: the check can fail.
  const live = fileURLToPath(new URL('../../../src/cli/import/live.js', import.meta.url));
  assert.notDeepEqual(ioredisLoadedBy(live), []);
});
