// Error texts, verbatim from Redis 7.0 (checked against a running redis-sentinel 7.0.15), so
// clients that match on them (ioredis falls back from HELLO on "unknown command") keep working.
// Texts that exist only in raftinel are marked as such.

export const NOAUTH = 'NOAUTH Authentication required.';
export const NOAUTH_HELLO =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const AUTH_WITHOUT_PASSWORD =
  'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?';
export const SYNTAX_ERROR = 'ERR syntax error';
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
export const SENTINEL_CONFIG_USAGE =
  'ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.';
export const NO_SUCH_MASTER = 'ERR No such master with that name';
export const IDONTKNOW = 'IDONTKNOW I have not enough information to reply. Please ask another Sentinel.';
export const BAD_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';
export const NOPROTO = 'NOPROTO unsupported protocol version';
export const BAD_PROTOVER = 'ERR Protocol version is not an integer or out of range';
export const MAX_CLIENTS = 'ERR max number of clients reached';
export const ONLY_HELLO_PUBLISH = 'ERR Only HELLO messages are accepted by Sentinel instances.';

export const protocolError = (detail: string): string => `ERR Protocol error: ${detail}`;

export const wrongArity = (fullName: string): string =>
  `ERR wrong number of arguments for '${fullName}' command`;

export const unknownSubcommand = (sub: string, container: string): string =>
  `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`;

export const helloSyntax = (option: string): string => `ERR Syntax error in HELLO option '${option}'`;

export const notInSubscribedContext = (fullName: string): string =>
  `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;

/** Redis quotes the name and up to ~128 characters of the arguments. */
export function unknownCommand(args: readonly Buffer[]): string {
  let quoted = '';
  for (let i = 1; i < args.length && quoted.length < 128; i++) {
    quoted += `'${args[i].toString('utf8').slice(0, 128 - quoted.length)}' `;
  }
  return `ERR unknown command '${args[0].toString('utf8').slice(0, 128)}', with args beginning with: ${quoted}`;
}

// raftinel only: what to use instead of the Sentinel commands that change state.
export const unsupportedSentinel = (sub: string, instead: string): string =>
  `ERR SENTINEL ${sub.toUpperCase()} is not supported by raftinel: ${instead}`;

export const FAILOVER_NEEDS_ADMIN =
  "NOPERM SENTINEL FAILOVER needs an admin connection: send 'AUTH admin <token>' first, or run 'raftinel promote <shard>'";
export const SHUTDOWN_UNSUPPORTED =
  'ERR SHUTDOWN is not supported by raftinel over RESP: stop the node process (SIGTERM hands leadership over first)';
export const HELLO_GOSSIP_UNSUPPORTED =
  'ERR raftinel does not take part in Sentinel hello gossip: the raftinel nodes agree through Raft';
