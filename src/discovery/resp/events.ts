// Sentinel's event channels and message formats (docs/design.md 5.1; sentinel.c sentinelEvent), for
// the code that publishes through SentinelRespServer.publish. The names are constants so that
// a typo is a compile error, and the formats are Sentinel's so that scripts parsing them work:
// `%@` is `<type> <name> <ip> <port>`, plus ` @ <master> <ip> <port>` for non-masters. Redis nodes
// are named by the address clients are told (their announce address when they have one).
import { told, type Address } from '../sentinel-events.js';

export const SENTINEL_EVENTS = [
  '+sdown',
  '-sdown',
  '+odown',
  '-odown',
  '+new-epoch',
  '+try-failover',
  '+elected-leader',
  '+selected-slave',
  '-failover-abort-no-good-slave',
  '+promoted-slave',
  '+slave-reconf-sent',
  '+slave-reconf-done',
  '+failover-end',
  '+switch-master',
  '+slave',
  '+sentinel',
  '+convert-to-slave',
  '+tilt',
  '-tilt',
] as const;

export type SentinelEvent = (typeof SENTINEL_EVENTS)[number];

export type { Address } from '../sentinel-events.js';

/** `master <name> <ip> <port>`: %@ for a master. */
export function masterDetails(name: string, master: Address): string {
  const m = told(master);
  return `master ${name} ${m.host} ${m.port}`;
}

/** `slave <ip>:<port> <ip> <port> @ <master-name> <master-ip> <master-port>`: %@ for a replica. */
export function replicaDetails(replica: Address, masterName: string, master: Address): string {
  const { host, port } = told(replica);
  const m = told(master);
  return `slave ${host}:${port} ${host} ${port} @ ${masterName} ${m.host} ${m.port}`;
}

/** `sentinel <runid> <ip> <port> @ <master-name> <master-ip> <master-port>`: %@ for a peer. */
export function sentinelDetails(runId: string, peer: Address, masterName: string, master: Address): string {
  const m = told(master);
  return `sentinel ${runId} ${peer.host} ${peer.port} @ ${masterName} ${m.host} ${m.port}`;
}

/** `+odown`'s message: `%@ #quorum <votes>/<quorum>`. */
export function odownMessage(name: string, master: Address, votes: number, quorum: number): string {
  return `${masterDetails(name, master)} #quorum ${votes}/${quorum}`;
}

/** `+switch-master`'s message: `<name> <old-ip> <old-port> <new-ip> <new-port>` (no %@). */
export function switchMasterMessage(name: string, from: Address, to: Address): string {
  const [f, t] = [told(from), told(to)];
  return `${name} ${f.host} ${f.port} ${t.host} ${t.port}`;
}

/** `+tilt` / `-tilt` messages. */
export const TILT_ENTERED = '#tilt mode entered';
export const TILT_EXITED = '#tilt mode exited';
