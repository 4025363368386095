// `raftinel node` must not load ioredis (issue 12): importing it alone cost ~15 MiB of RSS, and
// the node talks to Redis through its own client (src/monitor/resp-client.ts). ioredis stays for
// the CLI demo, `import-sentinel` and the tests. Two checks on the built node module: its import
// graph (static and literal dynamic imports of our own files), which names the chain that
// brought ioredis back, and what a process that imports it has loaded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const NODE_MODULE = fileURLToPath(new URL('../../../src/node/node.js', import.meta.url));
const FORBIDDEN = /^ioredis(\/|$)/;
// `import x from 'y'`, `export { x } from 'y'`, `import 'y'`, `import('y')` as tsc emits them.
const SPECIFIERS =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIERS)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The chain of our files from the node module to a forbidden import, or null. */
function forbiddenChain(entry: string): string[] | null {
  const seen = new Set<string>([entry]);
  const queue: string[][] = [[entry]];
  while (queue.length > 0) {
    const chain = queue.shift() as string[];
    const file = chain[chain.length - 1];
    for (const spec of specifiers(file)) {
      if (FORBIDDEN.test(spec)) return [...chain, spec];
      if (!spec.startsWith('.')) continue; // node: built-ins and other packages
      const next = resolve(dirname(file), spec);
      if (seen.has(next) || !existsSync(next)) continue;
      seen.add(next);
      queue.push([...chain, next]);
    }
  }
  return null;
}

test('the node module does not reach ioredis through its imports', () => {
  assert.ok(existsSync(NODE_MODULE), `${NODE_MODULE} (run npm run build)`);
  const chain = forbiddenChain(NODE_MODULE);
  const root = resolve(dirname(NODE_MODULE), '..', '..');
  assert.equal(
    chain,
    null,
    `ioredis is imported by: ${chain?.map((f) => f.replace(`${root}/`, '')).join(' -> ')}`,
  );
});

test('the import graph walk does find ioredis where it is imported (the check can fail)', () => {
  const live = fileURLToPath(new URL('../../../src/cli/import/live.js', import.meta.url));
  const chain = forbiddenChain(live);
  assert.ok(chain !== null && chain[chain.length - 1] === 'ioredis', String(chain));
});

test('a process that imports the node module has not loaded ioredis', () => {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(NODE_MODULE)});
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify(loaded.filter((f) => f.includes('/node_modules/ioredis/'))));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.deepEqual(JSON.parse(out), []);
});
