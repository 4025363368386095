// The sidecar's fence state in the node's data dir (docs/design.md 4.6), so that a sidecar that
// crashed while its local Redis was fenced starts fenced: it lifts the fence only after a
// ReadIndex round, like one that never stopped. Written before the fence command is sent.
import { readChecksummed, writeChecksummed } from '../storage/checksummed-file.js';
import { nodeFs, type StorageFs } from '../storage/fs.js';
import type { Logger } from '../util/log.js';
import type { FenceStore } from './sidecar.js';

const FILE = 'sidecar-fence.json';

export function fileFenceStore(
  dataDir: string,
  redisId: string,
  logger: Logger,
  fs: StorageFs = nodeFs,
): FenceStore {
  return {
    load: () => {
      try {
        const v = readChecksummed(fs, dataDir, FILE, (x: unknown) =>
          typeof x === 'object' && x !== null && typeof (x as { fenced?: unknown }).fenced === 'boolean'
            ? (x as { fenced: boolean; redis?: unknown })
            : null,
        );
        // A record of another Redis node (sidecar.redis changed) says nothing of this one.
        return v !== null && v.fenced && v.redis === redisId;
      } catch (err) {
        // Unreadable: the safe side is fenced (lifted after a ReadIndex round, like any fence).
        logger.warn(
          {
            event: 'sidecar-fence-state-unreadable',
            error: err instanceof Error ? err.message : String(err),
          },
          'fence state unreadable: starting fenced',
        );
        return true;
      }
    },
    save: (fenced) => writeChecksummed(fs, dataDir, FILE, { fenced, redis: redisId }),
  };
}
