// deploy/'s files, read without an engine or a cluster (the runs are
// test/integration/containers.test.ts and deploy/local-base/compose-failover.sh). This test keeps
// them honest: every YAML parses, every embedded raftinel config passes the schema, the ports,
// probes and names in the manifests agree with those configs, Redis containers keep the role
// raftinel gave them across a restart (a config file in the data volume, no replicaof), the
// Dockerfile has the shape the README promises, and systemd-analyze verifies the unit. No network.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import {
  advertisedAddresses,
  ConfigError,
  configWarnings,
  DEFAULTS,
  formatConfigIssues,
  parseConfigText,
  parseHostPort,
  type RaftinelConfig,
} from '../../src/config/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const COMPOSE_FILE = join(DEPLOY, 'docker-compose.yml');
const K8S = join(DEPLOY, 'k8s');
const UNIT_FILE = join(DEPLOY, 'systemd', 'raftinel.service');
const SYSTEMD_CONFIG = join(DEPLOY, 'systemd', 'raftinel.yaml');
const NO_ADMIN_WARNING = 'no admin block';

// --- reading untyped YAML safely -----------------------------------------------------------

type Rec = Record<string, unknown>;

function isRec(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function rec(value: unknown, what: string): Rec {
  assert.ok(isRec(value), `${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}
function list(value: unknown, what: string): unknown[] {
  assert.ok(Array.isArray(value), `${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}
function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what}: expected a string, got ${JSON.stringify(value)}`);
  return value as string;
}
function int(value: unknown, what: string): number {
  assert.ok(Number.isInteger(value), `${what}: expected an integer, got ${JSON.stringify(value)}`);
  return value as number;
}
function strings(value: unknown, what: string): string[] {
  return list(value, what).map((v, i) => str(v, `${what}[${i}]`));
}

function rel(file: string): string {
  return relative(ROOT, file);
}

/** Every document of a YAML file, as plain values; any error or warning fails. */
function readYaml(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: true });
  const all = Array.isArray(docs) ? docs : [];
  for (const doc of all) {
    assert.deepEqual(doc.errors.map(String), [], `${rel(file)}: YAML errors`);
    assert.deepEqual(doc.warnings.map(String), [], `${rel(file)}: YAML warnings`);
  }
  return all.map((doc) => doc.toJS() as unknown).filter((v) => v !== null);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

// --- raftinel configs ----------------------------------------------------------------------

interface Embedded {
  readonly label: string;
  readonly config: RaftinelConfig;
}

/** Through the one schema, as `raftinel node` reads it (files not required to exist here). */
function checkConfig(text: string, baseDir: string, label: string): Embedded {
  let config: RaftinelConfig;
  try {
    config = parseConfigText(text, baseDir, { checkFiles: false, file: label });
  } catch (err) {
    if (err instanceof ConfigError)
      assert.fail(`${label} is not a valid raftinel config:\n${formatConfigIssues(err)}`);
    throw err;
  }
  // Allowed: no admin block (loopback-only admin, which the preStop hook and `exec` use).
  const warnings = configWarnings(config).filter((w) => !w.startsWith(NO_ADMIN_WARNING));
  assert.deepEqual(warnings, [], `${label}: config warnings`);
  return { label, config };
}

function portOf(address: string, what: string): number {
  const parsed = parseHostPort(address);
  assert.ok(parsed, `${what}: ${address} is not host:port`);
  return parsed.port;
}

/** The listen ports every config of a set shares (the manifests declare one set of ports). */
function sharedListenPorts(set: readonly Embedded[]): { sentinel: number; http: number; raft: number } {
  const ports = set.map(({ label, config }) => ({
    sentinel: portOf(config.node.listen.sentinel, `${label} node.listen.sentinel`),
    http: portOf(config.node.listen.http, `${label} node.listen.http`),
    raft: portOf(config.node.listen.raft, `${label} node.listen.raft`),
  }));
  for (const p of ports)
    assert.deepEqual(p, ports[0], 'every node of a deployment listens on the same ports');
  return ports[0];
}

/** The configs of one deployment describe one cluster, each node the one its peers dial. */
function checkClusterSet(set: readonly Embedded[]): void {
  assert.ok(set.length >= 3, `a deployment has at least 3 nodes, found ${set.length}`);
  const first = set[0].config;
  for (const { label, config } of set) {
    assert.equal(config.cluster, first.cluster, `${label}: cluster id`);
    assert.deepEqual(config.peers, first.peers, `${label}: peers differ from ${set[0].label}`);
    assert.deepEqual(config.shards, first.shards, `${label}: shards differ from ${set[0].label}`);
    assert.ok(config.isBootstrapVoter, `${label}: peers lists this node`);
    const own = config.peers.find((p) => p.id === config.node.id);
    const advertised = advertisedAddresses(config.node);
    assert.equal(own?.raft, advertised.raft, `${label}: its peers entry is the raft address it announces`);
    for (const which of ['sentinel', 'http', 'raft'] as const) {
      const host = parseHostPort(advertised[which])?.host;
      assert.ok(host && !['0.0.0.0', '::'].includes(host), `${label}: announces a dialable ${which} address`);
    }
  }
  const ids = set.map((e) => e.config.node.id).sort();
  assert.deepEqual(ids, first.peers.map((p) => p.id).sort(), 'one config per peer, and one peer per config');
  const sidecars = set.map((e) => e.config.sidecar.redis);
  const redisIds = first.shards.flatMap((s) => s.nodes.map((n) => n.id));
  assert.deepEqual([...sidecars].sort(), [...redisIds].sort(), 'one sidecar per Redis node');
}

function composeConfigs(): Map<string, Embedded> {
  const out = new Map<string, Embedded>();
  for (const file of walk(join(DEPLOY, 'compose'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    out.set(file, checkConfig(readFileSync(file, 'utf8'), dirname(file), rel(file)));
  }
  return out;
}

// --- Kubernetes ----------------------------------------------------------------------------

interface Manifests {
  readonly all: Rec[];
  one(kind: string, name?: string): Rec;
}

function k8sManifests(): Manifests {
  const all: Rec[] = [];
  for (const file of walk(K8S).sort()) {
    assert.ok(file.endsWith('.yaml'), `${rel(file)}: deploy/k8s holds only .yaml manifests`);
    readYaml(file).forEach((doc, i) => all.push(rec(doc, `${rel(file)} document ${i}`)));
  }
  const one = (kind: string, name?: string): Rec => {
    const found = all.filter((m) => m.kind === kind && (name === undefined || meta(m).name === name));
    assert.equal(found.length, 1, `exactly one ${kind}${name ? ` named ${name}` : ''}`);
    return found[0];
  };
  return { all, one };
}

function meta(m: Rec): { name: string; labels: Rec } {
  const md = rec(m.metadata, `${String(m.kind)}.metadata`);
  return { name: str(md.name, `${String(m.kind)}.metadata.name`), labels: isRec(md.labels) ? md.labels : {} };
}

function matchLabels(selector: unknown, what: string): Rec {
  return rec(rec(selector, what).matchLabels, `${what}.matchLabels`);
}

/** Whether every label of the selector is on the pod. */
function selects(selector: Rec, podLabels: Rec): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);
}

function container(podSpec: Rec, name: string): Rec {
  const found = list(podSpec.containers, 'containers').filter((c) => rec(c, 'container').name === name);
  assert.equal(found.length, 1, `one container named ${name}`);
  return rec(found[0], name);
}

/** A port reference (a number, or a container port's name) as a number. */
function resolvePort(c: Rec, ref: unknown, what: string): number {
  if (typeof ref === 'number') return ref;
  const name = str(ref, what);
  const port = list(c.ports, `${String(c.name)}.ports`)
    .map((p) => rec(p, 'port'))
    .find((p) => p.name === name);
  assert.ok(port, `${what}: container ${String(c.name)} has no port named ${name}`);
  return int(port.containerPort, `${what} containerPort`);
}

function namedPort(c: Rec, name: string): number {
  return resolvePort(c, name, `${String(c.name)} port ${name}`);
}

function probe(c: Rec, which: string): { path: string; port: number } {
  const get = rec(rec(c[which], `${String(c.name)}.${which}`).httpGet, `${String(c.name)}.${which}.httpGet`);
  return { path: str(get.path, `${which}.path`), port: resolvePort(c, get.port, `${which}.port`) };
}

function preStopScript(c: Rec): string {
  const lifecycle = rec(c.lifecycle, `${String(c.name)}.lifecycle`);
  const exec = rec(rec(lifecycle.preStop, 'preStop').exec, 'preStop.exec');
  return strings(exec.command, 'preStop.exec.command').join(' ');
}

// --- Dockerfile ----------------------------------------------------------------------------

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions grouped by stage; continuation lines joined, comments dropped. */
/** The build stages of a Dockerfile, and the ARGs declared before the first FROM (name → default). */
function dockerStages(text: string): { globalArgs: Map<string, string>; stages: Instruction[][] } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const stages: Instruction[][] = [];
  const globalArgs = new Map<string, string>();
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line);
    assert.ok(m, `Dockerfile line: ${line}`);
    const instruction = { op: m[1].toUpperCase(), args: m[2].trim() };
    if (instruction.op === 'ARG' && stages.length === 0) {
      const [name, value = ''] = instruction.args.split('=');
      globalArgs.set(name, value);
      continue;
    }
    if (instruction.op === 'FROM') stages.push([]);
    assert.ok(stages.length > 0, `Dockerfile: ${instruction.op} before the first FROM`);
    stages[stages.length - 1].push(instruction);
  }
  return { globalArgs, stages };
}

function execForm(args: string, what: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    assert.fail(`${what} is not in exec (JSON) form: ${args}`);
  }
  return strings(parsed, what);
}

// --- systemd -------------------------------------------------------------------------------

/** A unit file as section -> key -> values (a key may repeat). */
function unitFile(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `unit line outside a section or without "=": ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function unitValue(unit: Map<string, Map<string, string[]>>, section: string, key: string): string {
  const values = unit.get(section)?.get(key) ?? [];
  assert.equal(values.length, 1, `[${section}] ${key}= set once`);
  return values[0];
}

function hasSystemdAnalyze(): boolean {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

// --- tests ---------------------------------------------------------------------------------

test('every YAML file under deploy/ parses (every document, no duplicate keys) and is known here', () => {
  const yamlFiles = walk(DEPLOY).filter((f) => /\.ya?ml$/.test(f));
  assert.ok(yamlFiles.length >= 9, `found ${yamlFiles.length} YAML files under deploy/`);
  const known = (f: string): boolean =>
    f === COMPOSE_FILE ||
    f === SYSTEMD_CONFIG ||
    f.startsWith(K8S + '/') ||
    f.startsWith(join(DEPLOY, 'compose') + '/');
  for (const file of yamlFiles) {
    assert.ok(known(file), `${rel(file)}: a YAML file this test does not check; add it here`);
    assert.ok(readYaml(file).length > 0, `${rel(file)}: no document`);
  }
});

test('every embedded raftinel config passes the schema (compose, ConfigMap, systemd example)', () => {
  const compose = [...composeConfigs().values()];
  assert.equal(compose.length, 3, 'deploy/compose holds n1, n2 and n3');
  checkClusterSet(compose);

  const cm = k8sManifests().one('ConfigMap');
  const data = rec(cm.data, 'ConfigMap data');
  const k8s = Object.entries(data).map(([key, text]) =>
    checkConfig(str(text, key), '/etc/raftinel', `ConfigMap ${meta(cm).name} ${key}`),
  );
  checkClusterSet(k8s);

  const example = checkConfig(readFileSync(SYSTEMD_CONFIG, 'utf8'), '/etc/raftinel', rel(SYSTEMD_CONFIG));
  const own = example.config.peers.find((p) => p.id === example.config.node.id);
  assert.equal(own?.raft, advertisedAddresses(example.config.node).raft, 'systemd example: own peers entry');
});

/**
 * What a Redis container runs: a shell that creates its config file in the data volume on the
 * first start (no replicaof) and then starts redis-server from that file. Returns the file's
 * settings, the config path and the folder it lives in.
 */
function redisStartScript(
  command: readonly string[],
  what: string,
): { settings: Map<string, string>; configPath: string } {
  assert.deepEqual(
    command.slice(0, 2).map((c) => c.replace(/^\/bin\//, '')),
    ['sh', '-c'],
    `${what}: a shell script`,
  );
  const script = command[2] ?? '';
  const exec = /exec redis-server (\S+)\s*$/.exec(script);
  assert.ok(exec, `${what}: ends with exec redis-server <config file>: ${script}`);
  const configPath = exec[1];
  assert.ok(script.includes(`[ -f ${configPath} ] ||`), `${what}: writes ${configPath} only when absent`);
  const printf = /printf '([^']*)' > (\S+);/.exec(script);
  assert.ok(printf && printf[2] === configPath, `${what}: the first start writes ${configPath}`);
  const settings = new Map(
    printf[1]
      .split('\\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [key, ...rest] = l.split(' ');
        return [key, rest.join(' ')] as [string, string];
      }),
  );
  // The restart bug this guards: a fixed `replicaof` makes a restarted Redis follow the initial
  // master whatever the current one is; raftinel sets the role and CONFIG REWRITE saves it.
  assert.ok(!/replicaof|slaveof/i.test(command.join(' ')), `${what}: no replicaof in the command`);
  return { settings, configPath };
}

test('docker-compose: 3 Redis + 3 sidecars on the host network; a restarted Redis keeps the role raftinel gave it', () => {
  const compose = rec(readYaml(COMPOSE_FILE)[0], 'docker-compose.yml');
  const services = rec(compose.services, 'services');
  assert.equal(compose.networks, undefined, 'no networks: every container uses the host network');
  const configs = composeConfigs();
  const redisImage = '${REDIS_IMAGE:-redis:7.0}';
  const redis = Object.keys(services).filter((n) => rec(services[n], n).image === redisImage);
  const sidecars = Object.keys(services).filter((n) => !redis.includes(n));
  assert.deepEqual(redis, ['r1', 'r2', 'r3'], `Redis services run ${redisImage}`);
  assert.equal(sidecars.length, 3);
  for (const name of Object.keys(services)) {
    const svc = rec(services[name], name);
    assert.equal(svc.network_mode, 'host', `${name}: host network (no bridge, no private address)`);
    assert.equal(svc.networks, undefined, `${name}: no networks`);
    assert.equal(svc.ports, undefined, `${name}: nothing published (host network)`);
    assert.equal(svc.restart, 'unless-stopped', `${name}: restarted by the engine`);
  }

  const byService = new Map<string, RaftinelConfig>();
  const hostPorts: number[] = [];
  for (const name of sidecars) {
    const svc = rec(services[name], name);
    assert.match(str(svc.image, `${name}.image`), /^raftinel:/, `${name}: the raftinel image`);
    const command = strings(svc.command, `${name}.command`);
    assert.equal(command[0], 'node', `${name}: runs \`raftinel node\``);
    const configPath = command[command.indexOf('--config') + 1];
    assert.ok(command.includes('--config') && configPath, `${name}: --config given`);
    const mounts = strings(svc.volumes, `${name}.volumes`).map((v) => v.split(':'));
    const configMount = mounts.find((m) => m[1] === configPath);
    assert.ok(configMount, `${name}: a volume mounted at ${configPath}`);
    assert.equal(configMount[2], 'ro', `${name}: config mounted read-only`);
    const source = resolve(DEPLOY, configMount[0]);
    const embedded = configs.get(source);
    assert.ok(embedded, `${name}: mounts ${configMount[0]}, a config under deploy/compose`);
    const config = embedded.config;
    byService.set(name, config);
    assert.ok(
      mounts.some((m) => m[1] === config.node.dataDir),
      `${name}: a volume at node.dataDir`,
    );
    const listen = config.node.listen;
    for (const which of ['sentinel', 'http', 'raft'] as const) {
      assert.equal(parseHostPort(listen[which])?.host, '127.0.0.1', `${name}: listens on loopback only`);
      hostPorts.push(portOf(listen[which], name));
    }
    assert.equal(config.node.announce.host, '127.0.0.1', `${name}: announces loopback`);
    const env = rec(svc.environment, `${name}.environment`);
    assert.equal(
      env.RAFTINEL_HEALTH_URL,
      `http://127.0.0.1:${portOf(listen.http, name)}/livez`,
      `${name}: the image's health check asks this node's HTTP port`,
    );

    // Its Redis: a service of this file, started before it.
    const local = config.shards.flatMap((s) => s.nodes).find((n) => n.id === config.sidecar.redis);
    assert.ok(local, `${name}: sidecar.redis names a Redis node`);
    assert.equal(
      local.id.replace(/^r/, ''),
      name.replace(/^n/, ''),
      `${name}: sidecar of the Redis of its number`,
    );
    assert.ok(
      strings(svc.depends_on, `${name}.depends_on`).includes(local.id),
      `${name}: depends on ${local.id}`,
    );
  }
  assert.deepEqual([...byService.keys()].sort(), sidecars.sort());

  // Redis: each started from a config file kept in its data volume (so the role raftinel gave
  // it survives a restart), on the loopback port the configs name.
  const shard = [...byService.values()][0].shards[0];
  assert.deepEqual(
    shard.nodes.map((n) => n.id).sort(),
    [...redis].sort(),
    'the Redis nodes are the services',
  );
  for (const node of shard.nodes) {
    const svc = rec(services[node.id], node.id);
    const { settings, configPath } = redisStartScript(strings(svc.command, `${node.id}.command`), node.id);
    assert.equal(node.host, '127.0.0.1', `${node.id}: named by its loopback address`);
    assert.equal(Number(settings.get('port')), node.port, `${node.id}: listens on the port the configs name`);
    assert.equal(settings.get('bind'), '127.0.0.1', `${node.id}: loopback only`);
    const volume = strings(svc.volumes, `${node.id}.volumes`)
      .map((v) => v.split(':'))
      .find((m) => configPath.startsWith(`${m[1]}/`));
    assert.ok(
      volume && isRec(compose.volumes) && volume[0] in compose.volumes,
      `${node.id}: ${configPath} is in a named volume`,
    );
    assert.equal(settings.get('dir'), volume[1], `${node.id}: data next to its config`);
    hostPorts.push(node.port);
  }
  assert.equal(
    new Set(hostPorts).size,
    hostPorts.length,
    `no two listeners share a host port: ${hostPorts.join(' ')}`,
  );

  // The build the first sidecar names is deploy/Dockerfile, from the repository's top folder.
  const build = rec(rec(services[sidecars[0]], sidecars[0]).build, 'build');
  const context = resolve(DEPLOY, str(build.context, 'build.context'));
  assert.equal(context, resolve(ROOT), 'build context: the repository');
  assert.ok(existsSync(join(context, str(build.dockerfile, 'build.dockerfile'))), 'build.dockerfile exists');
  assert.equal(
    rec(build.args, 'build.args').BASE,
    '${RAFTINEL_BASE:-node:20-bookworm-slim}',
    'BASE: public default',
  );
});

test('Kubernetes: StatefulSet, Services, PDB and ConfigMap agree with each other and the configs', () => {
  const k8s = k8sManifests();
  for (const m of k8s.all) {
    assert.equal(typeof m.apiVersion, 'string', `${String(m.kind)}: apiVersion`);
    assert.equal(typeof m.kind, 'string', 'kind');
    meta(m);
  }
  const sts = k8s.one('StatefulSet');
  const stsName = meta(sts).name;
  const spec = rec(sts.spec, 'StatefulSet.spec');
  const replicas = int(spec.replicas, 'replicas');
  assert.equal(replicas, 3);
  assert.equal(spec.podManagementPolicy, 'Parallel', 'pods start together (readiness needs a Raft majority)');
  const template = rec(spec.template, 'template');
  const podLabels = rec(rec(template.metadata, 'template.metadata').labels, 'pod labels');
  assert.ok(
    selects(matchLabels(spec.selector, 'StatefulSet.selector'), podLabels),
    'selector matches the pods',
  );
  const pod = rec(template.spec, 'pod spec');
  assert.equal(rec(pod.securityContext, 'pod securityContext').runAsNonRoot, true, 'runAsNonRoot');
  const redis = container(pod, 'redis');
  const node = container(pod, 'raftinel');
  for (const c of [redis, node]) {
    const sc = rec(c.securityContext, `${String(c.name)}.securityContext`);
    assert.ok(int(sc.runAsUser, 'runAsUser') > 0, `${String(c.name)}: not root`);
    assert.equal(sc.allowPrivilegeEscalation, false, `${String(c.name)}: allowPrivilegeEscalation`);
  }

  // One config per pod, chosen by the pod's name.
  const volumes = list(pod.volumes, 'volumes').map((v) => rec(v, 'volume'));
  const configVolume = volumes.find((v) => isRec(v.configMap));
  assert.ok(configVolume, 'a ConfigMap volume');
  const cm = k8s.one('ConfigMap', str(rec(configVolume.configMap, 'configMap').name, 'configMap.name'));
  const data = rec(cm.data, 'ConfigMap data');
  const keys = Array.from({ length: replicas }, (_, i) => `${stsName}-${i}.yaml`);
  assert.deepEqual(Object.keys(data).sort(), keys, 'one config per pod, named after it');
  const configs = keys.map((key) => checkConfig(str(data[key], key), '/etc/raftinel', key));
  const env = list(node.env, 'raftinel env').map((e) => rec(e, 'env'));
  const podName = env.findIndex((e) => e.name === 'POD_NAME');
  const configEnv = env.findIndex((e) => e.name === 'RAFTINEL_CONFIG');
  assert.ok(podName >= 0 && podName < configEnv, 'POD_NAME is defined before RAFTINEL_CONFIG uses it');
  const fieldRef = rec(rec(env[podName].valueFrom, 'POD_NAME.valueFrom').fieldRef, 'fieldRef');
  assert.equal(fieldRef.fieldPath, 'metadata.name');
  const configPath = str(env[configEnv].value, 'RAFTINEL_CONFIG');
  const mounts = list(node.volumeMounts, 'raftinel volumeMounts').map((m) => rec(m, 'volumeMount'));
  const configMount = mounts.find((m) => m.name === configVolume.name);
  assert.ok(configMount, 'the config volume is mounted');
  assert.equal(configPath, posix.join(str(configMount.mountPath, 'mountPath'), '$(POD_NAME).yaml'));
  assert.deepEqual(
    strings(node.args, 'raftinel args'),
    ['node'],
    'runs `raftinel node`; the config from the env',
  );

  // Each pod announces its own stable name, which is also its Redis node's host.
  const serviceName = str(spec.serviceName, 'serviceName');
  configs.forEach(({ label, config }, i) => {
    const host = `${stsName}-${i}.${serviceName}`;
    assert.equal(config.node.announce.host, host, `${label}: announce.host`);
    const local = config.shards.flatMap((s) => s.nodes).find((n) => n.id === config.sidecar.redis);
    assert.equal(local?.host, host, `${label}: sidecar.redis is the Redis of the same pod`);
    const dataMount = mounts.find((m) => m.mountPath === config.node.dataDir);
    assert.ok(dataMount, `${label}: node.dataDir is a mounted volume`);
    const claims = list(spec.volumeClaimTemplates, 'volumeClaimTemplates').map(
      (c) => meta(rec(c, 'claim')).name,
    );
    assert.ok(claims.includes(str(dataMount.name, 'mount name')), 'the Raft data dir is a persistent volume');
  });
  assert.equal(configs[0].config.peers.length, replicas, 'every replica is a Raft peer');
  for (const { label, config } of configs) {
    for (const n of config.shards.flatMap((s) => s.nodes)) {
      assert.equal(
        n.port,
        namedPort(redis, 'redis'),
        `${label}: Redis ${n.id} port is the redis container's`,
      );
    }
  }

  // Ports and probes follow the configs' listeners.
  const ports = sharedListenPorts(configs);
  for (const which of ['sentinel', 'http', 'raft'] as const) {
    assert.equal(namedPort(node, which), ports[which], `container port ${which}`);
  }
  assert.deepEqual(probe(node, 'readinessProbe'), { path: '/readyz', port: ports.http });
  assert.deepEqual(probe(node, 'livenessProbe'), { path: '/livez', port: ports.http });

  // preStop: a switchover away from this pod's Redis, only when it is the master.
  const shards = configs[0].config.shards;
  const script = preStopScript(node);
  const promote = /raftinel promote (\S+) --yes --endpoint (\S+)/.exec(script);
  assert.ok(promote, `preStop runs raftinel promote: ${script}`);
  assert.ok(
    shards.some((s) => s.name === promote[1]),
    `preStop promotes shard ${promote[1]} of the config`,
  );
  assert.equal(promote[2], `http://127.0.0.1:${ports.http}`, 'preStop asks the local node (loopback admin)');
  assert.ok(script.includes(`http://127.0.0.1:${ports.http}/primary`), 'preStop first asks /primary');
  assert.match(preStopScript(redis), /redis-cli .*role/, 'Redis waits for the switchover before it stops');
  const redisStart = redisStartScript(strings(redis.command, 'redis.command'), 'k8s redis');
  assert.equal(
    Number(redisStart.settings.get('port')),
    namedPort(redis, 'redis'),
    'Redis config: the container port',
  );
  const dataMount = list(redis.volumeMounts, 'redis.volumeMounts')
    .map((m) => rec(m, 'volumeMount'))
    .find((m) => redisStart.configPath.startsWith(`${str(m.mountPath, 'mountPath')}/`));
  assert.ok(dataMount, `redis: ${redisStart.configPath} is on a mounted volume`);
  const claims = list(spec.volumeClaimTemplates, 'volumeClaimTemplates').map(
    (c) => meta(rec(c, 'claim')).name,
  );
  assert.ok(claims.includes(str(dataMount.name, 'mount name')), 'redis: its config survives the pod (a PVC)');
  const grace = int(pod.terminationGracePeriodSeconds, 'terminationGracePeriodSeconds');
  const longestStep = Math.max(...shards.map((s) => s.failoverTimeoutMs));
  assert.ok(grace * 1000 > longestStep, `grace ${grace} s > a switchover step (${longestStep} ms)`);

  // Services.
  const headless = k8s.one('Service', serviceName);
  const hs = rec(headless.spec, 'headless spec');
  assert.equal(hs.clusterIP, 'None', 'the governing Service is headless');
  assert.equal(hs.publishNotReadyAddresses, true, 'peers resolve each other before any is ready');
  const discovery = k8s.all.filter((m) => m.kind === 'Service' && m !== headless);
  assert.equal(discovery.length, 1, 'one discovery Service');
  const ds = rec(discovery[0].spec, 'discovery spec');
  assert.notEqual(ds.clusterIP, 'None', 'the discovery Service balances');
  const byContainerPort = (c: Rec, port: number): boolean =>
    list(c.ports, 'ports').some((p) => rec(p, 'port').containerPort === port);
  for (const [svc, want] of [
    [hs, ['sentinel', 'http', 'raft']],
    [ds, ['sentinel', 'http']],
  ] as const) {
    assert.ok(selects(rec(svc.selector, 'Service selector'), podLabels), 'Service selects the pods');
    const svcPorts = list(svc.ports, 'Service ports').map((p) => rec(p, 'Service port'));
    for (const name of want) {
      const p = svcPorts.find((x) => x.name === name);
      assert.ok(p, `Service port ${name}`);
      assert.equal(p.port, ports[name], `Service port ${name} is the listen port`);
      assert.equal(
        resolvePort(node, p.targetPort ?? p.port, `targetPort ${name}`),
        ports[name],
        `targetPort ${name}`,
      );
    }
    for (const p of svcPorts) {
      const target = p.targetPort ?? p.port;
      const c = [node, redis].find((x) =>
        typeof target === 'number'
          ? byContainerPort(x, target)
          : list(x.ports, 'ports').some((q) => rec(q, 'p').name === target),
      );
      assert.ok(c, `Service port ${String(p.name)} leads to a container port`);
    }
  }

  // PDB: the same pods, one at a time.
  const pdb = rec(k8s.one('PodDisruptionBudget').spec, 'PDB spec');
  assert.equal(pdb.maxUnavailable, 1);
  assert.ok(
    selects(matchLabels(pdb.selector, 'PDB selector'), podLabels),
    'PDB selects the StatefulSet pods',
  );
});

test('Dockerfile: multi-stage on Node 20 (or a local BASE), non-root runtime, the package binary, the listen ports', () => {
  const dockerfile = join(DEPLOY, 'Dockerfile');
  const { globalArgs, stages } = dockerStages(readFileSync(dockerfile, 'utf8'));
  assert.ok(stages.length >= 2, `multi-stage: ${stages.length} FROM`);
  // BASE defaults to the public Node 20 image; deploy/local-base/build-base.sh makes one for
  // engines that cannot pull.
  assert.match(globalArgs.get('BASE') ?? '', /^node:20[-.]/, 'ARG BASE defaults to a Node 20 image');
  for (const stage of stages)
    assert.match(stage[0].args, /^\$\{BASE\}\s/, `FROM ${stage[0].args}: the BASE image`);
  const [build] = stages;
  const runtime = stages[stages.length - 1];
  const last = (op: string): string | undefined => runtime.filter((i) => i.op === op).at(-1)?.args;
  const user = last('USER');
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `runtime USER ${user ?? '(none)'} is not root`);
  const runs = runtime.filter((i) => i.op === 'RUN').map((i) => i.args);
  const buildRun = build
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join('\n');
  assert.match(
    buildRun,
    /npm ci\b[\s\S]*npm run build[\s\S]*npm prune --omit=dev/,
    'the build keeps production dependencies only',
  );
  assert.match(
    buildRun,
    /PREBUILT" = 1[\s\S]*dist\/src\/cli\/main\.js/,
    'PREBUILT=1 checks the staged dist/src',
  );
  for (const what of ['dist/src', 'node_modules'])
    assert.ok(
      runtime.some((i) => i.op === 'COPY' && new RegExp(`--from=\\S+\\s+\\S*${what}\\s`).test(i.args)),
      `runtime copies ${what} from the build stage`,
    );

  const pkg = rec(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')), 'package.json');
  const bin = str(rec(pkg.bin, 'bin').raftinel, 'bin.raftinel');
  const workdir = last('WORKDIR') ?? '/';
  const entrypoint = execForm(last('ENTRYPOINT') ?? '', 'ENTRYPOINT');
  assert.deepEqual(entrypoint, ['node', posix.join(workdir, bin)], 'ENTRYPOINT runs the package binary');
  assert.ok(existsSync(join(ROOT, bin)), `${bin} is built`);
  assert.deepEqual(execForm(last('CMD') ?? '', 'CMD'), ['node', '--config', '/etc/raftinel/raftinel.yaml']);
  const link = `ln -s ${posix.join(workdir, bin)} /usr/local/bin/raftinel`;
  assert.ok(
    runs.some((r) => r.includes(link)),
    '`raftinel` is on PATH (the preStop hook and `exec ... raftinel` use it)',
  );

  // The ports every config under deploy/ listens on are exposed; the health check hits /livez.
  // (The compose nodes share the host's network, each on its own ports; they set the health URL.)
  const exposed = (last('EXPOSE') ?? '').split(/\s+/).map(Number).sort();
  const configs = [checkConfig(readFileSync(SYSTEMD_CONFIG, 'utf8'), '/etc/raftinel', rel(SYSTEMD_CONFIG))];
  const ports = sharedListenPorts(configs);
  assert.deepEqual(exposed, [ports.sentinel, ports.http, ports.raft].sort());
  assert.deepEqual(
    exposed,
    Object.values(DEFAULTS.listen)
      .map((a) => portOf(a, 'default'))
      .sort(),
  );
  const healthcheck = last('HEALTHCHECK') ?? '';
  const check = /\bCMD\s+(\[.*\])$/.exec(healthcheck);
  assert.ok(check, `a HEALTHCHECK in exec form: ${healthcheck}`);
  assert.equal(
    execForm(check[1], 'HEALTHCHECK CMD')[0],
    'node',
    'the health check asks node (no curl in slim)',
  );
  const envs = runtime
    .filter((i) => i.op === 'ENV')
    .map((i) => i.args)
    .join(' ');
  const healthUrl = /RAFTINEL_HEALTH_URL=(\S+)/.exec(envs)?.[1];
  const url = healthcheck.includes('RAFTINEL_HEALTH_URL')
    ? healthUrl
    : /http:\/\/\S+?livez/.exec(healthcheck)?.[0];
  assert.equal(url, `http://127.0.0.1:${ports.http}/livez`, 'health check URL');

  // The ignore file next to the Dockerfile lets in what `npm ci` and `npm run build` read (the
  // build stage copies the whole context) and nothing else.
  const ignore = readFileSync(`${dockerfile}.dockerignore`, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(ignore[0], '*', 'Dockerfile.dockerignore is an allow-list');
  assert.ok(
    build.some((i) => i.op === 'COPY' && /^\.\s+\.\/?$/.test(i.args)),
    'the build stage copies the context',
  );
  for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'test', 'bench']) {
    assert.ok(existsSync(join(ROOT, path)), `${path}: exists in the repository`);
    assert.ok(ignore.includes(`!${path}`), `Dockerfile.dockerignore lets in ${path}`);
  }
  for (const path of ['node_modules', 'dist']) assert.ok(!ignore.includes(`!${path}`), `${path} stays out`);
});

test('systemd unit: Type=exec, unprivileged, hardened, and systemd-analyze verify passes', (t) => {
  const text = readFileSync(UNIT_FILE, 'utf8');
  const unit = unitFile(text);
  const want: Record<string, string> = {
    Type: 'exec',
    User: 'raftinel',
    Restart: 'on-failure',
    KillSignal: 'SIGTERM',
    TimeoutStopSec: '5',
    NoNewPrivileges: 'yes',
    ProtectSystem: 'strict',
    PrivateTmp: 'yes',
    StateDirectory: 'raftinel',
  };
  for (const [key, value] of Object.entries(want)) assert.equal(unitValue(unit, 'Service', key), value, key);
  const execStart = unitValue(unit, 'Service', 'ExecStart').split(/\s+/);
  assert.equal(basename(execStart[0]), 'raftinel', 'ExecStart runs the raftinel binary');
  assert.deepEqual(execStart.slice(1, 3), ['node', '--config']);
  const example = checkConfig(readFileSync(SYSTEMD_CONFIG, 'utf8'), '/etc/raftinel', rel(SYSTEMD_CONFIG));
  assert.equal(basename(execStart[3]), basename(SYSTEMD_CONFIG), 'ExecStart reads the example config');
  const stateDir = `/var/lib/${unitValue(unit, 'Service', 'StateDirectory')}`;
  assert.equal(example.config.node.dataDir, stateDir, 'node.dataDir is the StateDirectory');
  assert.ok(unitValue(unit, 'Service', 'ReadWritePaths').split(/\s+/).includes(stateDir), 'ReadWritePaths');

  if (!hasSystemdAnalyze()) {
    t.skip(
      'systemd-analyze is not installed (Debian package systemd; `make test` installs it): verify not run',
    );
    return;
  }
  // verify fails a unit whose ExecStart binary is missing, and /usr/bin/raftinel exists only
  // once installed. So verify a copy that differs in that one path: the node binary running the
  // built main.js, which is what /usr/bin/raftinel is. (User=raftinel need not exist: verify
  // does not resolve users.) verify exits 0 even on keys it ignores, printing a warning: any
  // output is a failure.
  const dir = mkdtempSync(join(tmpdir(), 'raftinel-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const built = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  const copy = join(dir, 'raftinel.service');
  const verify = (unitText: string): { status: number | null; output: string } => {
    writeFileSync(copy, unitText);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', copy], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  };
  const rewritten = text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${built}`);
  assert.notEqual(rewritten, text);
  assert.deepEqual(verify(rewritten), { status: 0, output: '' }, 'systemd-analyze verify');
  // The check can fail: a typo in a value is reported.
  const typo = verify(rewritten.replace('Type=exec', 'Type=exce'));
  assert.match(typo.output, /exce/, 'verify reports a bad Type=');
});
