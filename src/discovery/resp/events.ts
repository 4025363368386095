// Sentinel's event channels and message formats (DESIGN 5.1; sentinel.c sentinelEvent), for
// the code that publishes through SentinelRespServer.publish. The names are constants so that
// a typo is a compile error, and the formats are Sentinel's so that scripts parsing them work:
// `%@` is `<type> <name> <ip> <port>`, plus ` @ <master> <ip> <port>` for non-masters.

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

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** `master <name> <ip> <port>`: %@ for a master. */
export function masterDetails(name: string, master: Address): string {
  return `master ${name} ${master.host} ${master.port}`;
}

/** `slave <ip>:<port> <ip> <port> @ <master-name> <master-ip> <master-port>`: %@ for a replica. */
export function replicaDetails(replica: Address, masterName: string, master: Address): string {
  const { host, port } = replica;
  return `slave ${host}:${port} ${host} ${port} @ ${masterName} ${master.host} ${master.port}`;
}

/** `sentinel <runid> <ip> <port> @ <master-name> <master-ip> <master-port>`: %@ for a peer. */
export function sentinelDetails(runId: string, peer: Address, masterName: string, master: Address): string {
  return `sentinel ${runId} ${peer.host} ${peer.port} @ ${masterName} ${master.host} ${master.port}`;
}

/** `+odown`'s message: `%@ #quorum <votes>/<quorum>`. */
export function odownMessage(name: string, master: Address, votes: number, quorum: number): string {
  return `${masterDetails(name, master)} #quorum ${votes}/${quorum}`;
}

/** `+switch-master`'s message: `<name> <old-ip> <old-port> <new-ip> <new-port>` (no %@). */
export function switchMasterMessage(name: string, from: Address, to: Address): string {
  return `${name} ${from.host} ${from.port} ${to.host} ${to.port}`;
}

/** `+tilt` / `-tilt` messages. */
export const TILT_ENTERED = '#tilt mode entered';
export const TILT_EXITED = '#tilt mode exited';
