// Temporary directories for data dirs and configs; removed by the caller's cleanup.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeTempDir(prefix = 'raftinel-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  // force: a test that failed early may not have created everything; cleanup must not throw.
  rmSync(dir, { recursive: true, force: true });
}
