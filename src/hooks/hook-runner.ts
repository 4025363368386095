// Operator hooks (move a DNS record, a VIP, a Kubernetes label): `hooks.onSwitchMaster` runs
// when Promoted commits, `hooks.onFailoverEnd` when FailoverEnded commits. The leader runs each
// once per epoch (its result is committed, so a new leader runs only what is missing), with a
// timeout and bounded retries, and never holds a failover back: hooks run after the commit.
import { spawn, type ChildProcess } from 'node:child_process';
import type { HooksConfig } from '../config/core.js';
import { nodeOf, type Topology, type TopologyEvent } from '../failover/topology.js';
import type { HookName, ShardState, TopologyCommand } from '../failover/types.js';
import type { Logger } from '../util/log.js';

const MAX_ATTEMPTS = 3;
const RETRY_DELAY_MS = 1000;
const OUTPUT_CAP = 4096;

export interface HookDeps {
  readonly hooks: HooksConfig;
  readonly topology: () => Topology;
  /** True while this node leads with a valid lease (RaftRuntime.leaseValid): only the leader runs hooks. */
  readonly leading: () => boolean;
  readonly propose: (command: TopologyCommand) => void;
  readonly logger: Logger;
}

interface Job {
  readonly shard: string;
  readonly epoch: number;
  readonly hook: HookName;
}

export class HookRunner {
  private readonly running = new Set<string>();

  constructor(private readonly deps: HookDeps) {}

  /** Applied topology events (every node calls this; only the leader acts). */
  applied(events: readonly TopologyEvent[]): void {
    for (const e of events) {
      if (e.type === 'switch-master')
        this.maybeRun({ shard: e.shard, epoch: e.epoch, hook: 'onSwitchMaster' });
      if (e.type === 'failover-ended' && e.entry.result === 'ended')
        this.maybeRun({ shard: e.shard, epoch: e.epoch, hook: 'onFailoverEnd' });
    }
  }

  /** A new leader runs the hooks of the latest epoch that no leader recorded yet. */
  becameLeader(): void {
    const topo = this.deps.topology();
    for (const s of Object.values(topo.shards)) {
      if (s.epoch === 0) continue;
      // An epoch whose attempt was aborted (or that kept the master, masterKept) switched nothing.
      const aborted = topo.history[s.name]?.some((h) => h.epoch === s.epoch && h.result === 'aborted');
      const promoted = s.failover ? s.failover.step === 'promoted' : !aborted;
      if (promoted) this.maybeRun({ shard: s.name, epoch: s.epoch, hook: 'onSwitchMaster' });
      const ended = topo.history[s.name]?.some((h) => h.epoch === s.epoch && h.result === 'ended');
      if (ended) this.maybeRun({ shard: s.name, epoch: s.epoch, hook: 'onFailoverEnd' });
    }
  }

  private maybeRun(job: Job): void {
    const command = this.deps.hooks[job.hook];
    if (!command || !this.deps.leading()) return;
    const key = `${job.shard}/${job.epoch}/${job.hook}`;
    const done = this.deps
      .topology()
      .hookRuns?.[job.shard]?.some((r) => r.epoch === job.epoch && r.hook === job.hook);
    if (done || this.running.has(key)) return;
    const shard = this.deps.topology().shards[job.shard];
    if (!shard) return;
    this.running.add(key);
    void this.runWithRetries(command, job, shard).finally(() => this.running.delete(key));
  }

  private async runWithRetries(command: string, job: Job, shard: ShardState): Promise<void> {
    const entry = this.deps.topology().history[job.shard]?.find((h) => h.epoch === job.epoch);
    const fromId = shard.failover?.epoch === job.epoch ? shard.failover.from : (entry?.from ?? null);
    const from = nodeOf(shard, fromId);
    const to = nodeOf(shard, shard.master);
    // The hook's output lands in the log and the history (served without a token): the CLI's
    // admin token, if the service's environment holds one, is not passed on.
    const { RAFTINEL_TOKEN: _adminToken, ...inherited } = process.env;
    const env = {
      ...inherited,
      RAFTINEL_SHARD: job.shard,
      RAFTINEL_EPOCH: String(job.epoch),
      RAFTINEL_HOOK: job.hook,
      RAFTINEL_OLD_HOST: from?.host ?? '',
      RAFTINEL_OLD_PORT: String(from?.port ?? ''),
      RAFTINEL_NEW_HOST: to?.host ?? '',
      RAFTINEL_NEW_PORT: String(to?.port ?? ''),
    };
    // Sentinel's client-reconfig-script arguments: <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>.
    // Sentinel 7 runs it as the leader with state "start" once the promoted replica is a master
    // (raftinel's Promoted); onFailoverEnd gets the same arguments with state "end".
    const state = job.hook === 'onSwitchMaster' ? 'start' : 'end';
    const args = [
      job.shard,
      'leader',
      state,
      from?.host ?? '',
      String(from?.port ?? ''),
      to?.host ?? '',
      String(to?.port ?? ''),
    ];
    let result: { exitCode: number | null; output: string } = { exitCode: null, output: '' };
    let attempts = 0;
    while (attempts < MAX_ATTEMPTS) {
      attempts++;
      result = await runOnce(command, args, env, this.deps.hooks.timeoutMs);
      if (result.exitCode === 0 || !this.deps.leading()) break;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
    const level = result.exitCode === 0 ? 'info' : 'warn';
    this.deps.logger[level](
      { event: `hook-${job.hook}`, shard: job.shard, epoch: job.epoch, exitCode: result.exitCode, attempts },
      `${job.hook} hook finished`,
    );
    if (!this.deps.leading()) return; // the next leader runs it again and records that run
    this.deps.propose({
      type: 'hookResult',
      shard: job.shard,
      epoch: job.epoch,
      hook: job.hook,
      exitCode: result.exitCode,
      output: result.output,
      attempts,
      at: Date.now(),
    });
  }
}

function runOnce(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const keep = (chunk: Buffer): void => {
      if (output.length < OUTPUT_CAP) output += chunk.toString('utf8').slice(0, OUTPUT_CAP - output.length);
    };
    let child: ChildProcess;
    try {
      // Its own process group, so that the timeout kills whatever the hook started too (a shell
      // script's curl or sleep holds the output pipes open, and would outlive a kill of the shell).
      child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      resolve({ exitCode: null, output: `cannot start: ${(err as Error).message}` });
      return;
    }
    let exitCode: number | null = null;
    let timedOut = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      resolve({ exitCode, output });
    };
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      keep(Buffer.from(`\n[killed after ${timeoutMs} ms]`));
      timedOut = true;
      killGroup();
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve({ exitCode: null, output: `cannot start: ${err.message}` });
    });
    child.on('exit', (code) => {
      exitCode = timedOut ? null : code;
      clearTimeout(timer);
      // Output still buffered arrives before 'close'; a process the hook left running that keeps
      // the pipes open does not hold the result back for more than a moment.
      graceTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, 200);
    });
    child.on('close', finish);
  });
}
