import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duplicateKeys } from '../../helpers/json-keys.js';

test('duplicateKeys names a key an object repeats, at any depth, and nothing else', () => {
  assert.deepEqual(duplicateKeys('{"component":"monitor","component":"prober","msg":"x"}'), ['component']);
  assert.deepEqual(duplicateKeys('{"a":{"b":1,"b":2},"c":[{"d":1},{"d":2}]}'), ['b']);
  assert.deepEqual(duplicateKeys('{"a":"x\\"a\\":1,","b":{"a":1},"c":["a","a"]}'), []);
});
