// Behaviour every RaftStorage must have, run against both the file store and the memory store so
// the simulator's storage cannot drift from the real one. `reopen` models a restart.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Entry } from '../../../src/raft/types.js';
import type { RaftStorage } from '../../../src/runtime/ports.js';
import { entries, entry, snapshot } from './helpers.js';

export interface Harness {
  /** A fresh, empty store. */
  create(): RaftStorage;
  /** The store as a restarted node would find it (after close). */
  reopen(s: RaftStorage): RaftStorage;
  cleanup(): void;
}

function indexes(es: readonly Entry[]): number[] {
  return es.map((e) => e.index);
}

export function storageContract(name: string, makeHarness: () => Harness): void {
  describe(`${name}: RaftStorage contract`, () => {
    let h: Harness;
    let s: RaftStorage;
    beforeEach(() => {
      h = makeHarness();
      s = h.create();
    });
    afterEach(() => {
      s.close();
      h.cleanup();
    });
    const restart = (): void => {
      s.close();
      s = h.reopen(s);
    };

    it('starts empty with the default hard state', () => {
      assert.deepEqual(s.load(), {
        hardState: { term: 0, vote: null, commit: 0 },
        snapshot: null,
        entries: [],
      });
    });

    it('round-trips entries and hard state across a restart', () => {
      s.save({ term: 1, vote: 'a', commit: 0 }, entries(1, 3, 1));
      s.save({ term: 2, vote: null, commit: 2 }, [
        entry(4, 2, 'x', 'noop'),
        entry(5, 2, '{"k":"v"}', 'conf'),
      ]);
      const before = s.load();
      restart();
      assert.deepEqual(s.load(), before);
      assert.deepEqual(before.hardState, { term: 2, vote: null, commit: 2 });
      assert.deepEqual(indexes(before.entries), [1, 2, 3, 4, 5]);
      assert.equal(before.entries[4].kind, 'conf');
    });

    it('saves the hard state alone, and an empty save changes nothing', () => {
      s.save({ term: 3, vote: 'b', commit: 0 }, []);
      s.save(null, []);
      restart();
      assert.deepEqual(s.load().hardState, { term: 3, vote: 'b', commit: 0 });
    });

    it('an append at a stored index replaces that entry and everything after it', () => {
      s.save(null, entries(1, 5, 1));
      s.save(null, [entry(3, 2, 'new-3'), entry(4, 2, 'new-4')]);
      const expected = [entry(1, 1), entry(2, 1), entry(3, 2, 'new-3'), entry(4, 2, 'new-4')];
      assert.deepEqual(s.load().entries, expected);
      s.save(null, [entry(5, 2)]);
      restart();
      assert.deepEqual(s.load().entries, [...expected, entry(5, 2)]);
      s.save(null, [entry(1, 3, 'all-new')]);
      restart();
      assert.deepEqual(s.load().entries, [entry(1, 3, 'all-new')]);
    });

    it('refuses appends that leave a gap or are not contiguous', () => {
      s.save(null, entries(1, 2, 1));
      assert.throws(() => s.save(null, [entry(4, 1)]), { code: 'storage_bad_append' });
      assert.throws(() => s.save(null, [entry(3, 1), entry(5, 1)]), { code: 'storage_bad_append' });
      assert.deepEqual(indexes(s.load().entries), [1, 2]);
      s.save(null, [entry(3, 1)]);
      assert.deepEqual(indexes(s.load().entries), [1, 2, 3]);
    });

    it('a snapshot compacts the log and keeps the entries after it', () => {
      s.save({ term: 2, vote: 'a', commit: 8 }, [...entries(1, 4, 1), ...entries(5, 10, 2)]);
      s.saveSnapshot(snapshot(6, 2));
      let st = s.load();
      assert.deepEqual(st.snapshot, snapshot(6, 2));
      assert.deepEqual(indexes(st.entries), [7, 8, 9, 10]);
      restart();
      st = s.load();
      assert.deepEqual(st.snapshot, snapshot(6, 2));
      assert.deepEqual(st.hardState, { term: 2, vote: 'a', commit: 8 });
      assert.deepEqual(indexes(st.entries), [7, 8, 9, 10]);
      // Appends continue, overwrite and are skipped below the snapshot as before.
      s.save(null, [entry(5, 2), entry(6, 2), entry(7, 2), entry(8, 3)]);
      assert.deepEqual(indexes(s.load().entries), [7, 8]);
      assert.equal(s.load().entries[1].term, 3);
      s.saveSnapshot(snapshot(8, 3));
      restart();
      assert.deepEqual(s.load().entries, []);
      assert.equal(s.load().snapshot?.meta.index, 8);
    });

    it('a snapshot beyond the last entry empties the log (InstallSnapshot)', () => {
      s.save(null, entries(1, 3, 1));
      s.saveSnapshot(snapshot(10, 4));
      assert.deepEqual(s.load().entries, []);
      assert.throws(() => s.save(null, [entry(12, 4)]), { code: 'storage_bad_append' });
      s.save(null, [entry(11, 4)]);
      restart();
      const st = s.load();
      assert.deepEqual(st.snapshot, snapshot(10, 4));
      assert.deepEqual(st.entries, [entry(11, 4)]);
    });

    it('a snapshot whose term differs from the stored entry at its index drops the whole log', () => {
      s.save(null, entries(1, 6, 1));
      s.saveSnapshot(snapshot(4, 2));
      assert.deepEqual(s.load().entries, []);
      restart();
      assert.deepEqual(s.load().entries, []);
      s.save(null, [entry(5, 2)]);
      assert.deepEqual(indexes(s.load().entries), [5]);
    });

    it('refuses a snapshot older than the stored one, and accepts the same one again', () => {
      s.save(null, entries(1, 6, 1));
      s.saveSnapshot(snapshot(5, 1));
      assert.throws(() => s.saveSnapshot(snapshot(4, 1)), { code: 'snapshot_out_of_date' });
      s.saveSnapshot(snapshot(5, 1, 'again'));
      assert.deepEqual(indexes(s.load().entries), [6]);
      assert.equal(s.load().snapshot?.data, 'again');
    });

    it('is not changed by callers mutating what they passed in or got back', () => {
      const es: { -readonly [K in keyof Entry]: Entry[K] }[] = entries(1, 2, 1);
      const hs = { term: 1, vote: 'a' as string | null, commit: 0 };
      s.save(hs, es);
      const snap = snapshot(1, 1);
      s.saveSnapshot(snap);
      es[1].data = 'mutated';
      hs.term = 99;
      (snap.meta.conf.voters as string[]).push('zz');
      const got = s.load();
      (got.entries as Entry[]).length = 0;
      (got.snapshot?.meta.conf.learners as string[]).push('yy');
      (got.hardState as { term: number }).term = 42;
      assert.deepEqual(s.load(), {
        hardState: { term: 1, vote: 'a', commit: 0 },
        snapshot: snapshot(1, 1),
        entries: [entry(2, 1)],
      });
    });
  });
}
