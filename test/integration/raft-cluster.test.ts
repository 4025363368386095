// Raft with real `raftinel node` processes on loopback: election, crash and pause faults,
// restarts from the data dir, graceful stop with leadership transfer, and bad input (config,
// data dir, ports, raw bytes on the peer port, a node of another cluster).
// Deadlines are hang guards (docs/design.md 9), never speed claims; measured times go to diagnostics.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { PROTOCOL_VERSION } from '../../src/transport/handshake.js';
import { newNonce } from '../../src/transport/peer-auth.js';
import { freePort } from '../helpers/ports.js';
import { RaftinelCluster, type ClusterOptions } from '../helpers/raftinel-cluster.js';
import type { DebugState, RaftinelProcess } from '../helpers/raftinel-process.js';
import { runRaftinel } from '../helpers/run-cli.js';
import { makeTempDir, removeDir } from '../helpers/temp.js';
import { sleep, waitFor } from '../helpers/wait.js';

// Short ticks keep elections quick; tests that assert "no term change" use the default 50 ms so
// that a busy shared machine does not cause elections the test would blame on the fault.
const FAST: ClusterOptions = { raft: { tickMs: 20, electionTicks: 10 } };
const DEFAULT_TIMING: ClusterOptions = { raft: { tickMs: 50, electionTicks: 10 } };
const TEST_GUARD = { timeout: 60_000 };

/** A started cluster that is destroyed after the test; node logs are printed when it fails. */
async function cluster(t: TestContext, options: ClusterOptions): Promise<RaftinelCluster> {
  const c = await RaftinelCluster.create(options);
  t.after(() => c.destroy());
  await c.start();
  return c;
}

async function withLogs<T>(t: TestContext, c: RaftinelCluster, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    t.diagnostic(c.dump());
    throw err;
  }
}

/** Sequential proposals through the current leader; every one must be acknowledged. */
async function commitEntries(
  c: RaftinelCluster,
  leader: RaftinelProcess,
  count: number,
  prefix: string,
): Promise<number> {
  for (let i = 0; i < count; i++) {
    const r = await leader.propose(`${prefix}-${i}`);
    assert.equal(r.status, 200, `proposal ${prefix}-${i} on ${leader.id}: ${JSON.stringify(r.body)}`);
  }
  return count;
}

/** Waits until `node` has applied everything the leader has committed (and holds the same count). */
async function waitCaughtUp(
  node: RaftinelProcess,
  leader: RaftinelProcess,
  timeoutMs = 15_000,
): Promise<DebugState> {
  return waitFor(
    `${node.id} to apply up to ${leader.id}'s commit index`,
    async () => {
      const [mine, theirs] = await Promise.all([node.debugState(), leader.debugState()]);
      return mine.applied >= theirs.commit && mine.count === theirs.count ? mine : undefined;
    },
    { timeoutMs },
  );
}

test('a. three nodes elect one leader, all become ready and agree in /v1/cluster', TEST_GUARD, async (t) => {
  const c = await cluster(t, FAST);
  await withLogs(t, c, async () => {
    const { leader, term } = await c.waitLeader();
    const started = performance.now();
    await Promise.all(c.nodes.map((n) => n.waitReady()));
    t.diagnostic(
      `leader ${leader.id} in term ${term}; all ready ${Math.round(performance.now() - started)} ms later`,
    );

    const leaderFlags = await Promise.all(c.nodes.map((n) => n.isLeader()));
    assert.deepEqual(
      c.nodes.filter((_, i) => leaderFlags[i]).map((n) => n.id),
      [leader.id],
      'exactly one node answers 200 on /leader',
    );

    const views = await c.views();
    for (const v of views) {
      assert.equal(v.cluster, 'test');
      assert.equal(v.term, term, `${v.node} agrees on the term`);
      assert.equal(v.leader, leader.id, `${v.node} agrees on the leader`);
      assert.ok(Number.isInteger(v.commitIndex) && Number.isInteger(v.appliedIndex));
      assert.deepEqual(v.members.map((m) => m.id).sort(), ['n1', 'n2', 'n3']);
      for (const m of v.members) {
        const expected = c.node(m.id).options.node;
        assert.deepEqual(
          Object.keys(m).sort(),
          ['healthy', 'http', 'id', 'lastContactMs', 'raft', 'role', 'sentinel', 'state'].sort(),
        );
        assert.equal(m.role, 'voter');
        assert.equal(m.state, m.id === leader.id ? 'leader' : 'follower', `${v.node} sees ${m.id}'s state`);
        assert.equal(m.raft, expected.raft);
        assert.ok(m.http === null || m.http === expected.http, `${v.node} sees ${m.id} at http ${m.http}`);
        assert.ok(
          m.sentinel === null || m.sentinel === expected.sentinel,
          `${v.node} sees ${m.id} at sentinel ${m.sentinel}`,
        );
        assert.equal(typeof m.healthy, 'boolean');
        assert.ok(m.lastContactMs === null || (Number.isInteger(m.lastContactMs) && m.lastContactMs >= 0));
        if (m.id === v.node) assert.equal(m.lastContactMs, 0);
      }
    }
    // The leader hears from every follower, and every follower from the leader, within an
    // election timeout.
    await waitFor(
      'the leader to see every member healthy and every follower to see the leader healthy',
      async () => {
        const vs = await c.views();
        const leaderView = vs[c.running.indexOf(leader)];
        const ok =
          leaderView.members.every((m) => m.healthy) &&
          vs.every((v) => v.members.find((m) => m.id === leader.id)?.healthy === true);
        return ok ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    // Followers exchange no traffic: each knows the other from the leader's health digest.
    await t.test('every view shows every member healthy', async () => {
      await sleep(1000);
      const vs = await c.views();
      for (const v of vs)
        for (const m of v.members)
          assert.ok(m.healthy, `${v.node} sees ${m.id} unhealthy (lastContactMs ${m.lastContactMs})`);
    });
    // docs/design.md 1: every node knows every member's HTTP and RESP address from committed state.
    await t.test("every view holds every member's http and sentinel address", async () => {
      await waitFor(
        'every node to show every member with its addresses',
        async () => {
          const vs = await c.views();
          const ok = vs.every((v) =>
            v.members.every(
              (m) =>
                m.http === c.node(m.id).options.node.http &&
                m.sentinel === c.node(m.id).options.node.sentinel,
            ),
          );
          return ok ? true : undefined;
        },
        { timeoutMs: 3_000 },
      );
    });
  });
});

test('b. SIGKILL of the leader: a new leader in a higher term among the other two', TEST_GUARD, async (t) => {
  const c = await cluster(t, FAST);
  await withLogs(t, c, async () => {
    const old = await c.waitLeader();
    await Promise.all(c.nodes.map((n) => n.waitReady()));
    const killedAt = performance.now();
    await old.leader.kill();
    const next = await c.waitLeader({ among: c.others(old.leader), minTerm: old.term + 1 });
    t.diagnostic(
      `${old.leader.id} (term ${old.term}) killed; ${next.leader.id} leads term ${next.term} after ${Math.round(performance.now() - killedAt)} ms`,
    );
    assert.notEqual(next.leader.id, old.leader.id);
    assert.ok(next.term > old.term);
    // The survivors still commit.
    assert.equal((await next.leader.propose('after-kill')).status, 200);
  });
});

test(
  'c. SIGSTOP of a follower for 2 s: commits continue, it catches up, and its return bumps no term',
  TEST_GUARD,
  async (t) => {
    const c = await cluster(t, DEFAULT_TIMING);
    await withLogs(t, c, async () => {
      const { leader, term } = await c.waitLeader();
      await Promise.all(c.nodes.map((n) => n.waitReady()));
      const follower = c.others(leader)[0];
      const before = await leader.debugState();

      assert.ok(follower.signal('SIGSTOP'));
      const stoppedAt = performance.now();
      let acked = 0;
      try {
        // One proposal every ~200 ms for 2 s: the leader and the other follower are a majority.
        while (performance.now() - stoppedAt < 2000) {
          const r = await leader.propose(`while-stopped-${acked}`);
          assert.equal(r.status, 200, `proposal while ${follower.id} is stopped: ${JSON.stringify(r.body)}`);
          acked++;
          await sleep(200);
        }
      } finally {
        follower.signal('SIGCONT');
      }
      const resumedMark = follower.lines.length;
      assert.ok(acked >= 5, `only ${acked} proposals committed while ${follower.id} was stopped`);

      const caughtUp = await waitCaughtUp(follower, leader);
      assert.equal(caughtUp.count, before.count + acked);

      // Let a few election timeouts pass, so that a campaign by the returning follower would show.
      await sleep(1500);
      const after = await c.waitLeader();
      const campaigns = follower
        .events(resumedMark)
        .filter((e) => e.event === 'raft-role' && e.role === 'candidate');
      assert.deepEqual(campaigns, [], `${follower.id} campaigned after SIGCONT (pre-vote should stop that)`);
      const followerState = await follower.debugState();
      if (after.leader.id === leader.id) {
        // Pre-vote: the returning follower's pre-vote is refused (the others hear the leader), so
        // it never raises its term; check-quorum kept the leader in place all along.
        assert.equal(after.term, term, 'the term did not change while the leader stayed');
        assert.equal(followerState.term, term);
      } else {
        t.diagnostic(
          `leadership moved ${leader.id} -> ${after.leader.id} (term ${term} -> ${after.term}), not caused by ${follower.id}`,
        );
      }
      t.diagnostic(`${acked} entries committed while ${follower.id} was stopped`);
    });
  },
);

test('d. a restarted node keeps term, vote and log from its data dir', TEST_GUARD, async (t) => {
  const c = await cluster(t, FAST);
  await withLogs(t, c, async () => {
    const { leader } = await c.waitLeader();
    await Promise.all(c.nodes.map((n) => n.waitReady()));
    const node = c.others(leader)[0];
    let acked = await commitEntries(c, leader, 20, 'before-restart');
    const before = await waitCaughtUp(node, leader);
    await node.kill();

    // Entries committed while it is down reach it after the restart.
    let current = await c.waitLeader({ among: c.running });
    acked += await commitEntries(c, current.leader, 5, 'while-down');

    node.start();
    await node.waitLive();
    const first = await node.debugState();
    assert.ok(first.term >= before.term, `term ${first.term} after restart, ${before.term} before`);
    assert.ok(
      first.lastIndex >= before.lastIndex,
      `lastIndex ${first.lastIndex} after restart, ${before.lastIndex} before`,
    );
    assert.ok(
      first.commit >= before.applied,
      `commit ${first.commit} after restart, applied ${before.applied} before`,
    );
    if (first.term === before.term && before.vote !== null)
      assert.equal(first.vote, before.vote, 'the vote of the term is kept');

    current = await c.waitLeader();
    const after = await waitCaughtUp(node, current.leader);
    assert.equal(after.count, acked, 'the restarted node holds every acknowledged entry once');
    assert.equal(after.count, (await current.leader.debugState()).count);
  });
});

test(
  'e. SIGKILL of all three at once: term, vote and commit never go back; committed entries survive',
  TEST_GUARD,
  async (t) => {
    const c = await cluster(t, FAST);
    await withLogs(t, c, async () => {
      const { leader } = await c.waitLeader();
      await Promise.all(c.nodes.map((n) => n.waitReady()));
      const acked = await commitEntries(c, leader, 30, 'before-crash');
      await Promise.all(c.others(leader).map((n) => waitCaughtUp(n, leader)));
      const before = new Map(
        await Promise.all(c.nodes.map(async (n) => [n.id, await n.debugState()] as const)),
      );

      // The three signals go out back to back, before any node can react.
      for (const n of c.nodes) assert.ok(n.signal('SIGKILL'));
      for (const n of c.nodes) assert.equal((await n.waitExit()).signal, 'SIGKILL');

      for (const n of c.nodes) n.start();
      // Read each node's state as early as it answers: that is what it recovered from disk.
      await Promise.all(
        c.nodes.map(async (n) => {
          await n.waitLive();
          const was = before.get(n.id)!;
          const now = await n.debugState();
          assert.ok(now.term >= was.term, `${n.id}: term ${now.term} after restart, ${was.term} before`);
          if (now.term === was.term && was.vote !== null)
            assert.equal(now.vote, was.vote, `${n.id}: vote kept`);
          assert.ok(
            now.lastIndex >= was.lastIndex,
            `${n.id}: lastIndex ${now.lastIndex}, ${was.lastIndex} before`,
          );
          // What a node applied was persisted as committed before it was applied.
          assert.ok(
            now.commit >= was.applied,
            `${n.id}: commit ${now.commit} after restart, applied ${was.applied} before`,
          );
        }),
      );

      const next = await c.waitLeader();
      await Promise.all(c.nodes.map((n) => n.waitReady()));
      for (const n of c.nodes) {
        const s = await waitCaughtUp(n, next.leader);
        const was = before.get(n.id)!;
        assert.equal(s.count, acked, `${n.id} holds every acknowledged entry once`);
        assert.ok(s.commit >= was.commit, `${n.id}: commit ${s.commit}, ${was.commit} before the crash`);
        assert.equal(s.last, `before-crash-${acked - 1}`);
      }
      // And the cluster goes on committing after the crash.
      assert.equal((await next.leader.propose('after-crash')).status, 200);
    });
  },
);

test(
  'f. SIGTERM on the leader: exit 0 within 1 s, leadership moves to the transfer target',
  TEST_GUARD,
  async (t) => {
    const c = await cluster(t, FAST);
    await withLogs(t, c, async () => {
      const old = await c.waitLeader();
      await Promise.all(c.nodes.map((n) => n.waitReady()));
      await commitEntries(c, old.leader, 5, 'before-term');

      const signalled = performance.now();
      assert.ok(old.leader.signal('SIGTERM'));
      const exit = await old.leader.waitExit(10_000); // hang guard
      const exitMs = performance.now() - signalled;
      const next = await c.waitLeader({ among: c.others(old.leader), minTerm: old.term + 1 });
      const leaderMs = performance.now() - signalled;
      t.diagnostic(
        `${old.leader.id} exited ${exit.code} after ${Math.round(exitMs)} ms; ${next.leader.id} leads term ${next.term} ${Math.round(leaderMs)} ms after SIGTERM`,
      );

      assert.deepEqual(exit, { code: 0, signal: null }, `exit status; stderr: ${old.leader.stderr}`);
      // The contract is 1 s from the signal to the exit; the slack covers how late this process
      // notices the exit on a loaded machine.
      assert.ok(exitMs < 2000, `exit took ${Math.round(exitMs)} ms`);
      const transfer = old.leader.events().find((e) => e.event === 'leadership-transfer');
      assert.ok(transfer, 'the leader logged its leadership transfer');
      assert.equal(next.leader.id, transfer.to, 'the transfer target took over');
      assert.ok(
        old.leader.events().some((e) => e.event === 'node-stopped'),
        'the node stopped cleanly',
      );
      assert.equal((await next.leader.propose('after-sigterm')).status, 200);
    });
  },
);

test('g. bad input', TEST_GUARD, async (t) => {
  await t.test('a config with several mistakes: exit 2, every mistake listed with its path', async () => {
    const dir = makeTempDir('raftinel-cfg-');
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(
        file,
        [
          'cluster: "bad cluster!"',
          'node:',
          '  id: n1',
          `  dataDir: ${join(dir, 'data')}`,
          '  listen:',
          '    http: 127.0.0.1:99999',
          '    raft: nonsense',
          'peers: []',
          'raft: { tickMs: 0, electionTicks: 1, bogus: 3 }',
          'shards:',
          '  - name: s',
          '    nodes: []',
          'color: blue',
          '',
        ].join('\n'),
      );
      const r = await runRaftinel(['node', '--config', file], { timeoutMs: 20_000 });
      assert.equal(r.code, 2, `exit code; stderr:\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      for (const path of [
        'cluster',
        'node.listen.http',
        'node.listen.raft',
        'peers',
        'raft.tickMs',
        'raft.electionTicks',
        'raft.bogus',
        'shards[0].nodes',
        'color',
      ]) {
        assert.ok(
          lines.some((l) => l.includes(`${path}:`)),
          `stderr names ${path}:\n${r.stderr}`,
        );
      }
      assert.equal(lines.length, 9, `one line per mistake:\n${r.stderr}`);
      assert.ok(!r.stdout.includes('node-started'), 'nothing started');
    } finally {
      removeDir(dir);
    }
  });

  await t.test('a data dir that is a file: exit 1, one line naming it', async () => {
    const dir = makeTempDir('raftinel-cfg-');
    try {
      const dataFile = join(dir, 'not-a-dir');
      writeFileSync(dataFile, 'x');
      const file = await writeSingleNodeConfig(dir, dataFile);
      const r = await runRaftinel(['node', '--config', file], { timeoutMs: 20_000 });
      assert.equal(r.code, 1, `exit code; stderr:\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
      assert.ok(lines[0].includes(dataFile), `the line names ${dataFile}: ${lines[0]}`);
    } finally {
      removeDir(dir);
    }
  });

  await t.test('the raft port in use: exit 1, a line naming the address', async () => {
    const dir = makeTempDir('raftinel-cfg-');
    const blocker = net.createServer();
    try {
      const raftPort = await freePort();
      await new Promise<void>((resolve, reject) => {
        blocker.once('error', reject);
        blocker.listen({ host: '127.0.0.1', port: raftPort }, () => resolve());
      });
      const file = await writeSingleNodeConfig(dir, join(dir, 'data'), raftPort);
      const r = await runRaftinel(['node', '--config', file], { timeoutMs: 20_000 });
      assert.equal(r.code, 1, `exit code; stderr:\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
      assert.ok(lines[0].includes(`127.0.0.1:${raftPort}`), `the line names the address: ${lines[0]}`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      removeDir(dir);
    }
  });

  await t.test('raw bytes on the raft port and a node of another cluster', async (t2) => {
    const c = await cluster(t2, DEFAULT_TIMING);
    await withLogs(t2, c, async () => {
      const { leader, term } = await c.waitLeader();
      await Promise.all(c.nodes.map((n) => n.waitReady()));
      const target = c.others(leader)[0];

      const hello = frame({
        kind: 'hello',
        body: {
          version: PROTOCOL_VERSION,
          cluster: 'test',
          nodeId: 'intruder',
          addresses: { raft: '127.0.0.1:1', http: '127.0.0.1:2', sentinel: '127.0.0.1:3' },
          nonce: newNonce(),
        },
      });
      const cases: { name: string; bytes: Uint8Array[] }[] = [
        { name: 'garbage bytes', bytes: [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')] },
        { name: 'an oversized length prefix', bytes: [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3)] },
        { name: 'a zero length prefix', bytes: [Uint8Array.of(0, 0, 0, 0)] },
        { name: 'a frame that is not JSON', bytes: [frameBytes(Buffer.from('\x00\x01not json'))] },
        {
          name: 'an oversized prefix after a good hello',
          bytes: [hello, Uint8Array.of(0xff, 0xff, 0xff, 0xf0)],
        },
        {
          name: 'garbage after a good hello',
          bytes: [hello, frameBytes(Buffer.from('{"kind":"raft","body":{"type":"App","from":"n9"}}'))],
        },
      ];
      for (const node of [target, leader]) {
        for (const k of cases) {
          const result = await sendRaw(node.options.node.raft, k.bytes);
          assert.ok(result.closed, `${node.id} closed the connection after ${k.name}`);
          const line = await node.waitForLog(
            `${node.id} to log the refusal of ${k.name}`,
            (e) =>
              (e.event === 'peer-protocol-error' || e.event === 'peer-rejected') && e.remote === result.local,
          );
          t2.diagnostic(
            `${node.id}, ${k.name}: ${line.event} ${String(line.reason)} after ${Math.round(result.ms)} ms`,
          );
        }
        assert.equal((await node.get('/livez')).status, 200, `${node.id} still serves`);
      }
      assert.equal((await leader.propose('after-garbage')).status, 200, 'the cluster still commits');
      await waitCaughtUp(target, leader);

      // A node of another cluster id pointing at the same peers is refused by each of them.
      const stranger = await c.extraNode('n4', 'other');
      stranger.start();
      await stranger.waitLive();
      for (const n of [...c.others(stranger)]) {
        const line = await n.waitForLog(
          `${n.id} to refuse the node of cluster "other"`,
          (e) => e.event === 'peer-rejected' && e.reason === 'cluster-mismatch',
        );
        assert.equal(line.direction, 'inbound');
      }
      await stranger.waitForLog(
        'the stranger to be refused',
        (e) => e.event === 'peer-rejected' && String(e.reason).includes('cluster-mismatch'),
      );
      // A few of the stranger's election timeouts: whatever it tries must not reach the cluster.
      await sleep(2000);
      const after = await c.waitLeader({ among: c.others(stranger) });
      assert.equal(after.leader.id, leader.id, 'the leader did not change');
      assert.equal(after.term, term, 'the term did not change');
      for (const v of await c.views(c.others(stranger))) {
        assert.deepEqual(v.members.map((m) => m.id).sort(), ['n1', 'n2', 'n3'], `${v.node}'s members`);
      }
      assert.equal((await leader.propose('after-stranger')).status, 200);
      assert.equal(await stranger.isLeader(), false);

      // Last, because when it fails it cuts a member off. Without peer TLS nothing proves a
      // hello's node id, but a hello should still not rewrite a connected member's committed
      // addresses: the leader trusts only the answer of a node it dialed at its raft address.
      await t2.test('a hello impersonating a member does not rewrite its committed addresses', async () => {
        const victim = c.others(leader).find((n) => n !== stranger)!;
        const fake = { raft: '127.0.0.1:9', http: '127.0.0.1:9', sentinel: '127.0.0.1:9' };
        const impostor = frame({
          kind: 'hello',
          body: {
            version: PROTOCOL_VERSION,
            cluster: 'test',
            nodeId: victim.id,
            addresses: fake,
            nonce: newNonce(),
          },
        });
        const socket = net.connect({
          host: '127.0.0.1',
          port: Number(leader.options.node.raft.split(':')[1]),
        });
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
        try {
          socket.write(impostor);
          await sleep(1500);
          const view = await leader.cluster();
          assert.equal(view.members.find((m) => m.id === victim.id)?.raft, victim.options.node.raft);
        } finally {
          socket.destroy();
        }
      });
    });
  });
});

/** A config for one node on its own (for start-up failures); returns the file path. */
async function writeSingleNodeConfig(dir: string, dataDir: string, raftPort?: number): Promise<string> {
  const raft = `127.0.0.1:${raftPort ?? (await freePort())}`;
  const file = join(dir, 'node.yaml');
  writeFileSync(
    file,
    [
      'cluster: test',
      'node:',
      '  id: n1',
      `  dataDir: ${JSON.stringify(dataDir)}`,
      '  listen:',
      `    sentinel: 127.0.0.1:${await freePort()}`,
      `    http: 127.0.0.1:${await freePort()}`,
      `    raft: ${raft}`,
      'peers:',
      `  - { id: n1, raft: "${raft}" }`,
      'shards:',
      `  - { name: s, nodes: [ { id: r1, host: 127.0.0.1, port: ${await freePort()} } ], initialMaster: r1 }`,
      '',
    ].join('\n'),
  );
  return file;
}

/** The peer wire format: a u32 big-endian length, then the payload. */
function frameBytes(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

function frame(envelope: unknown): Uint8Array {
  return frameBytes(Buffer.from(JSON.stringify(envelope)));
}

/**
 * Connects, writes the chunks with a short pause between them (so a hello is handled before
 * what follows), and waits for the node to close the connection. The guard (4 s) is below the
 * node's 5 s handshake timeout on purpose: the close must come from the bad bytes, not from idling.
 */
function sendRaw(
  address: string,
  chunks: Uint8Array[],
): Promise<{ closed: boolean; local: string; ms: number }> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host, port });
    let local = '';
    const guard = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, local, ms: performance.now() - started });
    }, 4000);
    socket.on('error', () => undefined); // a reset is also a close
    socket.on('data', () => undefined); // hello-ok / hello-reject
    socket.once('connect', async () => {
      local = `${socket.localAddress}:${socket.localPort}`;
      for (const chunk of chunks) {
        if (socket.destroyed) break;
        socket.write(chunk);
        await sleep(50);
      }
    });
    socket.once('close', () => {
      clearTimeout(guard);
      resolve({ closed: true, local, ms: performance.now() - started });
    });
    socket.once('timeout', () => reject(new Error('socket timeout')));
  });
}
