import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplyError } from 'ioredis';
import { classifyError, clean, GarbageReplyError } from '../../../src/monitor/classify.js';

function reply(message: string): Error {
  return new (ReplyError as new (message: string) => Error)(message);
}

describe('classifyError', () => {
  test('-LOADING and -MASTERDOWN prove the node alive', () => {
    assert.equal(classifyError(reply('LOADING Redis is loading the dataset in memory')).kind, 'alive');
    assert.equal(
      classifyError(reply("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."))
        .kind,
      'alive',
    );
  });

  test('AUTH failures, in every wording Redis uses', () => {
    for (const m of [
      'WRONGPASS invalid username-password pair or user is disabled.',
      'NOAUTH Authentication required.',
      'ERR invalid password',
      'ERR invalid username-password pair',
    ]) {
      const c = classifyError(reply(m));
      assert.equal(c.kind, 'fault');
      assert.equal(c.reason, `AUTH refused: ${m}`);
    }
  });

  test('ACL refusals and other error replies are faults', () => {
    assert.match(
      classifyError(reply("NOPERM this user has no permissions to run the 'role' command")).reason,
      /^permission denied: /,
    );
    assert.match(classifyError(reply('BUSY Redis is busy running a script.')).reason, /^error reply: BUSY/);
  });

  test('protocol errors are garbage', () => {
    assert.equal(
      classifyError(new GarbageReplyError('bulk length 999999999999 over the cap of 1048576')).reason,
      'garbage reply: bulk length 999999999999 over the cap of 1048576',
    );
  });

  test('connection trouble is transport: silence, judged by downAfterMs', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(classifyError(refused).kind, 'transport');
    assert.equal(classifyError(new Error('Connection is closed.')).kind, 'transport');
    assert.equal(classifyError('weird').kind, 'transport');
  });

  test('server text is flattened and bounded', () => {
    const c = classifyError(reply(`ERR \u001b[2J\n${'x'.repeat(1000)}`));
    assert.ok(!/[^ -~]/.test(c.reason));
    assert.ok(c.reason.length < 230);
    assert.equal(clean(' a\r\nb '), 'a  b');
  });
});
