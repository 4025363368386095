// Raft scenarios as data (etcd-io/raft testdata/*.txt): one test per file of test/raft/testdata.
// Rewrite the expected outputs in place, then review the diff:
//   REWRITE=1 node --test dist/test/raft/scenarios.test.js
//   node dist/test/raft/scenarios.test.js --rewrite
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runFile } from './datadriven.js';
import { InteractionEnv } from './harness/env.js';
import { handle } from './harness/handler.js';

// Compiled to dist/test/raft, while the .txt files stay in the source tree (tsc does not copy
// them): read and rewrite them there.
const here = dirname(fileURLToPath(import.meta.url));
const testdata = here.endsWith(join('dist', 'test', 'raft'))
  ? resolve(here, '../../../test/raft/testdata')
  : join(here, 'testdata');
const rewrite = process.env.REWRITE === '1' || process.argv.includes('--rewrite');

for (const file of readdirSync(testdata)
  .filter((f) => f.endsWith('.txt'))
  .sort()) {
  test(file, () => {
    const env = new InteractionEnv();
    runFile(join(testdata, file), (d) => handle(env, d), rewrite);
  });
}
