// Connection commands: PING, HELLO, AUTH, CLIENT ID|GETNAME|SETNAME|HELP, QUIT, RESET, ACL WHOAMI.
// AUTH follows Redis: `AUTH <password>` is the `default` user, `AUTH <user> <password>` names
// one; raftinel reserves the user `admin`, whose password is the admin token. Secrets are never
// logged, and passwords are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { REDIS_COMPAT_VERSION } from '../info.js';
import { array, bulk, error, integer, NULL_BULK, OK, simple, type Reply } from '../reply.js';
import {
  AUTH_WITHOUT_PASSWORD,
  BAD_CLIENT_NAME,
  BAD_PROTOVER,
  helloSyntax,
  NOAUTH_HELLO,
  NOPROTO,
  SYNTAX_ERROR,
  WRONGPASS,
  wrongArity,
} from '../texts.js';
import { parseInteger } from '../parser.js';
import { arg, lower, type CommandContext } from './types.js';

export const ADMIN_USER = 'admin';

export function ping(ctx: CommandContext, args: readonly Buffer[]): void {
  // The table's arity is -1 as in Redis, which checks the upper bound in the command.
  if (args.length > 2) return ctx.reply(error(wrongArity('ping')));
  // RESP2 subscribers get PING answered in the pub/sub frame shape, as Redis does.
  if (ctx.session.proto === 2 && ctx.session.subscriptions > 0) {
    ctx.reply(array([bulk('pong'), bulk(args[1] ?? '')]));
  } else {
    ctx.reply(args.length > 1 ? bulk(args[1]) : simple('PONG'));
  }
}

function sameSecret(given: Buffer, expected: string): boolean {
  // Hash both sides so that the comparison does not leak the length either.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Authenticates the session; returns the error to send, or null on success. */
function authenticate(ctx: CommandContext, user: string | null, password: Buffer): string | null {
  const { session, source } = ctx;
  if (user === ADMIN_USER) {
    const ok = source.checkAdminToken(password.toString('utf8'));
    // Audit line: who became admin (or failed to), never the token.
    ctx.logger.info(
      { event: 'resp_admin_auth', ok, client: session.remote, clientId: session.id },
      'RESP admin AUTH',
    );
    if (!ok) return WRONGPASS;
    session.user = ADMIN_USER;
    session.admin = true;
    return null;
  }
  const auth = source.clientAuth;
  if (auth === null) {
    // No password configured: the default user takes any password, as Redis's `nopass`.
    if (user === null) return AUTH_WITHOUT_PASSWORD;
    if (user !== 'default') return WRONGPASS;
  } else {
    // With an ACL-style user configured, the default user is off.
    if ((user ?? 'default') !== (auth.username ?? 'default')) return WRONGPASS;
    if (!sameSecret(password, auth.password)) return WRONGPASS;
  }
  session.user = user ?? 'default';
  session.admin = false;
  return null;
}

export function auth(ctx: CommandContext, args: readonly Buffer[]): void {
  if (args.length > 3) return ctx.reply(error(SYNTAX_ERROR));
  const user = args.length === 3 ? arg(args, 1) : null;
  const failure = authenticate(ctx, user, args[args.length - 1]);
  ctx.reply(failure === null ? OK : error(failure));
}

function validClientName(name: Buffer): boolean {
  // Redis allows printable ASCII without spaces ('!' to '~').
  return name.every((c) => c >= 0x21 && c <= 0x7e);
}

export function hello(ctx: CommandContext, args: readonly Buffer[]): void {
  let proto: 2 | 3 | null = null;
  if (args.length >= 2) {
    const ver = parseInteger(args[1]);
    if (ver === null) return ctx.reply(error(BAD_PROTOVER));
    if (ver !== 2 && ver !== 3) return ctx.reply(error(NOPROTO));
    proto = ver;
  }
  let credentials: { user: string; password: Buffer } | null = null;
  let name: Buffer | null = null;
  for (let i = 2; i < args.length; i++) {
    const option = lower(args, i);
    const more = args.length - 1 - i;
    if (option === 'auth' && more >= 2) {
      credentials = { user: arg(args, i + 1), password: args[i + 2] };
      i += 2;
    } else if (option === 'setname' && more >= 1) {
      name = args[i + 1];
      if (!validClientName(name)) return ctx.reply(error(BAD_CLIENT_NAME));
      i += 1;
    } else {
      return ctx.reply(error(helloSyntax(arg(args, i))));
    }
  }
  if (credentials) {
    const failure = authenticate(ctx, credentials.user, credentials.password);
    if (failure !== null) return ctx.reply(error(failure));
  }
  if (!ctx.session.authenticated) return ctx.reply(error(NOAUTH_HELLO));
  if (name !== null) ctx.session.name = name.length > 0 ? name.toString('latin1') : null;
  if (proto !== null) ctx.session.proto = proto;
  // The reply is already in the new protocol; `mode sentinel` and no `role`, as redis-sentinel.
  const entries: (readonly [Reply, Reply])[] = [
    [bulk('server'), bulk('redis')],
    [bulk('version'), bulk(REDIS_COMPAT_VERSION)],
    [bulk('proto'), integer(ctx.session.proto)],
    [bulk('id'), integer(ctx.session.id)],
    [bulk('mode'), bulk('sentinel')],
    [bulk('modules'), array([])],
  ];
  ctx.reply({ type: 'map', entries });
}

export function clientId(ctx: CommandContext): void {
  ctx.reply(integer(ctx.session.id));
}

export function clientGetName(ctx: CommandContext): void {
  const name = ctx.session.name;
  ctx.reply(name === null ? NULL_BULK : bulk(Buffer.from(name, 'latin1')));
}

export function clientSetName(ctx: CommandContext, args: readonly Buffer[]): void {
  const name = args[2];
  if (!validClientName(name)) return ctx.reply(error(BAD_CLIENT_NAME));
  ctx.session.name = name.length > 0 ? name.toString('latin1') : null;
  ctx.reply(OK);
}

export function quit(ctx: CommandContext): void {
  ctx.reply(OK);
  ctx.closeAfterReplies();
}

/** RESET: back to a fresh connection (RESP2, no name, no subscriptions, not authenticated
 * when AUTH is required), as Redis 6.2+. */
export function reset(ctx: CommandContext): void {
  const { session } = ctx;
  ctx.hub.forget(ctx.subscriber);
  session.proto = 2;
  session.name = null;
  session.admin = false;
  session.user = ctx.source.clientAuth === null ? 'default' : null;
  ctx.reply(simple('RESET'));
}

export function aclWhoami(ctx: CommandContext): void {
  ctx.reply(bulk(ctx.session.user ?? 'default'));
}
