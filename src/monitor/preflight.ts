// The preflight of one Redis node (docs/design.md 4.4): can raftinel do its job there? Version
// (CLIENT PAUSE ... WRITE needs 6.2), the admin commands under the names renameCommands gives
// them, and the ACL permissions of the user raftinel logs in as (ACL DRYRUN, Redis 7.0+). Each
// problem is one line that says what breaks and what to do. A node without a config file is not
// one: many run so on purpose (the failed CONFIG REWRITE is logged once, redis-admin.ts).
// Read-only: nothing here changes the node.
import { commandName } from './admin-ops.js';
import { classifyError, clean } from './classify.js';
import type { ProbeTarget } from './connection.js';
import type { RedisCommands } from './resp-client.js';

export type PreflightSeverity = 'error' | 'warn';

export interface PreflightProblem {
  /** error: raftinel cannot promote or probe this node; warn: a best-effort step will fail. */
  readonly severity: PreflightSeverity;
  readonly message: string;
}

export interface PreflightResult {
  /** redis_version, or null when the node did not say. */
  readonly version: string | null;
  readonly problems: readonly PreflightProblem[];
}

/** One command invocation raftinel makes, what fails without it, and how bad that is. */
interface Need {
  readonly command: string;
  readonly args: readonly string[];
  readonly severity: PreflightSeverity;
  readonly without: string;
}

const NEEDS: readonly Need[] = [
  { command: 'PING', args: [], severity: 'error', without: 'no probes' },
  { command: 'ROLE', args: [], severity: 'error', without: 'no probes' },
  { command: 'INFO', args: ['replication'], severity: 'error', without: 'no probes' },
  { command: 'REPLICAOF', args: ['NO', 'ONE'], severity: 'error', without: 'it can never be promoted' },
  {
    command: 'CONFIG',
    args: ['REWRITE'],
    severity: 'warn',
    without: 'a new role is not saved in its config file',
  },
  {
    command: 'CONFIG',
    args: ['SET', 'replica-read-only', 'yes'],
    severity: 'warn',
    without: 'replica-read-only is not enforced when it is repointed',
  },
  {
    command: 'CONFIG',
    args: ['SET', 'min-replicas-to-write', '0'],
    severity: 'warn',
    without: 'no sidecar fence and no write-safety settings (min-replicas-to-write)',
  },
  {
    command: 'CONFIG',
    args: ['GET', 'min-replicas-to-write'],
    severity: 'warn',
    without: 'a sidecar fence is not lifted where the shard leaves minReplicasToWrite unset',
  },
  {
    command: 'CLIENT',
    args: ['KILL', 'TYPE', 'normal'],
    severity: 'warn',
    without: 'clients are not disconnected on promotion or demotion',
  },
  {
    command: 'CLIENT',
    args: ['PAUSE', '1', 'WRITE'],
    severity: 'warn',
    without: 'no switchover write pause',
  },
];

/** The commands whose absence (renamed away or disabled) the preflight reports. */
const ADMIN_COMMANDS: readonly [string, PreflightSeverity, string][] = [
  ['REPLICAOF', 'error', 'it can be neither promoted nor repointed'],
  ['CONFIG', 'warn', 'role changes are not saved, replica-read-only is not enforced, no sidecar fence'],
  ['CLIENT', 'warn', 'no client kill on promotion and no switchover write pause'],
];

export async function preflight(conn: RedisCommands, target: ProbeTarget): Promise<PreflightResult> {
  const problems: PreflightProblem[] = [];
  const info = String(await conn.send(['INFO', 'server']));
  const version = field(info, 'redis_version');
  if (version !== null && older(version, [6, 2])) {
    problems.push({
      severity: 'warn',
      message: `Redis ${version} is older than 6.2: CLIENT PAUSE ... WRITE is missing, so the switchover write pause does not work`,
    });
  }
  problems.push(...(await checkCommands(conn, target)));
  if (version !== null && !older(version, [7, 0])) problems.push(...(await checkAcl(conn, target)));
  return { version, problems };
}

async function checkCommands(conn: RedisCommands, target: ProbeTarget): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  const command = commandName(target, 'COMMAND');
  for (const [real, severity, without] of ADMIN_COMMANDS) {
    const name = commandName(target, real);
    if (name === null) {
      problems.push({ severity, message: `${real} is disabled (renameCommands ${real}: ""): ${without}` });
      continue;
    }
    if (command === null) continue;
    let reply: unknown;
    try {
      reply = await conn.send([command, 'INFO', name]);
    } catch (err) {
      problems.push({
        severity: 'warn',
        message: `cannot list commands (${command} INFO: ${reasonOf(err)})`,
      });
      break;
    }
    if (Array.isArray(reply) && reply[0] === null) {
      const hint =
        name === real ? `renamed? set renameCommands.${real}` : `renameCommands.${real} is "${name}"`;
      problems.push({ severity, message: `${name} is not a command on this node (${hint}): ${without}` });
    }
  }
  return problems;
}

async function checkAcl(conn: RedisCommands, target: ProbeTarget): Promise<PreflightProblem[]> {
  const acl = commandName(target, 'ACL');
  if (acl === null) return [];
  let user: string;
  try {
    user = String(await conn.send([acl, 'WHOAMI']));
  } catch (err) {
    return [
      {
        severity: 'warn',
        message: `ACL permissions not checked: ACL WHOAMI: ${reasonOf(err)} (grant +acl|whoami +acl|dryrun)`,
      },
    ];
  }
  const problems: PreflightProblem[] = [];
  for (const need of NEEDS) {
    const name = commandName(target, need.command);
    if (name === null) continue;
    let reply: unknown;
    try {
      reply = await conn.send([acl, 'DRYRUN', user, name, ...need.args]);
    } catch (err) {
      const reason = reasonOf(err);
      // An unknown command is reported by checkCommands; a DRYRUN we may not run ends the check.
      if (/unknown command|not found/i.test(reason)) continue;
      return [
        ...problems,
        {
          severity: 'warn',
          message: `ACL permissions not checked: ACL DRYRUN: ${reason} (grant +acl|dryrun)`,
        },
      ];
    }
    if (reply !== 'OK') {
      const invocation = [need.command, ...need.args].join(' ');
      problems.push({
        severity: need.severity,
        message: `user ${user} may not run ${invocation}: ${need.without} (docs/design.md 8 lists the ACL rule)`,
      });
    }
  }
  return problems;
}

function reasonOf(err: unknown): string {
  return classifyError(err).kind === 'transport'
    ? classifyError(err).reason
    : clean(err instanceof Error ? err.message : String(err));
}

function field(info: string, name: string): string | null {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m ? m[1].trim() : null;
}

/** Whether `version` (x.y.z) is below major.minor. */
function older(version: string, [major, minor]: [number, number]): boolean {
  const [a, b] = version.split('.').map(Number);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return a < major || (a === major && b < minor);
}
