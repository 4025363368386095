// Typed errors with a stable code: callers and tests match on `code`, never on message text.
export class RaftinelError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  override get name(): string {
    return 'RaftinelError';
  }
}
