// Admin settings must agree across the cluster (docs/design.md 5.2): a follower forwards an admin
// request it authorized itself, so a leader with a different admin token (or none) must not run
// it. The follower stamps each forwarded request with what it checked; the leader compares that
// with its own settings and refuses a mismatch. The token itself never leaves the node: the stamp
// carries an HMAC keyed with it over a fresh salt, so a stamp cannot be replayed as a token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readSecretFile, type AdminConfig } from '../config/core.js';

/** What a follower checked before forwarding: loopback (no admin block) or a token. */
export type AdminStamp =
  { readonly mode: 'loopback' } | { readonly mode: 'token'; readonly salt: string; readonly digest: string };

export type AdminAgreement = { readonly ok: true } | { readonly ok: false; readonly reason: string };

function digestOf(token: string, cluster: string, salt: string): string {
  return createHmac('sha256', token).update(`raftinel-admin-token\n${cluster}\n${salt}`).digest('hex');
}

/** This node's stamp for one forwarded request; throws secret_unreadable like the admin check. */
export function adminStamp(admin: AdminConfig | null, cluster: string): AdminStamp {
  if (admin === null) return { mode: 'loopback' };
  const salt = randomBytes(16).toString('hex');
  return { mode: 'token', salt, digest: digestOf(readSecretFile(admin.tokenFile), cluster, salt) };
}

/** The leader's side: does the follower's stamp match this node's admin settings? */
export function checkAdminStamp(admin: AdminConfig | null, cluster: string, stamp: unknown): AdminAgreement {
  const s = stamp as Partial<{ mode: unknown; salt: unknown; digest: unknown }> | null | undefined;
  const theirs = s?.mode === 'token' || s?.mode === 'loopback' ? s.mode : null;
  if (theirs === null)
    return { ok: false, reason: 'the forwarding node sent no admin settings (an older version?)' };
  const ours = admin === null ? 'loopback' : 'token';
  if (theirs !== ours) {
    const say = (m: string) => (m === 'token' ? 'admin.tokenFile set' : 'no admin block (loopback only)');
    return { ok: false, reason: `the forwarding node has ${say(theirs)}, the leader has ${say(ours)}` };
  }
  if (admin === null) return { ok: true };
  if (typeof s?.salt !== 'string' || typeof s.digest !== 'string' || s.salt.length > 64)
    return { ok: false, reason: 'malformed admin stamp' };
  const expected = Buffer.from(digestOf(readSecretFile(admin.tokenFile), cluster, s.salt));
  const given = Buffer.from(s.digest);
  return expected.length === given.length && timingSafeEqual(expected, given)
    ? { ok: true }
    : { ok: false, reason: 'the forwarding node and the leader have different admin tokens' };
}
