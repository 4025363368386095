// The README's config reference is generated from the schema: `npm run docs` rewrites it, and
// test/unit/docs.test.ts fails when it is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReferenceMarkdown } from '../../src/config/index.js';

export const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const START = '<!-- config-reference:start -->';
const END = '<!-- config-reference:end -->';

export function withReference(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error('README.md lacks the config-reference markers');
  return `${readme.slice(0, a + START.length)}\n${configReferenceMarkdown().trim()}\n${readme.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, withReference(readFileSync(README, 'utf8')));
  console.log('README.md: config reference rewritten');
}
