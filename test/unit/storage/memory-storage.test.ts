import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../../src/storage/memory-storage.js';
import { storageContract } from './contract.js';
import { entries, snapshot } from './helpers.js';

// A restart hands the same instance back: memory "durability" is the instance itself.
storageContract('MemoryStorage', () => ({
  create: () => new MemoryStorage(),
  reopen: (s) => s,
  cleanup: () => {},
}));

describe('MemoryStorage', () => {
  it('starts from a given persisted state', () => {
    const a = new MemoryStorage();
    a.save({ term: 3, vote: 'c', commit: 5 }, entries(1, 8, 3));
    a.saveSnapshot(snapshot(5, 3));
    const b = new MemoryStorage(a.load());
    assert.deepEqual(b.load(), a.load());
  });
});
