// When the engine may send REPLICAOF to a node again (demoting a stray master, pointing a
// replica at the committed master, repointing after a failover), and when it says so. A node
// the leader cannot command (cut off from the leader alone, refusing the command, hung) was
// retried every few hundred milliseconds for as long as it lasted, each attempt logged; now the
// wait doubles per failure up to a few seconds. A node whose situation changes (another target,
// a restart, it answers again, another role) is tried at once, so a reachable node is never
// held back by the failures of before. The Sentinel event of an attempt (+convert-to-slave,
// +slave-reconf-sent) is told when the node accepted the command, once per change of target,
// not when it was sent. Pure: time is the leader's monotonic clock, passed in.

/** The wait after the first failure; it doubles per failure after that. */
export const REPOINT_RETRY_BASE_MS = 300;
/** The longest wait between two attempts on a node that keeps failing. */
export const REPOINT_RETRY_MAX_MS = 5000;
/**
 * After the node accepted REPLICAOF, how long the probes get to show it following before the
 * command is sent again (an accepted command shows within a probe interval or two).
 */
export const REPOINT_CONFIRM_MS = 1000;

/** What the node looks like: a change means the last failure says nothing of the next try. */
export interface NodeLook {
  /** This leader's own probe reaches the node (its commands use this leader's links). */
  readonly reachable: boolean;
  readonly role: string;
  readonly masterHost: string | null;
  readonly masterPort: number | null;
  readonly runId: string | null;
}

interface Attempts {
  /** "host:port" the node is being pointed at. */
  readonly target: string;
  /** The node's look when the last command was sent. */
  look: string;
  /** Failures in a row toward this target. */
  failures: number;
  /** Monotonic ms before which no command goes out (unless the node's look changes). */
  notBefore: number;
  /** The last command was accepted and its event told. */
  accepted: boolean;
}

export type RepointOutcome =
  | {
      readonly ok: true;
      /** First acceptance toward this target: tell the event now. */ readonly announce: boolean;
    }
  | { readonly ok: false; readonly failures: number; readonly retryInMs: number };

export class RepointRetries {
  private readonly byNode = new Map<string, Attempts>();

  /** May a REPLICAOF toward `target` go to node `key` now? */
  due(key: string, target: string, look: NodeLook, now: number): boolean {
    const a = this.byNode.get(key);
    if (!a || a.target !== target || a.look !== lookKey(look)) return true;
    return now >= a.notBefore;
  }

  /** A REPLICAOF toward `target` went out to node `key`. */
  sent(key: string, target: string, look: NodeLook): void {
    const a = this.byNode.get(key);
    const l = lookKey(look);
    if (!a || a.target !== target) {
      this.byNode.set(key, { target, look: l, failures: 0, notBefore: 0, accepted: false });
      return;
    }
    // Something changed since the failures before: they say nothing of this attempt.
    if (a.look !== l) a.failures = 0;
    a.look = l;
  }

  /** The node's answer to the REPLICAOF last sent to it. */
  outcome(key: string, ok: boolean, now: number): RepointOutcome | null {
    const a = this.byNode.get(key);
    if (!a) return null;
    if (ok) {
      const announce = !a.accepted;
      a.accepted = true;
      a.failures = 0;
      a.notBefore = now + REPOINT_CONFIRM_MS;
      return { ok: true, announce };
    }
    a.accepted = false;
    a.failures++;
    const retryInMs = Math.min(REPOINT_RETRY_MAX_MS, REPOINT_RETRY_BASE_MS * 2 ** (a.failures - 1));
    a.notBefore = now + retryInMs;
    return { ok: false, failures: a.failures, retryInMs };
  }

  /** The node follows its master now: the next time it strays is a new story. */
  settled(key: string): void {
    this.byNode.delete(key);
  }

  clear(): void {
    this.byNode.clear();
  }
}

function lookKey(l: NodeLook): string {
  return `${l.reachable ? 'up' : 'down'} ${l.role} ${l.masterHost ?? '-'}:${l.masterPort ?? '-'} ${l.runId ?? '-'}`;
}
