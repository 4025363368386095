// `raftinel promote <shard> [--to NODE] [--dry-run]`: the zero-loss switchover drill (docs/design.md
// 4.7). Preflight (the candidate report), confirmation, then the switchover itself with live
// progress lines (the shard's state polled while the request is pending), and the drill report:
// write pause, offsets, epoch, replicas repointed, each step's duration. Exit 0 only when the
// switchover finished and the shard reads back with the new master and no switchover running.
import type { Argv } from 'yargs';
import type { DryRunReply, ShardAnswer, SwitchoverReply } from '../api.js';
import { ACTION_TIMEOUT_MS, expectOk, httpError, type ApiClient } from '../client.js';
import { runCli, seg, withCommon, withForce, type Ctx } from '../common.js';
import { CliError, EXIT_FAILED, type Output } from '../output.js';
import { confirm, requireConfirmable } from '../prompt.js';
import { candidatesHeadline, candidatesTable } from '../render.js';
import { formatMs, renderTable, type Cell } from '../table.js';

export const PROMOTE_EXAMPLE: [string, string] = [
  '$0 promote mymaster --to r2',
  'planned switchover to r2 with no acknowledged write lost',
];

interface PromoteArgs {
  readonly shard: string;
  readonly to?: string;
  readonly 'dry-run': boolean;
}

/** How often the shard's state is polled while the switchover runs. */
const POLL_MS = 50;
/** How long the progress lines wait for the live node to show the finished switchover. */
const SETTLE_MS = 2_000;

export function promoteCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'promote <shard>',
    'planned switchover drill: pause writes, let the target catch up, promote it, repoint the rest',
    (b) =>
      withForce(withCommon(b))
        .positional('shard', { type: 'string', demandOption: true, describe: 'shard name' })
        .option('to', {
          type: 'string',
          requiresArg: true,
          describe: 'the replica to promote (default: the best candidate)',
        })
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'run the preflight only and show the candidate report',
        })
        .example(...PROMOTE_EXAMPLE)
        .example('$0 promote mymaster --dry-run', 'preflight only: which replica would win and why')
        .example('$0 promote mymaster --yes', 'switch over to the best candidate without asking'),
    (argv) => runCli(argv, (ctx) => promote(ctx, argv as PromoteArgs)),
  );
}

async function promote(ctx: Ctx, args: PromoteArgs): Promise<number> {
  const { client, out } = ctx;
  const path = `/v1/shards/${seg(args.shard)}`;
  if (!args['dry-run'])
    requireConfirmable({ force: ctx.force, json: ctx.json, action: `switch over ${args.shard}` });

  // Preflight: the leader's candidate report, the same one the switchover starts from.
  const dry = expectOk(
    await client.admin<DryRunReply>('POST', `${path}/switchover`, {
      ...(args.to ? { to: args.to } : {}),
      dryRun: true,
    }),
    `preflight of ${args.shard}`,
  );
  const shard = expectOk(await client.get<ShardAnswer>(path), `GET ${path}`);
  const report = dry.candidates;
  const target = args.to ?? report?.chosen ?? null;
  const row = report?.rows.find((r) => r.id === target) ?? null;
  // The server's verdict when it gives one; the same rules here for a node that does not.
  const problem =
    dry.problem !== undefined
      ? dry.problem
      : shard.master === null
        ? `${args.shard} has no master`
        : target === null
          ? 'no eligible replica'
          : row === null
            ? `${target} is not a replica of ${args.shard}`
            : !row.eligible
              ? `${target} is not eligible: ${row.reason}`
              : null;
  if (ctx.json && args['dry-run']) {
    out.document({ ...dry, from: shard.master?.id ?? null, target, problem });
    return problem === null ? 0 : EXIT_FAILED;
  }
  out.line(
    `preflight: ${args.shard}, master ${shard.master?.id ?? 'none'}, epoch ${shard.epoch}, state ${shard.state}${shard.paused ? ' (automatic failover paused)' : ''}`,
  );
  if (report) {
    out.line(candidatesTable(report, out.color, target));
    out.line(candidatesHeadline(report));
  }
  if (problem !== null)
    throw new CliError(`cannot switch over ${args.shard}: ${problem}`, EXIT_FAILED, 'no_candidate');
  const from = shard.master?.id as string;
  if (args['dry-run']) {
    out.line(
      `dry run: a switchover would move the master of ${args.shard} from ${from} to ${target}; nothing changed`,
    );
    return 0;
  }
  await confirm(
    `Switch over ${args.shard} from ${from} to ${target}? Writes pause until ${target} has caught up.`,
    {
      force: ctx.force,
      json: ctx.json,
      action: `switch over ${args.shard}`,
    },
  );

  // The switchover itself: one POST that answers when it is over; meanwhile, progress lines.
  out.progress(
    `switchover of ${args.shard} requested: ${from} -> ${target} (writes on ${from} pause, ${target} catches up)`,
  );
  const watcher = ctx.json ? null : watchShard(client, out, path, shard);
  let reply;
  try {
    reply = await client.admin<SwitchoverReply>(
      'POST',
      `${path}/switchover`,
      { to: target },
      ACTION_TIMEOUT_MS,
    );
  } finally {
    const settled = reply?.status === 200 ? reply.body.report.to : null;
    await watcher?.stop(settled);
  }
  if (reply.status !== 200 && reply.status !== 409) throw httpError(reply, `switchover of ${args.shard}`);
  const result = reply.body;
  if (ctx.json) out.document(result);
  else printReport(out, result);
  if (!result.ok) {
    const e = result.error ?? { code: 'failed', message: 'the switchover failed' };
    throw new CliError(`switchover of ${args.shard} failed: ${e.message} (${e.code})`, EXIT_FAILED, e.code);
  }
  // The leader answered once FailoverEnded was applied (old master unpaused first): read the
  // shard back through a ReadIndex to be sure of the outcome before saying so.
  const after = expectOk(await client.get<ShardAnswer>(path), `GET ${path}`);
  const to = result.report.to;
  if (after.master?.id !== to || after.state === 'switchover' || after.state === 'failover') {
    throw new CliError(
      `switchover of ${args.shard} reported done, but the shard reads master ${after.master?.id ?? 'none'}, state ${after.state}`,
      EXIT_FAILED,
      'unexpected_state',
    );
  }
  out.line(
    out.paint(
      `switchover of ${args.shard} finished: master ${to}, epoch ${after.epoch}, writes unpaused`,
      'green',
    ),
  );
  return 0;
}

function printReport(out: Output, result: SwitchoverReply): void {
  const r = result.report;
  out.line();
  out.line(
    `drill report: ${r.shard} ${r.from ?? '?'} -> ${r.to ?? '?'}, epoch ${r.epoch ?? '-'}${result.ok ? '' : ' (failed)'}`,
  );
  const caughtUp =
    r.masterOffset !== null && r.targetOffset !== null
      ? r.targetOffset >= r.masterOffset
        ? ' (caught up)'
        : ` (${r.masterOffset - r.targetOffset} bytes behind)`
      : '';
  const facts: Cell[][] = [
    ['write pause', formatMs(r.writePauseMs)],
    ['master offset', r.masterOffset === null ? '-' : String(r.masterOffset)],
    ['target offset', r.targetOffset === null ? '-' : `${r.targetOffset}${caughtUp}`],
    ['repointed', r.repointed.length > 0 ? r.repointed.join(', ') : '-'],
  ];
  out.line(renderTable(null, facts, { color: out.color, indent: 2 }));
  const steps = Object.entries(r.stepsMs);
  if (steps.length > 0) {
    out.line(
      renderTable(
        ['STEP', 'DURATION'],
        steps.map(([k, v]): Cell[] => [stepName(k), formatMs(v)]),
        { color: out.color, right: [1], indent: 2 },
      ),
    );
  }
}

/** preflight, catchUp, promote, repoint, total -> words an operator reads. */
function stepName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Polls the shard (the live node's applied view: no ReadIndex round, so it keeps answering
 * during the switchover) and prints a line for each change of state, master, epoch or link;
 * once more after the POST answered, so that a switchover quicker than one poll still shows.
 */
function watchShard(
  client: ApiClient,
  out: Output,
  path: string,
  initial: ShardAnswer,
): { stop: (master: string | null) => Promise<void> } {
  let last = initial;
  let stopped = false;
  const links = new Map(initial.replicas.map((r) => [r.id, r.linkUp]));
  const tick = async (): Promise<void> => {
    let now: ShardAnswer;
    try {
      const reply = await client.get<ShardAnswer>(`${path}?stale=ok`, 2_000);
      if (reply.status !== 200) return;
      now = reply.body;
    } catch {
      return; // progress lines are a courtesy: the POST decides the outcome
    }
    if (now.master?.id !== last.master?.id) {
      out.progress(
        `master is now ${now.master?.id ?? 'none'} (epoch ${now.epoch}), published to clients; repointing ${now.replicas.map((r) => r.id).join(', ') || 'nothing'}`,
      );
    }
    if (now.state !== last.state) out.progress(`state ${now.state} (epoch ${now.epoch})`);
    for (const r of now.replicas) {
      const before = links.get(r.id);
      const news = r.linkUp !== null && r.linkUp !== before && !(before === undefined && r.linkUp === false);
      if (news) out.progress(`${r.id}: replication link ${r.linkUp ? 'up' : 'down'}`);
      links.set(r.id, r.linkUp);
    }
    last = now;
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (!stopped) await tick();
    }
  };
  const running = loop();
  return {
    // After a switchover that finished, the live node (a follower, maybe) applies the new
    // master within a heartbeat or so: wait that long, so the last lines show the outcome.
    stop: async (master) => {
      stopped = true;
      await running;
      const deadline = performance.now() + SETTLE_MS;
      await tick();
      while (master !== null && last.master?.id !== master && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        await tick();
      }
    },
  };
}
