// Side by side with a real redis-sentinel (7.0 here): both monitor the same real master and
// replica, and for every read command the replies must have the same field names, in the same
// order, with the same RESP types (values may differ), in RESP2 and in RESP3. Error texts that
// raftinel copies from Redis must be byte-identical.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SentinelRespServer } from '../../src/discovery/resp/server.js';
import { FakeSource, redisNode, replicaNode, shard } from '../unit/discovery/support/fake-source.js';
import { RawClient } from '../unit/discovery/support/raw-client.js';
import { items, pairs, record, str, type RespValue } from '../unit/discovery/support/resp-decode.js';
import {
  eventually,
  haveBinary,
  startRedis,
  startSentinel,
  tempDir,
  type RedisProcess,
} from '../unit/discovery/support/redis-procs.js';
import { startRespServer } from '../unit/discovery/support/servers.js';

const canRun = haveBinary('redis-server') && haveBinary('redis-sentinel');

/** The type skeleton of a reply: record fields keep their names, other strings become types. */
function shape(value: RespValue): unknown {
  switch (value.t) {
    case 'array':
    case 'push':
    case 'set':
      return { [value.t]: value.v.map(shape) };
    case 'map':
      return { map: value.v.map(([k, v]) => [k.t === 'bulk' ? `key:${k.v}` : shape(k), shape(v)]) };
    default:
      return value.t;
  }
}

/** A record's fields as `name:type`, in order. */
const recordShape = (value: RespValue): string[] => pairs(value).map(([k, v]) => `${str(k)}:${v.t}`);

const kind = (v: string): string => (/^-?\d+$/.test(v) ? 'int' : /^-?\d+\.\d+$/.test(v) ? 'decimal' : 'text');

/** INFO text as `# Section` headers and `field:kind` lines; masterN values as their keys. */
function infoShape(text: string): string[] {
  return text
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => {
      if (l.startsWith('#')) return l;
      const [field, value] = l.split(/:(.*)/s);
      if (/^master\d+$/.test(field))
        return `${field}:${value
          .split(',')
          .map((kv) => kv.split('=')[0])
          .join(',')}`;
      return `${field}:${kind(value)}`;
    });
}

describe(
  'compatibility with a real redis-sentinel',
  { skip: !canRun && 'redis-server/redis-sentinel not installed' },
  () => {
    const dir = tempDir('raftinel-resp-compat-');
    const procs: RedisProcess[] = [];
    let real: number;
    let ours: number;
    let server: SentinelRespServer;
    let source: FakeSource;

    before(async () => {
      const master = await startRedis(dir.path);
      procs.push(master);
      const replica = await startRedis(dir.path, { replicaOf: master.port });
      procs.push(replica);
      const s1 = await startSentinel(dir.path, {
        name: 'mymaster',
        masterPort: master.port,
        quorum: 2,
        downAfterMs: 1000,
      });
      procs.push(s1);
      const s2 = await startSentinel(dir.path, { name: 'mymaster', masterPort: master.port, quorum: 2 });
      procs.push(s2);
      real = s1.port;
      // Wait until the real sentinel has found the replica (INFO) and its peer (hello messages).
      const probe = await RawClient.connect(real);
      await eventually('the real sentinel to see its replica and peer', async () => {
        const replicas = items(await probe.call('SENTINEL', 'REPLICAS', 'mymaster'));
        const sentinels = items(await probe.call('SENTINEL', 'SENTINELS', 'mymaster'));
        const linked = replicas.length === 1 && record(replicas[0])['master-link-status'] === 'ok';
        return linked && sentinels.length === 1 ? true : undefined;
      });
      const peerId = str(await (await RawClient.connect(s2.port)).call('SENTINEL', 'MYID'));
      probe.close();

      source = new FakeSource();
      const m = redisNode('127.0.0.1', master.port);
      source.shardList = [
        shard('mymaster', m, [replicaNode('127.0.0.1', replica.port, m)], { quorum: 2, downAfterMs: 1000 }),
      ];
      source.peers = [
        { id: 'n2', host: '127.0.0.1', port: s2.port, runId: peerId, up: true, lastContactMs: 100 },
      ];
      ({ server, port: ours } = await startRespServer(source));
    });

    after(async () => {
      await server?.close();
      for (const p of procs.reverse()) await p.stop();
      dir.remove();
    });

    /** Runs the same command on both servers over fresh connections in the given protocol. */
    async function both(proto: 2 | 3, ...args: string[]): Promise<{ real: RespValue; ours: RespValue }> {
      const run = async (port: number): Promise<RespValue> => {
        const c = await RawClient.connect(port);
        try {
          if (proto === 3) await c.call('HELLO', '3');
          return await c.call(...args);
        } finally {
          c.close();
        }
      };
      return { real: await run(real), ours: await run(ours) };
    }

    for (const proto of [2, 3] as const) {
      describe(`RESP${proto}`, () => {
        test('SENTINEL MASTERS and MASTER: same fields, order and types, same flags', async () => {
          for (const args of [['MASTERS'], ['MASTER', 'mymaster']]) {
            const r = await both(proto, 'SENTINEL', ...args);
            const list = (v: RespValue): RespValue[] => (args[0] === 'MASTERS' ? [...items(v)] : [v]);
            assert.equal(r.ours.t, r.real.t);
            assert.deepEqual(list(r.ours).map(recordShape), list(r.real).map(recordShape), args.join(' '));
            assert.equal(list(r.ours)[0].t, list(r.real)[0].t);
            assert.equal(record(list(r.ours)[0]).flags, record(list(r.real)[0]).flags);
          }
        });

        test('SENTINEL REPLICAS, SLAVES and SENTINELS: same fields, order and types', async () => {
          for (const sub of ['REPLICAS', 'SLAVES', 'SENTINELS']) {
            const r = await both(proto, 'SENTINEL', sub, 'mymaster');
            assert.equal(r.ours.t, r.real.t);
            assert.deepEqual(items(r.ours).map(recordShape), items(r.real).map(recordShape), sub);
            assert.deepEqual(
              items(r.ours).map((v) => record(v).flags),
              items(r.real).map((v) => record(v).flags),
              sub,
            );
            assert.deepEqual(
              items(r.ours).map((v) => v.t),
              items(r.real).map((v) => v.t),
              sub,
            );
          }
        });

        test('GET-MASTER-ADDR-BY-NAME, MYID, CKQUORUM, ROLE, CONFIG GET, HELLO', async () => {
          const addr = await both(proto, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
          assert.deepEqual(addr.ours, addr.real, 'both point at the same master');
          const none = await both(proto, 'SENTINEL', 'get-master-addr-by-name', 'nope');
          assert.deepEqual(none.ours, none.real);
          const myid = await both(proto, 'SENTINEL', 'MYID');
          assert.equal(myid.ours.t, 'bulk');
          assert.equal(myid.real.t, 'bulk');
          assert.match(str(myid.ours), /^[0-9a-f]{40}$/);
          assert.deepEqual(
            await both(proto, 'SENTINEL', 'CKQUORUM', 'mymaster').then((r) => [r.ours, r.real]),
            [
              { t: 'simple', v: 'OK 2 usable Sentinels. Quorum and failover authorization can be reached' },
              { t: 'simple', v: 'OK 2 usable Sentinels. Quorum and failover authorization can be reached' },
            ],
          );
          const role = await both(proto, 'ROLE');
          assert.deepEqual(role.ours, role.real);
          const config = await both(proto, 'SENTINEL', 'CONFIG', 'GET', '*');
          assert.deepEqual(shape(config.ours), shape(config.real));
          const hello = await both(proto, 'HELLO', String(proto));
          assert.deepEqual(shape(hello.ours), shape(hello.real));
        });

        test('INFO (default, all, server, sentinel): same sections, fields and value kinds', async () => {
          for (const args of [[], ['all'], ['server'], ['sentinel'], ['clients', 'cpu'], ['replication']]) {
            const r = await both(proto, 'INFO', ...args);
            assert.equal(r.ours.t, r.real.t);
            assert.deepEqual(infoShape(str(r.ours)), infoShape(str(r.real)), `INFO ${args.join(' ')}`);
          }
        });
      });
    }

    test('error texts are byte-identical', async () => {
      const commands = [
        ['GET', 'foo'],
        ['get'],
        ['SENTINEL'],
        ['SENTINEL', 'FoO', 'x'],
        ['SENTINEL', 'master'],
        ['SENTINEL', 'MASTERS', 'x'],
        ['SENTINEL', 'master', 'nope'],
        ['SENTINEL', 'replicas', 'nope'],
        ['SENTINEL', 'slaves', 'nope'],
        ['SENTINEL', 'sentinels', 'nope'],
        ['SENTINEL', 'ckquorum', 'nope'],
        ['SENTINEL', 'set', 'mymaster'],
        ['SENTINEL', 'pending-scripts'],
        ['CLIENT'],
        ['CLIENT', 'foo'],
        ['CLIENT', 'SETNAME'],
        ['CLIENT', 'SETNAME', 'a b'],
        ['CLIENT', 'GETNAME'],
        ['PING', 'a', 'b'],
        ['ROLE', 'x'],
        ['HELLO', '4'],
        ['HELLO', 'abc'],
        ['HELLO', '3', 'FOO'],
        ['HELLO', '3', 'AUTH', 'a'],
        ['AUTH', 'x'],
        ['AUTH', 'bob', 'x'],
        ['AUTH', 'a', 'b', 'c'],
        ['PUBLISH', 'a', 'b'],
        ['UNSUBSCRIBE'],
        ['PUNSUBSCRIBE'],
        ['SUBSCRIBE'],
        ['COMMAND', 'INFO', 'get'],
        ['COMMAND', 'foo'],
        ['COMMAND', 'COUNT', 'x'],
      ];
      for (const cmd of commands) {
        const r = await both(2, ...cmd);
        assert.deepEqual(r.ours, r.real, cmd.join(' '));
      }
    });

    test('subscribed mode (RESP2) and protocol errors are byte-identical', async () => {
      const exchange = async (port: number, bytes: string): Promise<string> => {
        const c = await RawClient.connect(port);
        c.send(bytes);
        const out = await c.rawFor(300);
        c.close();
        return out;
      };
      const inputs = [
        'SUBSCRIBE +switch-master\r\nPING\r\nPING x\r\nINFO\r\nSENTINEL myid\r\nPSUBSCRIBE *\r\nUNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nPING\r\n',
        'HELLO 3\r\nSUBSCRIBE a b\r\nPING\r\nUNSUBSCRIBE a\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\n',
        '*abc\r\n',
        '*1\r\n+foo\r\n',
        '*1\r\n$-1\r\n',
        'PING "abc\r\n',
        '*0\r\n*-1\r\nPING\r\n\r\n',
        'PING "a\\x41b"\r\n',
      ];
      for (const input of inputs) {
        const [a, b] = [await exchange(ours, input), await exchange(real, input)];
        // HELLO's id differs (connection counters); compare the rest.
        assert.equal(
          a.replace(/:\d+\r\n\$4\r\nmode/, ':N\r\n$4\r\nmode'),
          b.replace(/:\d+\r\n\$4\r\nmode/, ':N\r\n$4\r\nmode'),
          JSON.stringify(input),
        );
      }
    });

    // Last: it stops the replica.
    test('a replica down: same flags and the same optional field (s-down-time) in place', async () => {
      const replica = procs[1];
      await replica.stop();
      const probe = await RawClient.connect(real);
      await eventually('the real sentinel to flag the replica s_down', async () => {
        const [rec] = items(await probe.call('SENTINEL', 'REPLICAS', 'mymaster')).map(record);
        return rec.flags.includes('s_down') ? true : undefined;
      });
      probe.close();
      const [shardNow] = source.shardList;
      const down = { ...shardNow.replicas[0], sdown: true, disconnected: true, lastOkPingAgoMs: 2500 };
      source.shardList = [{ ...shardNow, replicas: [down] }];
      for (const proto of [2, 3] as const) {
        const r = await both(proto, 'SENTINEL', 'REPLICAS', 'mymaster');
        assert.deepEqual(items(r.ours).map(recordShape), items(r.real).map(recordShape));
        assert.deepEqual(
          items(r.ours).map((v) => record(v).flags),
          items(r.real).map((v) => record(v).flags),
        );
        const info = await both(proto, 'INFO', 'sentinel');
        assert.deepEqual(infoShape(str(info.ours)), infoShape(str(info.real)));
      }
    });
  },
);
