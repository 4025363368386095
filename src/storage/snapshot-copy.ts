import type { Snapshot } from '../raft/types.js';

/** A copy sharing nothing mutable with `s` (the membership arrays included). */
export function copySnapshot(s: Snapshot): Snapshot {
  return {
    meta: {
      index: s.meta.index,
      term: s.meta.term,
      conf: { voters: [...s.meta.conf.voters], learners: [...s.meta.conf.learners] },
    },
    data: s.data,
  };
}
