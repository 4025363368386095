// Durable Raft storage (docs/design.md section 2) and its in-memory twin for tests and the simulator.
export { openFileStorage, FileStorage } from './file-storage.js';
export { nodeFs, type StorageFs } from './fs.js';
export { WAL_FILE } from './wal.js';
export { MemoryStorage } from './memory-storage.js';
