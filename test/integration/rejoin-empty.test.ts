// A voter whose data dir is emptied must not vote when it comes back (docs/design.md 6a,
// node.bootstrap): it may have acknowledged entries it no longer holds, and its vote could
// elect a leader that lacks them. Real `raftinel node` processes:
// - n restarts with an empty data dir and `node.bootstrap: existing`: it follows the leader but
//   abstains: with the leader stopped, n and the remaining voter elect nobody (the remaining
//   voter needs n's vote);
// - the leader comes back; `raftinel members remove n`, then `raftinel members add n`: n becomes
//   a learner, the leader promotes it once caught up, n logs rejoined-as-voter, its marker file
//   is gone, and it votes again: with another voter stopped, n and the third elect a leader.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import type { ClusterView } from '../../src/cli/api.js';
import { REJOIN_MARKER } from '../../src/node/rejoin-marker.js';
import { cliClusterForSuite } from '../helpers/cli-cluster.js';
import type { RaftinelProcess } from '../helpers/raftinel-process.js';
import { runRaftinelAt, showResult, type CliResult } from '../helpers/run-cli.js';
import { sleep, waitFor } from '../helpers/wait.js';

const TOKEN = 'rejoin-test-token';
/** The shipped raft timing (tickMs 50 x electionTicks 10). */
const ELECTION_MS = 500;

describe('an emptied voter comes back only as a learner', { timeout: 120_000 }, () => {
  const suite = cliClusterForSuite(TOKEN);
  const live = (): RaftinelProcess[] => suite.cluster.nodes.filter((n) => n.running);
  const cli = (args: string[]): Promise<CliResult> => runRaftinelAt(args, live(), TOKEN);
  const view = async (n: RaftinelProcess): Promise<ClusterView | null> => {
    try {
      return await n.cluster();
    } catch {
      return null;
    }
  };
  const leaderAmong = async (nodes: readonly RaftinelProcess[]): Promise<RaftinelProcess | undefined> => {
    for (const n of nodes) if (n.running && (await n.isLeader())) return n;
    return undefined;
  };
  const dump = (err: unknown): never =>
    assert.fail(`${err instanceof Error ? err.message : String(err)}\n${suite.cluster.dump()}`);

  test('restarted empty with node.bootstrap: existing, it abstains until removed and added back', async (t) => {
    const leader = await waitFor('a leader', () => leaderAmong(suite.cluster.nodes), { timeoutMs: 10_000 });
    const [emptied, other] = suite.cluster.nodes.filter((n) => n !== leader);
    await emptied.stop();
    rmSync(emptied.dataDir, { recursive: true, force: true });
    const config = parse(readFileSync(emptied.configPath, 'utf8')) as { node: Record<string, unknown> };
    config.node.bootstrap = 'existing';
    writeFileSync(emptied.configPath, stringify(config));
    const from = emptied.lines.length;
    emptied.start();
    await emptied.waitLive(15_000);
    assert.ok(existsSync(join(emptied.dataDir, REJOIN_MARKER)), 'the marker is written');
    // It hears the leader (and, like etcd, the leader does not resend a log to a member that
    // acknowledged it before: an emptied voter stays empty until it is removed and added back).
    await waitFor(
      `${emptied.id} follows ${leader.id}`,
      async () => ((await view(emptied))?.leader === leader.id ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 50 },
    ).catch(dump);

    // Without the leader, only `other` could lead, and only with the emptied node's vote.
    await leader.stop();
    await sleep(8 * ELECTION_MS);
    assert.equal(await leaderAmong([emptied, other]), undefined, `no leader without a vote of ${emptied.id}`);
    const votes = emptied.events(from).filter((e) => e.event === 'rejoined-as-voter');
    assert.deepEqual(votes, [], 'it was never promoted');

    leader.start();
    await leader.waitLive(15_000);
    const back = await waitFor('a leader again', () => leaderAmong([leader, other]), {
      timeoutMs: 20_000,
    }).catch(dump);
    let r = await cli(['members', 'remove', emptied.id, '--yes']);
    assert.equal(r.code, 0, showResult(r));
    await waitFor(
      `${emptied.id} removed`,
      async () => ((await view(back))?.members.some((m) => m.id === emptied.id) === false ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100 },
    ).catch(dump);
    r = await cli(['members', 'add', emptied.id, emptied.options.node.raft]);
    assert.equal(r.code, 0, showResult(r));
    await emptied
      .waitForLog('promoted after rejoining', (e) => e.event === 'rejoined-as-voter', 30_000)
      .catch(dump);
    assert.ok(!existsSync(join(emptied.dataDir, REJOIN_MARKER)), 'the marker is removed');

    // Now it votes: with the other follower stopped, it and the leader's partner elect a leader.
    const third = [leader, other].find((n) => n !== back) as RaftinelProcess;
    await back.stop();
    const elected = await waitFor(
      'a leader of the rejoined node and the third',
      () => leaderAmong([emptied, third]),
      {
        timeoutMs: 20_000,
      },
    ).catch(dump);
    t.diagnostic(
      `abstained 8 election timeouts with no leader; after members remove/add, ${elected.id} leads with ${emptied.id}'s vote`,
    );
  });
});
