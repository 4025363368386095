// What an error from a probe means. Pure: it looks only at the error's name and message, so the
// rules are testable without a client library. Three outcomes (docs/design.md 4.1):
//  - alive: -LOADING and -MASTERDOWN prove the node is up (Sentinel counts them as valid replies);
//  - fault: the node answers but cannot be used (garbage, AUTH refused, other error replies):
//    reported as the observation's `error`;
//  - transport: no answer (refused, timed out, closed): silence, judged by downAfterMs alone.

export type Classified =
  | { readonly kind: 'alive'; readonly reason: string }
  | { readonly kind: 'fault'; readonly reason: string }
  | { readonly kind: 'transport'; readonly reason: string };

/** Raised by the reply reader's framing check (resp-reply.ts) when it drops a connection. */
export class GarbageReplyError extends Error {
  override get name(): string {
    return 'GarbageReplyError';
  }
}

/**
 * An error reply (`-LOADING ...`) as the Redis connection port (redis-port.ts) reports one: an
 * Error named ReplyError (the name ioredis gives them too, so both classify alike), with the
 * server's message and its first word as `code` (LOADING, NOAUTH, WRONGPASS, ERR ...).
 */
export class ReplyError extends Error {
  readonly code: string;

  constructor(message: string) {
    super(message);
    this.code = message.split(' ', 1)[0];
  }

  override get name(): string {
    return 'ReplyError';
  }
}

export function replyError(message: string): Error {
  return new ReplyError(message);
}

const MAX_REASON_CHARS = 200;

/** Server text is untrusted: one line, printable, bounded. */
export function clean(text: string): string {
  const flat = text.replace(/[^\x20-\x7e]/g, ' ').trim();
  return flat.length > MAX_REASON_CHARS ? `${flat.slice(0, MAX_REASON_CHARS)}...` : flat;
}

export function classifyError(err: unknown): Classified {
  const name = err instanceof Error ? err.name : '';
  const message = clean(err instanceof Error ? err.message : String(err));
  if (name === 'GarbageReplyError') return { kind: 'fault', reason: `garbage reply: ${message}` };
  if (name !== 'ReplyError') return { kind: 'transport', reason: message };
  const code = message.split(' ', 1)[0];
  if (code === 'LOADING' || code === 'MASTERDOWN') return { kind: 'alive', reason: message };
  if (
    code === 'NOAUTH' ||
    code === 'WRONGPASS' ||
    /^ERR invalid (password|username-password)/.test(message)
  ) {
    return { kind: 'fault', reason: `AUTH refused: ${message}` };
  }
  if (code === 'NOPERM') return { kind: 'fault', reason: `permission denied: ${message}` };
  return { kind: 'fault', reason: `error reply: ${message}` };
}
