// The in-memory file system the simulator and the scenarios run the production storage on
// (sim-fs.ts), and the property the WAL exists for: a save cut at any of its file-system calls,
// with any subset of its unsynced writes reaching the disk, leaves the state before the save or
// the state after it, never a mix (docs/design.md section 2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Entry, HardState, Snapshot } from '../../src/raft/types.js';
import type { RaftPersistedState } from '../../src/runtime/ports.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { silentLogger } from '../../src/util/log.js';
import { Prng } from './prng.js';
import { SimFs, SimulatedCrash } from './sim-fs.js';

const DIR = '/data';
const open = (fs: SimFs): FileStorage => FileStorage.open(DIR, silentLogger(), fs);
const entry = (index: number, term: number, kind: Entry['kind'] = 'normal'): Entry => ({
  index,
  term,
  kind,
  data: kind === 'conf' ? JSON.stringify({ type: 'promote', id: `n${index}` }) : `cmd-${index}`,
});
const snap = (index: number, term: number): Snapshot => ({
  meta: { index, term, conf: { voters: ['n1', 'n2', 'n3'], learners: [] } },
  data: `state@${index}`,
});

describe('SimFs', () => {
  test('a crash keeps what was fsynced and, with lost, nothing else', () => {
    const fs = new SimFs(() => 0.9);
    fs.mkdirp(DIR);
    const fd = fs.open(`${DIR}/f`, 'create');
    fs.write(fd, Buffer.from('abc'), 0);
    fs.fsync(fd);
    const dir = fs.open(DIR, 'dir');
    fs.fsync(dir);
    fs.write(fd, Buffer.from('def'), 3);
    fs.open(`${DIR}/g`, 'create'); // its name is never fsynced
    fs.crash('lost');
    assert.equal(fs.readFile(`${DIR}/f`).toString(), 'abc');
    assert.equal(fs.exists(`${DIR}/g`), false);
  });

  test('a full disk writes part of the bytes and fails with ENOSPC', () => {
    const fs = new SimFs(() => 0.5);
    fs.mkdirp(DIR);
    const fd = fs.open(`${DIR}/f`, 'create');
    fs.full = true;
    assert.throws(() => fs.write(fd, Buffer.from('abcdef'), 0), { code: 'ENOSPC' });
    assert.equal(fs.readFile(`${DIR}/f`).toString(), 'abc');
  });

  test('a crash point throws before the call it names', () => {
    const fs = new SimFs(() => 0);
    fs.mkdirp(DIR);
    const fd = fs.open(`${DIR}/f`, 'create');
    fs.crashBeforeOp = fs.ops + 2;
    fs.write(fd, Buffer.from('a'), 0);
    assert.throws(() => fs.fsync(fd), SimulatedCrash);
  });
});

describe('FileStorage over SimFs', () => {
  test('a full disk fails the save as storage_failed; after a restart the state is the one before', () => {
    const fs = new SimFs(() => 0.7);
    const s = open(fs);
    s.save({ term: 1, vote: null, commit: 1 }, [entry(1, 1)]);
    fs.full = true;
    assert.throws(
      () => s.save({ term: 1, vote: null, commit: 2 }, [entry(2, 1)]),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'storage_failed');
        assert.match(err.message, /ENOSPC/);
        return true;
      },
    );
    assert.throws(() => s.load(), { code: 'storage_failed' }); // no further use until restart
    fs.full = false;
    fs.crash();
    assert.deepEqual(open(fs).load(), {
      hardState: { term: 1, vote: null, commit: 1 },
      snapshot: null,
      entries: [entry(1, 1)],
    });
  });

  type Step = { hs: HardState | null; entries: Entry[]; snapshot: Snapshot | null };
  const before: Step[] = [
    { hs: { term: 2, vote: 'n1', commit: 1 }, entries: [entry(1, 1, 'conf'), entry(2, 2)], snapshot: null },
    { hs: { term: 2, vote: 'n1', commit: 3 }, entries: [entry(3, 2, 'conf'), entry(4, 2)], snapshot: null },
  ];
  const cuts: [string, Step][] = [
    [
      'entries and a commit',
      { hs: { term: 2, vote: 'n1', commit: 5 }, entries: [entry(5, 2, 'conf'), entry(6, 2)], snapshot: null },
    ],
    [
      'an overwriting suffix',
      { hs: { term: 3, vote: 'n2', commit: 3 }, entries: [entry(4, 3), entry(5, 3)], snapshot: null },
    ],
    [
      'a snapshot with entries',
      { hs: { term: 2, vote: 'n1', commit: 6 }, entries: [entry(5, 2), entry(6, 2)], snapshot: snap(3, 2) },
    ],
    [
      'an InstallSnapshot past the log',
      { hs: { term: 4, vote: null, commit: 9 }, entries: [], snapshot: snap(9, 4) },
    ],
  ];

  for (const [name, step] of cuts) {
    test(`a save of ${name} cut at any call, with any unsynced writes kept, is all or nothing`, () => {
      let outcomes = 0;
      for (let cut = 1; cut <= 20; cut++) {
        for (let seed = 1; seed <= 8; seed++) {
          const r = new Prng(cut * 100 + seed);
          const fs = new SimFs(() => r.float());
          const s = open(fs);
          for (const b of before) s.save(b.hs, b.entries, b.snapshot);
          const old: RaftPersistedState = s.load();
          const model = open(new SimFs(() => 0));
          for (const b of [...before, step]) model.save(b.hs, b.entries, b.snapshot);
          const next = model.load();
          fs.crashBeforeOp = fs.ops + cut;
          let cutShort = false;
          try {
            s.save(step.hs, step.entries, step.snapshot);
          } catch (err) {
            assert.ok(fs.fired !== null, `only the crash point fails the save: ${String(err)}`);
            cutShort = true;
          }
          fs.crash();
          const got = open(fs).load();
          if (!cutShort) assert.deepEqual(got, next, `cut ${cut} after the save: durable`);
          else {
            const same = (a: RaftPersistedState): boolean => JSON.stringify(a) === JSON.stringify(got);
            assert.ok(same(old) || same(next), `cut ${cut} seed ${seed}: ${JSON.stringify(got)}`);
            outcomes++;
          }
        }
      }
      assert.ok(outcomes > 0, 'some saves were cut');
    });
  }
});
