// `raftinel node`: load and validate the config (every mistake listed, exit 2, nothing
// started; in a child process, so that the node does not keep the loader in memory), start the node, and stop it gracefully on SIGTERM/SIGINT (exit 0 within 1 s).
import { ConfigError, configWarnings, formatConfigIssues } from '../config/core.js';
import { loadConfigIsolated } from '../config/load-isolated.js';
import { startNode } from '../node/node.js';
import { RaftinelError } from '../util/errors.js';

export async function runNodeCommand(configPath: string | undefined, debugRoutes: boolean): Promise<number> {
  let config;
  try {
    config = loadConfigIsolated(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(formatConfigIssues(err) + '\n');
      return 2;
    }
    throw err;
  }
  let node;
  try {
    node = await startNode(config, { debugRoutes });
  } catch (err) {
    if (err instanceof RaftinelError) {
      process.stderr.write(`raftinel: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  for (const w of configWarnings(config)) node.logger.warn({ event: 'config-warning' }, w);
  return await new Promise<number>((resolve) => {
    const onSignal = (signal: string): void => {
      node.logger.info({ event: 'signal', signal }, `${signal}: stopping`);
      // A hang guard: whatever happens, the process is gone within 1 s of the signal.
      setTimeout(() => process.exit(0), 950).unref();
      node.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
