// The shared-secret half of peer authentication (docs/design.md 2, "Peer transport"): both ends
// prove that they hold the cluster secret with an HMAC over a transcript that binds the cluster
// id, both node ids, which side is speaking, and a fresh nonce from each side, so a proof is good
// for one connection in one direction only and can be neither replayed nor reflected. It
// authenticates the handshake, not the bytes after it: where the network itself is hostile, use
// mutual TLS (tls.peer), alone or with the secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Nonce length in bytes (sent as hex). */
export const NONCE_BYTES = 32;
/** A proof is a hex HMAC-SHA256: 64 characters. */
export const PROOF_LENGTH = 64;
/** Shortest secret a node accepts: the secret is the whole of the cluster's identity. */
export const MIN_SECRET_BYTES = 16;

export type ProofRole = 'dialer' | 'listener';

export interface Transcript {
  readonly cluster: string;
  readonly dialerId: string;
  readonly listenerId: string;
  readonly dialerNonce: string;
  readonly listenerNonce: string;
}

export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

export function proofOf(secret: Uint8Array, role: ProofRole, t: Transcript): string {
  const text = [
    'raftinel-peer-auth-v2',
    role,
    t.cluster,
    t.dialerId,
    t.listenerId,
    t.dialerNonce,
    t.listenerNonce,
  ].join('\n');
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** Constant-time check of a proof the peer sent. */
export function proofMatches(secret: Uint8Array, role: ProofRole, t: Transcript, given: string): boolean {
  const expected = Buffer.from(proofOf(secret, role, t));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export type ProofCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'auth-failed' | 'auth-mismatch'; readonly detail: string };

/**
 * One side's judgement of the other's proof. Both sides must agree on using a secret: a node
 * with one never accepts a peer without one, and a node without one refuses a peer that proves
 * a secret it cannot check (the two were configured differently: say so rather than half-work).
 */
export function judgeProof(
  secret: Uint8Array | null,
  role: ProofRole,
  t: Transcript,
  given: string | null,
): ProofCheck {
  if (secret === null) {
    return given === null
      ? { ok: true }
      : {
          ok: false,
          reason: 'auth-mismatch',
          detail: 'the peer uses a cluster secret (peerAuth), this node has none',
        };
  }
  if (given === null)
    return {
      ok: false,
      reason: 'auth-mismatch',
      detail: 'this node requires the cluster secret (peerAuth), the peer sent no proof',
    };
  return proofMatches(secret, role, t, given)
    ? { ok: true }
    : { ok: false, reason: 'auth-failed', detail: 'the peer does not hold the cluster secret' };
}
