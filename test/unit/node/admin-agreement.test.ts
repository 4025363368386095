// Admin settings agreement for forwarded requests (docs/design.md 5.2).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { adminStamp, checkAdminStamp } from '../../../src/node/admin-agreement.js';

const dir = mkdtempSync(join(tmpdir(), 'raftinel-admin-'));
const tokenFile = (name: string, token: string) => {
  const file = join(dir, name);
  writeFileSync(file, `${token}\n`);
  return { tokenFile: file };
};
const a = tokenFile('a', 'token-a');
const aCopy = tokenFile('a2', 'token-a');
const b = tokenFile('b', 'token-b');

test('the same token on both sides agrees; the stamp never carries the token', () => {
  const stamp = adminStamp(a, 'c');
  assert.ok(!JSON.stringify(stamp).includes('token-a'));
  assert.deepEqual(checkAdminStamp(aCopy, 'c', stamp), { ok: true });
  assert.deepEqual(checkAdminStamp(null, 'c', adminStamp(null, 'c')), { ok: true });
});

test('a different token, a token against none, another cluster, or no stamp: refused with a reason', () => {
  const cases: [string, ReturnType<typeof checkAdminStamp>, RegExp][] = [
    ['different tokens', checkAdminStamp(b, 'c', adminStamp(a, 'c')), /different admin tokens/],
    [
      'follower token, leader none',
      checkAdminStamp(null, 'c', adminStamp(a, 'c')),
      /forwarding node has admin\.tokenFile set, the leader has no admin block/,
    ],
    [
      'follower none, leader token',
      checkAdminStamp(a, 'c', adminStamp(null, 'c')),
      /forwarding node has no admin block/,
    ],
    ['another cluster', checkAdminStamp(a, 'd', adminStamp(a, 'c')), /different admin tokens/],
    ['no stamp', checkAdminStamp(a, 'c', undefined), /no admin settings/],
  ];
  for (const [name, result, reason] of cases) {
    assert.equal(result.ok, false, name);
    if (!result.ok) assert.match(result.reason, reason, name);
  }
});
