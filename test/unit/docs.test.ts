import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, withReference } from '../docs/config-reference.js';

test('the README config reference matches the schema (npm run docs rewrites it)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(readme, withReference(readme));
});
