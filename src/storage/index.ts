// Durable Raft storage (docs/design.md section 2) and its in-memory twin for tests and the simulator.
export { openFileStorage, FileStorage, HARD_STATE_FILE, SNAPSHOT_FILE } from './file-storage.js';
export { LOG_FILE } from './log-file.js';
export { MemoryStorage } from './memory-storage.js';
