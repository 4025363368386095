// A member added with `raftinel members add` joins as a learner (it receives the log but does
// not vote); the leader promotes it to voter once it has caught up, so that adding a node never
// weakens the quorum while it copies the log.
import type { NodeId } from '../raft/types.js';
import type { RaftStatus } from '../raft/raft.js';
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Logger } from '../util/log.js';
import { systemClock } from '../runtime/system-clock.js';

const CHECK_MS = 500;
/** A learner within this many entries of the leader's log counts as caught up. */
export const CAUGHT_UP_ENTRIES = 10;

/**
 * The learner to promote now, if any: one that has acknowledged entries up to within
 * CAUGHT_UP_ENTRIES of the leader's last index and is live. Acknowledged, not merely close: in
 * a young cluster the log is shorter than CAUGHT_UP_ENTRIES, and a learner that was added but
 * never started (match 0) would otherwise become a voter that counts in every majority while
 * it is down.
 */
export function readyLearner(
  status: Pick<RaftStatus, 'conf' | 'progress' | 'lastIndex'>,
  isLive: (id: NodeId) => boolean,
): NodeId | null {
  const ready = status.conf.learners.find((id) => {
    const match = status.progress.get(id)?.match ?? 0;
    return match > 0 && match >= status.lastIndex - CAUGHT_UP_ENTRIES && isLive(id);
  });
  return ready ?? null;
}

export function startLearnerPromoter(
  runtime: RaftRuntime,
  isLive: (id: NodeId) => boolean,
  logger: Logger,
): () => void {
  let busy = false;
  return systemClock.every(
    CHECK_MS,
    () => {
      const s = runtime.status();
      if (busy || s.role !== 'leader') return;
      const ready = readyLearner(s, isLive);
      if (ready === null) return;
      busy = true;
      runtime.proposeConfChange({ type: 'promote', id: ready }, (err) => {
        busy = false;
        if (err)
          logger.debug({ event: 'learner-promotion-deferred', id: ready, code: err.code }, err.message);
        else logger.info({ event: 'member-promoted', id: ready }, `${ready} caught up and is now a voter`);
      });
    },
    { unref: true },
  );
}
