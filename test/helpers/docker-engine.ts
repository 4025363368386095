// A Docker engine for the container tests (docs/design.md 9): the one already running, or one
// this process starts when it is root and dockerd is installed, with no bridge and no iptables
// (containers use the host's network only), stopped again by release(). The images come from
// this machine's files (deploy/local-base), since nothing can be pulled; each is tagged with a
// hash of what went into it and built only when that tag is missing.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeDir } from './temp.js';
import { sleep } from './wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCKERD = '/usr/sbin/dockerd';
/** Hang guard for dockerd's start (it takes about a second here). */
const ENGINE_START_MS = 30_000;

export interface Engine {
  /** Why the container tests cannot run here, or null. */
  readonly skip: string | null;
  release(): Promise<void>;
}

function engineAnswers(): boolean {
  return (
    spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 10_000 })
      .status === 0
  );
}

/** The running engine, or one started here; `skip` says why there is none. */
export async function acquireEngine(): Promise<Engine> {
  const none = (skip: string): Engine => ({ skip, release: async () => undefined });
  if (spawnSync('docker', ['--version'], { stdio: 'ignore' }).status !== 0)
    return none('no docker CLI installed');
  if (engineAnswers()) return { skip: null, release: async () => undefined };
  if (!existsSync(DOCKERD)) return none(`no Docker engine running and ${DOCKERD} is not installed`);
  if (process.getuid?.() !== 0) return none('no Docker engine running and starting one needs root');
  const logDir = makeTempDir('raftinel-dockerd-');
  const log = openSync(join(logDir, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn(DOCKERD, ['--bridge=none', '--iptables=false', '--ip6tables=false'], {
    stdio: ['ignore', log, log],
    detached: true,
  });
  const deadline = performance.now() + ENGINE_START_MS;
  while (!engineAnswers()) {
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill('SIGTERM');
      const tail = readFileSync(join(logDir, 'dockerd.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
      return none(`dockerd did not start: ${tail}`);
    }
    await sleep(200);
  }
  return {
    skip: null,
    release: async () => {
      child.kill('SIGTERM');
      const until = performance.now() + ENGINE_START_MS;
      while (child.exitCode === null && child.signalCode === null && performance.now() < until)
        await sleep(100);
      removeDir(logDir);
    },
  };
}

function docker(args: readonly string[], input?: string): string {
  // DOCKER_BUILDKIT=0: the classic builder, which needs no buildx plugin and pulls nothing.
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  return execFileSync('docker', args, {
    encoding: 'utf8',
    input,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 26,
  });
}

function imageExists(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

function hashTree(hash: ReturnType<typeof createHash>, dir: string): void {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    hash.update(path.slice(ROOT.length));
    if (statSync(path).isDirectory()) hashTree(hash, path);
    else hash.update(readFileSync(path));
  }
}

export interface Images {
  /** Node 20, redis-server, redis-cli and a shell (deploy/local-base/build-base.sh). */
  readonly base: string;
  /** deploy/Dockerfile on that base, from this checkout's dist/src. */
  readonly raftinel: string;
}

/** Builds (or finds) the base image and the raftinel image of this checkout. */
export function localImages(): Images {
  const base = execFileSync(join(ROOT, 'deploy/local-base/build-base.sh'), { encoding: 'utf8' }).trim();
  const hash = createHash('sha256').update(base);
  for (const file of ['deploy/Dockerfile', 'deploy/local-base/stage-context.sh', 'package-lock.json'])
    hash.update(readFileSync(join(ROOT, file)));
  hashTree(hash, join(ROOT, 'dist/src'));
  const raftinel = `raftinel:test-${hash.digest('hex').slice(0, 16)}`;
  if (!imageExists(raftinel)) {
    const context = makeTempDir('raftinel-image-');
    try {
      execFileSync(join(ROOT, 'deploy/local-base/stage-context.sh'), [context], { stdio: 'ignore' });
      docker([
        'build',
        '-q',
        '-f',
        join(ROOT, 'deploy/Dockerfile'),
        '--build-arg',
        `BASE=${base}`,
        '--build-arg',
        'PREBUILT=1',
        '-t',
        raftinel,
        context,
      ]);
    } finally {
      removeDir(context);
    }
  }
  return { base, raftinel };
}

/** `docker kill` of several containers in one call (a pod dies at one instant). */
export function killContainers(ids: readonly string[]): void {
  docker(['kill', ...ids]);
}

export function startContainer(id: string): void {
  docker(['start', id]);
}
