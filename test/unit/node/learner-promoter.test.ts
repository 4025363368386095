// Which learner the leader promotes to voter (src/node/learner-promoter.ts): only one that has
// acknowledged entries close to the leader's last index and is live.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CAUGHT_UP_ENTRIES, readyLearner } from '../../../src/node/learner-promoter.js';

function status(lastIndex: number, matches: Record<string, number>) {
  return {
    lastIndex,
    conf: { voters: ['n1', 'n2', 'n3'], learners: Object.keys(matches) },
    progress: new Map(
      Object.entries(matches).map(([id, match]) => [id, { match, next: match + 1, state: 'probe' }]),
    ),
  };
}

const live = (): boolean => true;

describe('readyLearner', () => {
  test('a learner that never acknowledged anything is not promoted, even in a log shorter than the margin', () => {
    assert.ok(CAUGHT_UP_ENTRIES >= 9);
    assert.equal(readyLearner(status(9, { n4: 0 }), live), null);
    assert.equal(readyLearner(status(0, { n4: 0 }), live), null);
  });

  test('a learner within the margin of the last index is promoted; one further behind is not', () => {
    assert.equal(readyLearner(status(9, { n4: 1 }), live), 'n4');
    assert.equal(readyLearner(status(500, { n4: 500 - CAUGHT_UP_ENTRIES }), live), 'n4');
    assert.equal(readyLearner(status(500, { n4: 500 - CAUGHT_UP_ENTRIES - 1 }), live), null);
  });

  test('a caught-up learner that is not live now is not promoted', () => {
    assert.equal(
      readyLearner(status(500, { n4: 500 }), (id) => id !== 'n4'),
      null,
    );
  });

  test('with several learners, the first ready one in the configuration order', () => {
    assert.equal(readyLearner(status(100, { n4: 3, n5: 100, n6: 100 }), live), 'n5');
  });

  test('no learners: nothing to promote', () => {
    assert.equal(readyLearner(status(100, {}), live), null);
  });
});
