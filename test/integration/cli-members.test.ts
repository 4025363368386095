// Raft membership through the operator CLI (docs/design.md 2 Membership, 6, 6a) against a real
// cluster of `raftinel node` processes monitoring a real Redis group:
// - `members add`: a new node started from a joining config (its `peers` lists the bootstrap
//   voters but not itself) joins as a learner, catches up, and the leader promotes it to voter
//   by itself (src/node/learner-promoter.ts); it then serves the same applied state;
// - `members remove`: refused while the voters left would have no live majority, accepted when
//   the voters left keep one (a stopped voter, or one of four live ones).
// The tests run in order and share the cluster: each starts from the membership the previous
// one left (3 voters, then 4, then 3 with one stopped, then 2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterView, ClusterMember } from '../../src/cli/api.js';
import { cliClusterForSuite } from '../helpers/cli-cluster.js';
import type { RaftinelProcess } from '../helpers/raftinel-process.js';
import { runRaftinelAt, showResult, type CliResult } from '../helpers/run-cli.js';
import { sleep, waitFor } from '../helpers/wait.js';

const TOKEN = 'members-test-token';
/** The shipped raft timing (tickMs 50 x electionTicks 10): CliCluster does not override it. */
const ELECTION_MS = 500;
/** src/node/learner-promoter.ts looks at the learners this often. */
const PROMOTER_CHECK_MS = 500;

interface Shard {
  readonly name: string;
  readonly epoch: number;
  readonly master: { readonly id: string; readonly host: string; readonly port: number } | null;
  readonly replicas: readonly { readonly id: string }[];
  readonly state: string;
  readonly paused: boolean;
}

interface Status {
  readonly cluster: ClusterView;
  readonly shards: readonly Shard[];
}

/** stdout as exactly one JSON document, with nothing on stderr (docs/design.md 6, --json). */
function oneJson<T>(r: CliResult): T {
  assert.equal(r.code, 0, showResult(r));
  assert.equal(r.stderr, '', `--json keeps stderr empty; ${showResult(r)}`);
  return JSON.parse(r.stdout) as T;
}

/** The fields of a shard that come from the log alone (lag and state use each node's own probes). */
function committedShape(s: Shard): unknown {
  return {
    name: s.name,
    epoch: s.epoch,
    master: s.master,
    replicas: s.replicas.map((r) => r.id).sort(),
    paused: s.paused,
  };
}

describe('raftinel members add/remove against a real cluster', { timeout: 120_000 }, () => {
  const suite = cliClusterForSuite(TOKEN);
  const cli = (args: string[], endpoints?: readonly RaftinelProcess[]): Promise<CliResult> =>
    runRaftinelAt(args, endpoints ?? suite.cluster.nodes.filter((n) => n.running), TOKEN);
  const membersList = async (endpoints?: readonly RaftinelProcess[]): Promise<ClusterView> =>
    oneJson<ClusterView>(await cli(['members', 'list', '--json'], endpoints));
  const failWithDump = (err: unknown): never =>
    assert.fail(`${err instanceof Error ? err.message : String(err)}\n${suite.cluster.dump()}`);
  const member = (view: ClusterView, id: string): ClusterMember | undefined =>
    view.members.find((m) => m.id === id);
  /** `members list --json` until it shows what a committed change leads to (a follower applies it a heartbeat later). */
  const waitMembers = (
    what: string,
    pred: (v: ClusterView) => boolean,
    endpoints?: readonly RaftinelProcess[],
  ): Promise<ClusterView> =>
    waitFor(
      what,
      async () => {
        const v = await membersList(endpoints);
        return pred(v) ? v : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    ).catch(failWithDump);
  const leaderOf = async (): Promise<RaftinelProcess> => {
    const view = await membersList();
    const leader = suite.cluster.nodes.find((n) => n.id === view.leader);
    assert.ok(leader?.running, `a running leader: ${JSON.stringify(view)}`);
    return leader;
  };

  test('members add: a new node joins as a learner, catches up, becomes a voter by itself and applies the same state', async (t) => {
    const n4 = await suite.cluster.joiningNode('n4');
    const bootstrap = suite.cluster.nodes.filter((n) => n !== n4);
    let r = await cli(['members', 'add', 'n4', n4.options.node.raft], bootstrap);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /n4 added as a learner at 127\.0\.0\.1:\d+/);

    // Not started yet: a learner that has copied nothing must stay a learner, or the cluster
    // would count a dead voter in its majority (4 voters, 3 live: one more loss stops it).
    const added = await waitMembers('n4 listed', (v) => member(v, 'n4') !== undefined, bootstrap);
    assert.equal(member(added, 'n4')?.role, 'learner', JSON.stringify(added));
    assert.equal(member(added, 'n4')?.healthy, false, 'n4 is not running');
    await sleep(3 * PROMOTER_CHECK_MS);
    const stillLearner = await membersList(bootstrap);
    assert.equal(
      member(stillLearner, 'n4')?.role,
      'learner',
      `a learner that never answered stays a learner: ${JSON.stringify(stillLearner)}`,
    );
    assert.deepEqual(
      stillLearner.members.filter((m) => m.role === 'voter').map((m) => m.id),
      ['n1', 'n2', 'n3'],
    );

    const startedAt = performance.now();
    n4.start();
    await n4.waitLive(15_000);
    await waitMembers('n4 a voter', (v) => member(v, 'n4')?.role === 'voter', bootstrap);
    const promotedMs = performance.now() - startedAt;
    assert.ok(
      suite.cluster.nodes.some((n) => n.events().some((e) => e.event === 'member-promoted' && e.id === 'n4')),
      `a leader logged member-promoted for n4\n${suite.cluster.dump()}`,
    );
    // Healthy in a follower's view once the leader's next health digest names it, and listed
    // with the addresses n4 advertises in its handshake, which the leader commits (docs/design.md 1).
    const listed = await waitMembers(
      'n4 healthy, with its addresses',
      (v) => member(v, 'n4')?.healthy === true && member(v, 'n4')?.http !== null,
      bootstrap,
    );
    assert.equal(member(listed, 'n4')?.role, 'voter');
    assert.equal(member(listed, 'n4')?.raft, n4.options.node.raft);
    assert.equal(member(listed, 'n4')?.http, n4.options.node.http);
    assert.equal(member(listed, 'n4')?.sentinel, n4.options.node.sentinel);
    const leader = suite.cluster.nodes.find((n) => n.id === listed.leader);
    assert.ok(leader?.running, JSON.stringify(listed));

    // n4 itself: same leader and term, itself a voter, and everything committed applied.
    const n4View = await waitFor(
      'n4 has applied what the leader committed',
      async () => {
        const [own, lead] = [await n4.cluster(), await leader.cluster()];
        return own.leader === lead.leader && own.term === lead.term && own.appliedIndex >= lead.commitIndex
          ? { own, lead }
          : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    ).catch(failWithDump);
    assert.equal(n4View.own.node, 'n4');
    assert.equal(member(n4View.own, 'n4')?.role, 'voter');
    assert.deepEqual(
      n4View.own.members.map((m) => [m.id, m.role]),
      n4View.lead.members.map((m) => [m.id, m.role]),
      'n4 sees the membership the leader sees',
    );

    // `status --json` from n4 alone and from the leader alone: the same shards.
    const fromN4 = oneJson<Status>(await cli(['status', '--json'], [n4]));
    const fromLeader = oneJson<Status>(await cli(['status', '--json'], [leader]));
    assert.equal(fromN4.cluster.node, 'n4');
    assert.equal(fromLeader.cluster.node, leader.id);
    assert.deepEqual(fromN4.shards.map(committedShape), fromLeader.shards.map(committedShape));
    assert.equal(fromN4.shards[0]?.master?.id, 'r1', JSON.stringify(fromN4.shards));
    t.diagnostic(
      `n4 a voter ${Math.round(promotedMs)} ms after its process started (the promoter checks every ${PROMOTER_CHECK_MS} ms); commit index ${n4View.lead.commitIndex}, n4 applied ${n4View.own.appliedIndex}`,
    );
    r = await cli(['members', 'list'], [n4]);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, /^n4 +voter +(leader|follower) +yes /m, r.stdout);
  });

  test('members remove: one of four live voters is removed', async () => {
    const before = await membersList();
    assert.deepEqual(
      before.members
        .filter((m) => m.role === 'voter')
        .map((m) => m.id)
        .sort(),
      ['n1', 'n2', 'n3', 'n4'],
    );
    // A bootstrap voter that is not the leader: n4 now carries the quorum like the others.
    const gone = suite.cluster.nodes.find((n) => n.id !== before.leader && n.id !== 'n4');
    assert.ok(gone);
    const r = await cli(['members', 'remove', gone.id, '--yes']);
    assert.equal(r.code, 0, showResult(r));
    assert.match(r.stdout, new RegExp(`${gone.id} removed from the membership`));
    const after = await waitMembers(
      `${gone.id} gone`,
      (v) => member(v, gone.id) === undefined,
      suite.cluster.nodes.filter((n) => n !== gone),
    );
    assert.equal(after.members.filter((m) => m.role === 'voter').length, 3);
    await gone.stop(); // what the CLI says to do next
  });

  test('members remove: refused when the voters left would have no live majority; the stopped voter is removed', async () => {
    const leader = await leaderOf();
    const voters = (await membersList()).members.filter((m) => m.role === 'voter').map((m) => m.id);
    assert.equal(voters.length, 3, JSON.stringify(voters));
    const [live, stopped] = suite.cluster.nodes.filter(
      (n) => n.running && n !== leader && voters.includes(n.id),
    );
    assert.ok(live && stopped, `two followers among ${voters.join(',')}`);
    await stopped.kill();
    // The leader decides with its own view: wait until it no longer counts the stopped node live.
    await waitFor(
      `${stopped.id} unhealthy in the leader's view`,
      async () => {
        const m = member(await leader.cluster(), stopped.id);
        return m && !m.healthy && (m.lastContactMs ?? Infinity) > ELECTION_MS ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    ).catch(failWithDump);

    // Removing a live voter would leave the live leader and the stopped node: 1 live of 2.
    let r = await cli(['members', 'remove', live.id, '--yes']);
    assert.equal(r.code, 1, showResult(r));
    // The table it prints before confirming names the stopped node unhealthy; no removal line.
    assert.match(r.stdout, new RegExp(`^${stopped.id} +voter +follower +no `, 'm'), showResult(r));
    assert.doesNotMatch(r.stdout, /removed from the membership/, showResult(r));
    assert.match(
      r.stderr,
      new RegExp(
        `^raftinel: removing ${live.id} would leave 1 live voters of 2, fewer than a majority \\(2\\) \\(would_lose_quorum\\)\\n$`,
      ),
    );
    const refusedJson = await cli(['members', 'remove', live.id, '--yes', '--json']);
    assert.equal(refusedJson.code, 1, showResult(refusedJson));
    assert.equal(refusedJson.stderr, '', showResult(refusedJson));
    assert.equal(
      (JSON.parse(refusedJson.stdout) as { error: { code: string } }).error.code,
      'would_lose_quorum',
    );
    const unchanged = await membersList();
    assert.deepEqual(
      unchanged.members.filter((m) => m.role === 'voter').map((m) => m.id),
      voters,
      'nothing was removed',
    );

    // Removing the stopped voter leaves two live voters of two: accepted, and the cluster still
    // commits (the removal itself was committed by the two live ones).
    r = await cli(['members', 'remove', stopped.id, '--yes']);
    assert.equal(r.code, 0, showResult(r));
    const left = await waitMembers(
      `${stopped.id} gone, the others healthy`,
      (v) => member(v, stopped.id) === undefined && v.members.every((m) => m.healthy),
    );
    assert.deepEqual(
      left.members.map((m) => [m.id, m.role, m.healthy]).sort(),
      [
        [leader.id, 'voter', true],
        [live.id, 'voter', true],
      ].sort(),
    );
    r = await cli(['pause', 'mymaster']);
    assert.equal(r.code, 0, showResult(r));
    r = await cli(['resume', 'mymaster']);
    assert.equal(r.code, 0, showResult(r));
  });
});
