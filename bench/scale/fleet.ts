// A light Redis fleet for bench:scale: one Node process serving many Redis-protocol ports, each
// answering as a master or a replica does (PING, ROLE, INFO [replication|server], REPLICAOF,
// CLIENT, CONFIG, MULTI/EXEC, SUBSCRIBE/PUBLISH for Sentinel's hello channel). It holds no data
// and never replicates: a replica reports its link up and the master's offset. Both systems under
// test talk to the same kind of fleet, so the comparison stays fair; the shard a bench kills is a
// real redis-server, never a fleet shard.
//
//   node dist/bench/scale/fleet.js --shards 999 --replicas 1
// prints one JSON line {"shards":[{"master":port,"replicas":[port,...]},...]} once listening.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';

const HOST = '127.0.0.1';
const OFFSET = 1_000_000;

interface FleetNode {
  readonly port: number;
  readonly runId: string;
  readonly replId: string;
  role: 'master' | 'slave';
  masterPort: number | null;
  readonly subscribers: Map<string, Set<net.Socket>>;
}

type Reply = string | number | null | Reply[] | { error: string } | { status: string };

const nodes = new Map<number, FleetNode>();
const started = Date.now();

function hex40(): string {
  return randomBytes(20).toString('hex');
}

function replicasOf(port: number): FleetNode[] {
  const out: FleetNode[] = [];
  for (const n of nodes.values()) if (n.role === 'slave' && n.masterPort === port) out.push(n);
  return out;
}

function encode(r: Reply, out: string[]): void {
  if (r === null) out.push('$-1\r\n');
  else if (typeof r === 'number') out.push(`:${r}\r\n`);
  else if (typeof r === 'string') out.push(`$${Buffer.byteLength(r)}\r\n${r}\r\n`);
  else if (Array.isArray(r)) {
    out.push(`*${r.length}\r\n`);
    for (const x of r) encode(x, out);
  } else if ('error' in r) out.push(`-${r.error}\r\n`);
  else out.push(`+${r.status}\r\n`);
}

const OK = { status: 'OK' };

function info(n: FleetNode, sections: string[]): string {
  const want = (s: string): boolean =>
    sections.length === 0 ||
    sections.some((x) => x === s || x === 'all' || x === 'default' || x === 'everything');
  const lines: string[] = [];
  if (want('server')) {
    lines.push(
      '# Server',
      'redis_version:7.0.15',
      'redis_mode:standalone',
      `process_id:${process.pid}`,
      `run_id:${n.runId}`,
      `tcp_port:${n.port}`,
      `uptime_in_seconds:${Math.floor((Date.now() - started) / 1000)}`,
      '',
    );
  }
  if (want('replication')) {
    lines.push('# Replication', `role:${n.role}`);
    if (n.role === 'slave') {
      lines.push(
        `master_host:${HOST}`,
        `master_port:${n.masterPort}`,
        'master_link_status:up',
        'master_last_io_seconds_ago:0',
        'master_sync_in_progress:0',
        `slave_read_repl_offset:${OFFSET}`,
        `slave_repl_offset:${OFFSET}`,
        'slave_priority:100',
        'slave_read_only:1',
        'replica_announced:1',
        'connected_slaves:0',
      );
    } else {
      const reps = replicasOf(n.port);
      lines.push(`connected_slaves:${reps.length}`);
      reps.forEach((r, i) =>
        lines.push(`slave${i}:ip=${HOST},port=${r.port},state=online,offset=${OFFSET},lag=0`),
      );
    }
    lines.push(
      'master_failover_state:no-failover',
      `master_replid:${n.replId}`,
      `master_replid2:${'0'.repeat(40)}`,
      `master_repl_offset:${OFFSET}`,
      'second_repl_offset:-1',
      '',
    );
  }
  return lines.join('\r\n');
}

function role(n: FleetNode): Reply {
  if (n.role === 'slave') return ['slave', HOST, n.masterPort ?? 0, 'connected', OFFSET];
  return ['master', OFFSET, replicasOf(n.port).map((r) => [HOST, String(r.port), String(OFFSET)])];
}

interface Session {
  multi: Reply[] | null;
  subscribed: Set<string>;
}

function command(n: FleetNode, s: Session, sock: net.Socket, args: string[]): Reply | undefined {
  const name = (args[0] ?? '').toUpperCase();
  if (s.multi !== null && name !== 'EXEC' && name !== 'DISCARD' && name !== 'MULTI') {
    s.multi.push(command(n, { multi: null, subscribed: s.subscribed }, sock, args) ?? OK);
    return { status: 'QUEUED' };
  }
  switch (name) {
    case 'PING':
      return s.subscribed.size > 0
        ? ['pong', args[1] ?? '']
        : args[1] !== undefined
          ? args[1]
          : { status: 'PONG' };
    case 'ECHO':
      return args[1] ?? '';
    case 'AUTH':
    case 'SELECT':
    case 'CLIENT':
    case 'SCRIPT':
      return OK;
    case 'CONFIG':
      return (args[1] ?? '').toUpperCase() === 'GET' ? [] : OK;
    case 'COMMAND':
      return [];
    case 'INFO':
      return info(
        n,
        args.slice(1).map((a) => a.toLowerCase()),
      );
    case 'ROLE':
      return role(n);
    case 'REPLICAOF':
    case 'SLAVEOF': {
      if ((args[1] ?? '').toUpperCase() === 'NO' && (args[2] ?? '').toUpperCase() === 'ONE') {
        n.role = 'master';
        n.masterPort = null;
      } else {
        n.role = 'slave';
        n.masterPort = Number(args[2]);
      }
      return OK;
    }
    case 'MULTI':
      s.multi = [];
      return OK;
    case 'EXEC': {
      const replies = s.multi ?? [];
      s.multi = null;
      return replies;
    }
    case 'DISCARD':
      s.multi = null;
      return OK;
    case 'SUBSCRIBE': {
      const out: Reply[] = [];
      for (const ch of args.slice(1)) {
        s.subscribed.add(ch);
        let set = n.subscribers.get(ch);
        if (!set) n.subscribers.set(ch, (set = new Set()));
        set.add(sock);
        out.push(['subscribe', ch, s.subscribed.size]);
      }
      const parts: string[] = [];
      for (const o of out) encode(o, parts);
      sock.write(parts.join(''));
      return undefined;
    }
    case 'PUBLISH': {
      const set = n.subscribers.get(args[1] ?? '');
      const parts: string[] = [];
      encode(['message', args[1] ?? '', args[2] ?? ''], parts);
      const msg = parts.join('');
      for (const sub of set ?? []) sub.write(msg);
      return set?.size ?? 0;
    }
    default:
      return { error: `ERR unknown command '${args[0] ?? ''}'` };
  }
}

/** Parses as many complete RESP arrays (or inline commands) as `buf` holds; returns the rest. */
function parse(buf: Buffer, onCommand: (args: string[]) => void): Buffer {
  let pos = 0;
  for (;;) {
    if (pos >= buf.length) return Buffer.alloc(0);
    if (buf[pos] !== 0x2a /* '*' */) {
      const eol = buf.indexOf('\r\n', pos);
      if (eol < 0) return buf.subarray(pos);
      const line = buf.toString('utf8', pos, eol).trim();
      pos = eol + 2;
      if (line) onCommand(line.split(/\s+/));
      continue;
    }
    const start = pos;
    let eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return buf.subarray(start);
    const count = Number(buf.toString('latin1', pos + 1, eol));
    pos = eol + 2;
    const args: string[] = [];
    let complete = true;
    for (let i = 0; i < count; i++) {
      eol = buf.indexOf('\r\n', pos);
      if (eol < 0) {
        complete = false;
        break;
      }
      const len = Number(buf.toString('latin1', pos + 1, eol));
      pos = eol + 2;
      if (pos + len + 2 > buf.length) {
        complete = false;
        break;
      }
      args.push(buf.toString('utf8', pos, pos + len));
      pos += len + 2;
    }
    if (!complete) return buf.subarray(start);
    onCommand(args);
  }
}

function serve(n: FleetNode, sock: net.Socket): void {
  const session: Session = { multi: null, subscribed: new Set() };
  let rest: Buffer = Buffer.alloc(0);
  sock.setNoDelay(true);
  sock.on('error', () => undefined);
  sock.on('close', () => {
    for (const ch of session.subscribed) n.subscribers.get(ch)?.delete(sock);
  });
  sock.on('data', (chunk: Buffer) => {
    const parts: string[] = [];
    rest = parse(rest.length ? Buffer.concat([rest, chunk]) : chunk, (args) => {
      const r = command(n, session, sock, args);
      if (r !== undefined) encode(r, parts);
    });
    if (parts.length) sock.write(parts.join(''));
  });
}

function listen(node: Omit<FleetNode, 'port'>): Promise<FleetNode> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    let self: FleetNode | null = null;
    server.on('connection', (sock) => self && serve(self, sock));
    server.once('error', reject);
    server.listen(0, HOST, 511, () => {
      const port = (server.address() as net.AddressInfo).port;
      self = { ...node, port };
      nodes.set(port, self);
      resolve(self);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { shards: { type: 'string', default: '1' }, replicas: { type: 'string', default: '1' } },
  });
  const shards = Number(values.shards);
  const replicas = Number(values.replicas);
  const out: { master: number; replicas: number[] }[] = [];
  for (let s = 0; s < shards; s++) {
    const replId = hex40();
    const master = await listen({
      runId: hex40(),
      replId,
      role: 'master',
      masterPort: null,
      subscribers: new Map(),
    });
    const reps: number[] = [];
    for (let r = 0; r < replicas; r++) {
      const rep = await listen({
        runId: hex40(),
        replId,
        role: 'slave',
        masterPort: master.port,
        subscribers: new Map(),
      });
      reps.push(rep.port);
    }
    out.push({ master: master.port, replicas: reps });
  }
  process.stdout.write(`${JSON.stringify({ shards: out })}\n`);
}

process.on('SIGTERM', () => process.exit(0));
void main();
