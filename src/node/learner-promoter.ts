// A member added with `raftinel members add` joins as a learner (it receives the log but does
// not vote); the leader promotes it to voter once it has caught up, so that adding a node never
// weakens the quorum while it copies the log.
import type { RaftRuntime } from '../runtime/raft-runtime.js';
import type { Logger } from '../util/log.js';

const CHECK_MS = 500;
/** A learner within this many entries of the leader's log counts as caught up. */
const CAUGHT_UP_ENTRIES = 10;

export function startLearnerPromoter(runtime: RaftRuntime, logger: Logger): () => void {
  let busy = false;
  const timer = setInterval(() => {
    const s = runtime.status();
    if (busy || s.role !== 'leader') return;
    const ready = s.conf.learners.find(
      (id) => (s.progress.get(id)?.match ?? 0) >= s.lastIndex - CAUGHT_UP_ENTRIES,
    );
    if (!ready) return;
    busy = true;
    runtime.proposeConfChange({ type: 'promote', id: ready }, (err) => {
      busy = false;
      if (err) logger.debug({ event: 'learner-promotion-deferred', id: ready, code: err.code }, err.message);
      else logger.info({ event: 'member-promoted', id: ready }, `${ready} caught up and is now a voter`);
    });
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
