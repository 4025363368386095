// Reads a sentinel.conf, as Sentinel writes and rewrites it, into a SentinelDeployment. Pure: text
// in, data out. Lines are split as Redis splits config lines (sdssplitargs: "double quotes" with
// \n \xHH escapes, 'single quotes'), directive names are case-insensitive, and `sentinel`
// directives may come in any order (Sentinel itself reads the monitor lines first).
import {
  type GlobalSetting,
  type KnownSentinel,
  type SentinelDeployment,
  type SentinelReplica,
} from './deployment.js';

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** Splits one config line as Redis does; null for unbalanced quotes. */
export function splitConfigLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let current = '';
    let quote: '"' | "'" | null = null;
    for (;;) {
      const c = line[i];
      if (quote === '"') {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else if (c === '\\' && i + 1 < n) {
          current += ESCAPES[line[i + 1]] ?? line[i + 1];
          i += 2;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else {
          current += c;
          i++;
        }
      } else if (quote === "'") {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === "'") {
          current += "'";
          i += 2;
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else {
          current += c;
          i++;
        }
      } else if (c === undefined || isSpace(c)) {
        break;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else {
        current += c;
        i++;
      }
    }
    out.push(current);
  }
}

interface MutableMaster {
  name: string;
  master: { host: string; port: number };
  quorum: number;
  downAfterMs: number | null;
  failoverTimeoutMs: number | null;
  parallelSyncs: number | null;
  authUser: string | null;
  authPass: string | null;
  renamedCommands: Record<string, string>;
  notificationScript: string | null;
  clientReconfigScript: string | null;
  masterRebootDownAfterMs: number | null;
  replicas: SentinelReplica[];
  sentinels: KnownSentinel[];
  epochs: string[];
}

/** `sentinel <directive> <master> ...`: how many words each per-master directive has. */
const PER_MASTER_ARITY: Readonly<Record<string, number>> = {
  'down-after-milliseconds': 3,
  'failover-timeout': 3,
  'parallel-syncs': 3,
  'notification-script': 3,
  'client-reconfig-script': 3,
  'auth-pass': 3,
  'auth-user': 3,
  'config-epoch': 3,
  'leader-epoch': 3,
  'known-slave': 4,
  'known-replica': 4,
  'known-sentinel': 5,
  'rename-command': 4,
  'master-reboot-down-after-period': 3,
};

/** Settings of the Sentinel process whose value is a secret: the value is never kept in `args`. */
const SECRET_SETTINGS = new Set(['requirepass', 'sentinel sentinel-pass', 'masterauth']);

interface Line {
  readonly number: number;
  readonly text: string;
  readonly words: string[];
}

export function parseSentinelConf(text: string, source: string): SentinelDeployment {
  const unreadable: { line: number; text: string; why: string }[] = [];
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const words = splitConfigLine(trimmed);
    if (words === null || words.length === 0) {
      unreadable.push({ line: index + 1, text: redactLine(trimmed), why: 'unbalanced quotes' });
      return;
    }
    lines.push({ number: index + 1, text: trimmed, words });
  });

  const masters = new Map<string, MutableMaster>();
  const isSentinel = (l: Line): boolean => l.words[0].toLowerCase() === 'sentinel' && l.words.length > 1;
  const directive = (l: Line): string => l.words[1].toLowerCase();

  for (const l of lines.filter((l) => isSentinel(l) && directive(l) === 'monitor')) {
    const [, , name, host, port, quorum] = l.words;
    if (l.words.length !== 6 || !isPort(port) || !/^[1-9]\d*$/.test(quorum)) {
      unreadable.push({
        line: l.number,
        text: l.text,
        why: 'expected: sentinel monitor <name> <host> <port> <quorum>',
      });
      continue;
    }
    masters.set(name, {
      name,
      master: { host, port: Number(port) },
      quorum: Number(quorum),
      downAfterMs: null,
      failoverTimeoutMs: null,
      parallelSyncs: null,
      authUser: null,
      authPass: null,
      renamedCommands: {},
      notificationScript: null,
      clientReconfigScript: null,
      masterRebootDownAfterMs: null,
      replicas: [],
      sentinels: [],
      epochs: [],
    });
  }

  const settings: GlobalSetting[] = [];
  const secrets: Record<string, string> = {};
  for (const l of lines) {
    if (isSentinel(l) && directive(l) === 'monitor') continue;
    if (isSentinel(l) && directive(l) in PER_MASTER_ARITY) {
      const why = applyMasterLine(masters, l.words.slice(1));
      if (why !== null) unreadable.push({ line: l.number, text: redactLine(l.text), why });
      continue;
    }
    const name = isSentinel(l) ? `sentinel ${directive(l)}` : l.words[0].toLowerCase();
    const args = l.words.slice(isSentinel(l) ? 2 : 1);
    if (SECRET_SETTINGS.has(name)) {
      if (args.length > 0 && args[0] !== '') secrets[name] = args[0];
      settings.push({ name, args: [], line: l.number });
    } else if (name === 'user') {
      // ACL rules carry passwords (>secret) and hashes (#...): keep only the user name.
      settings.push({ name, args: args.slice(0, 1), line: l.number });
    } else {
      settings.push({ name, args, line: l.number });
    }
  }
  return { source, masters: [...masters.values()], settings, secrets, hidden: [], unreadable };
}

/** Applies one per-master `sentinel` directive (words without "sentinel"); returns why not. */
function applyMasterLine(masters: Map<string, MutableMaster>, words: string[]): string | null {
  const name = words[0].toLowerCase();
  if (words.length !== PER_MASTER_ARITY[name] && !(name === 'known-sentinel' && words.length === 4)) {
    return `expected ${PER_MASTER_ARITY[name]} words after "sentinel"`;
  }
  const m = masters.get(words[1]);
  if (m === undefined) return `no "sentinel monitor" line for master "${words[1]}"`;
  const value = words[2];
  const ms = (min: number): number | string =>
    /^\d+$/.test(value) && Number(value) >= min ? Number(value) : `not a time >= ${min} ms: ${value}`;
  switch (name) {
    case 'down-after-milliseconds':
    case 'failover-timeout':
    case 'master-reboot-down-after-period': {
      const v = ms(name === 'master-reboot-down-after-period' ? 0 : 1);
      if (typeof v === 'string') return v;
      if (name === 'down-after-milliseconds') m.downAfterMs = v;
      else if (name === 'failover-timeout') m.failoverTimeoutMs = v;
      else m.masterRebootDownAfterMs = v;
      return null;
    }
    case 'parallel-syncs':
      if (!/^\d+$/.test(value)) return `not a number: ${value}`;
      m.parallelSyncs = Number(value);
      return null;
    case 'notification-script':
      m.notificationScript = value;
      return null;
    case 'client-reconfig-script':
      m.clientReconfigScript = value;
      return null;
    case 'auth-pass':
      m.authPass = value;
      return null;
    case 'auth-user':
      m.authUser = value;
      return null;
    case 'config-epoch':
    case 'leader-epoch':
      m.epochs.push(`${name} ${value}`);
      return null;
    case 'known-slave':
    case 'known-replica':
      if (!isPort(words[3])) return `not a port: ${words[3]}`;
      m.replicas.push({ host: value, port: Number(words[3]), priority: null, flags: null });
      return null;
    case 'known-sentinel':
      // The old form without a run id is ignored by Sentinel too.
      if (words.length === 4) return 'the old known-sentinel form without a run id (Sentinel ignores it too)';
      if (!isPort(words[3])) return `not a port: ${words[3]}`;
      m.sentinels.push({ host: value, port: Number(words[3]), runId: words[4] });
      return null;
    case 'rename-command': {
      const original = value.toUpperCase();
      if (original in m.renamedCommands) return `${original} renamed twice`;
      m.renamedCommands[original] = words[3];
      return null;
    }
    default:
      return 'not a per-master directive';
  }
}

function isPort(text: string | undefined): boolean {
  return text !== undefined && /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** A line shown in a note must not show a secret: auth-pass and friends keep only their name. */
function redactLine(text: string): string {
  return /^(sentinel\s+(auth-pass|sentinel-pass)|requirepass|masterauth|user)\b/i.test(text)
    ? text
        .split(/\s+/)
        .slice(0, text.toLowerCase().startsWith('sentinel auth-pass') ? 3 : 2)
        .join(' ') + ' …'
    : text;
}
