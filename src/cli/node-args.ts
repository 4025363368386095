// The one command line main.ts runs without yargs: `node` with at most one --config and
// --debug-routes. Anything else (another option, a repeat, a missing value, --help) is null and
// goes to the full CLI, so that its help and its usage errors stay the only ones.

export interface PlainNodeArgs {
  readonly config: string | undefined;
  readonly debugRoutes: boolean;
}

export function plainNodeArgs(argv: readonly string[]): PlainNodeArgs | null {
  if (argv[0] !== 'node') return null;
  let config: string | undefined;
  let debugRoutes = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--debug-routes' && !debugRoutes) {
      debugRoutes = true;
    } else if (arg === '--config' && config === undefined) {
      const value = argv[++i];
      if (value === undefined || value === '' || value.startsWith('-')) return null;
      config = value;
    } else if (arg.startsWith('--config=') && config === undefined) {
      config = arg.slice('--config='.length);
      if (config === '') return null;
    } else {
      return null;
    }
  }
  return { config, debugRoutes };
}
