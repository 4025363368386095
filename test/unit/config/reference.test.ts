import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import {
  DEFAULTS,
  configReferenceMarkdown,
  configSchema,
  describeConfig,
  parseConfigText,
} from '../../../src/config/index.js';
import { MINIMAL } from './fixtures.js';

interface DefView {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  element?: z.core.$ZodType;
}

// Lists every key the schema accepts, in the reference's notation (`shards[].nodes[].port`).
function schemaKeys(schema: z.core.$ZodType, prefix = '', out: string[] = []): string[] {
  const def = schema._zod.def as unknown as DefView;
  if (def.type === 'object' && def.shape) {
    for (const [key, child] of Object.entries(def.shape)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.push(path);
      schemaKeys(child, path, out);
    }
  } else if (def.type === 'array' && def.element) {
    schemaKeys(def.element, `${prefix}[]`, out);
  } else if (def.type === 'pipe' && def.in) {
    schemaKeys(def.in, prefix, out);
  } else if (def.innerType) {
    schemaKeys(def.innerType, prefix, out);
  }
  return out;
}

test('describeConfig lists every key of the schema, once, and nothing else', () => {
  const documented = describeConfig().map((row) => row.key);
  assert.equal(new Set(documented).size, documented.length, 'a key is listed twice');
  assert.deepEqual([...documented].sort(), schemaKeys(configSchema).sort());
});

test('every row has a type, a default and a description', () => {
  for (const row of describeConfig()) {
    assert.ok(row.type && row.default && row.description, JSON.stringify(row));
  }
});

test('the documented defaults are the ones a minimal config gets', () => {
  const config = parseConfigText(MINIMAL, '/');
  const rows = new Map(describeConfig().map((row) => [row.key, row.default]));
  for (const [key, value] of Object.entries(config.defaults)) {
    assert.equal(rows.get(`defaults.${key}`), typeof value === 'string' ? value : JSON.stringify(value), key);
    assert.equal(rows.get(`shards[].${key}`), `defaults.${key}`, key);
  }
  for (const [key, value] of Object.entries(config.raft))
    assert.equal(rows.get(`raft.${key}`), String(value), key);
  for (const [key, value] of Object.entries(config.node.listen))
    assert.equal(rows.get(`node.listen.${key}`), value);
  assert.equal(rows.get('sidecar.fenceAfterMs'), JSON.stringify(config.sidecar.fenceAfterMs));
  assert.equal(rows.get('hooks.timeoutMs'), String(config.hooks.timeoutMs));
  assert.equal(rows.get('log.level'), config.log.level);
  assert.equal(rows.get('shards[].nodes[].priority'), String(DEFAULTS.redisNode.priority));
  for (const key of ['cluster', 'node', 'node.id', 'peers', 'shards'])
    assert.equal(rows.get(key), 'required');
});

test('the Markdown reference has a row per key', () => {
  const lines = configReferenceMarkdown().split('\n');
  assert.equal(lines.length, describeConfig().length + 2);
  assert.ok(lines.some((l) => l.startsWith('| `shards[].nodes[].port` | integer 1..65535 | required |')));
});
