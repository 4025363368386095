// One pino root logger per process; components take children carrying nodeId and component.
// Secrets never reach a log line: known secret keys are redacted wherever they appear.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

const redactPaths = ['password', 'token', 'secret', '*.password', '*.token', '*.secret', 'auth.password'];

export function createLogger(
  options: {
    level?: string;
    nodeId?: string;
    destination?: DestinationStream;
    /** Fields added to every line, computed when the line is written (the Raft term). */
    mixin?: () => Record<string, unknown>;
  } = {},
): Logger {
  const base = options.nodeId ? { nodeId: options.nodeId } : {};
  return pino(
    {
      level: options.level ?? 'info',
      base,
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...(options.mixin ? { mixin: options.mixin } : {}),
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

let silent: Logger | null = null;

/**
 * A logger that writes nothing (tests, simulator). One instance for the process: building a
 * pino logger opens a stdout stream, and the simulator starts nodes thousands of times a run.
 */
export function silentLogger(): Logger {
  silent ??= pino({ level: 'silent' });
  return silent;
}
