// Sentinel's event messages, in one place (issue 12 item 5): what a Sentinel client reads on
// the pub/sub channels (+switch-master, +promoted-slave, +selected-slave, +odown, +slave,
// +sentinel, +tilt, ...) and what the logs show. Formats as Sentinel's sentinelEvent() writes them
// (docs/design.md 5.1); Redis nodes are named by the address clients are told (announce).
import type { Topology } from '../failover/topology.js';
import type { HostPort } from '../failover/types.js';

/** A node's address; one with an announce address is told to clients by that one. */
export interface Address extends HostPort {
  readonly announce?: HostPort;
}

/** The address clients are told (announce, else the node's own). */
export function told(a: Address): HostPort {
  return a.announce ?? a;
}

/** `<name> <old-ip> <old-port> <new-ip> <new-port>` (`?` and 0 for an unknown old master). */
export function switchMasterMessage(shard: string, from: Address | null | undefined, to: Address): string {
  const [f, t] = [from ? told(from) : null, told(to)];
  return `${shard} ${f?.host ?? '?'} ${f?.port ?? 0} ${t.host} ${t.port}`;
}

/** `slave <ip>:<port> <ip> <port> @ <name> <master-ip> <master-port>`. */
export function replicaMessage(replica: Address, shard: string, master: Address | null | undefined): string {
  const m = master ? told(master) : null;
  return `${selectedReplicaMessage(replica, shard)} ${m?.host ?? '?'} ${m?.port ?? 0}`;
}

/** `slave <ip>:<port> <ip> <port> @ <name>` (the master's address is not told: +selected-slave). */
export function selectedReplicaMessage(replica: Address, shard: string): string {
  const { host, port } = told(replica);
  return `slave ${host}:${port} ${host} ${port} @ ${shard}`;
}

/** `master <name> <ip> <port>`: %@ for a master (+elected-leader, +odown). */
export function masterDetails(name: string, master: Address): string {
  const m = told(master);
  return `master ${name} ${m.host} ${m.port}`;
}

/** `sentinel <runid> <ip> <port> @ <master-name> <master-ip> <master-port>`: %@ for a peer. */
export function sentinelDetails(runId: string, peer: HostPort, masterName: string, master: Address): string {
  const m = told(master);
  return `sentinel ${runId} ${peer.host} ${peer.port} @ ${masterName} ${m.host} ${m.port}`;
}

/** `+odown`'s message: `%@ #quorum <votes>/<quorum>`. */
export function odownMessage(name: string, master: Address, votes: number, quorum: number): string {
  return `${masterDetails(name, master)} #quorum ${votes}/${quorum}`;
}

/** `+tilt` / `-tilt` messages. */
export const TILT_ENTERED = '#tilt mode entered';
export const TILT_EXITED = '#tilt mode exited';

/** `master <name>` as in +try-failover, +failover-end, -failover-abort. */
export function masterMessage(shard: string): string {
  return `master ${shard}`;
}

/** An engine event: `slave ... @ <master>` with a node's address, else `master <name> <ip> <port>` (+odown adds `#quorum n`). */
export function engineEventMessage(
  name: string,
  shard: string,
  detail: Record<string, unknown>,
  topo: Topology,
): string {
  const s = topo.shards[shard];
  const master = s?.nodes.find((n) => n.id === s.master);
  const m = master ? told(master) : null;
  const at = m ? `${shard} ${m.host} ${m.port}` : shard;
  const node = typeof detail.node === 'string' ? s?.nodes.find((n) => n.id === detail.node) : undefined;
  if (node) return `${selectedReplicaMessage(node, shard)}${m ? ` ${m.host} ${m.port}` : ''}`;
  if (typeof detail.host === 'string')
    return `slave ${detail.host}:${String(detail.port)} ${detail.host} ${String(detail.port)} @ ${at}`;
  return `master ${at}${name === '+odown' ? ` #quorum ${Array.isArray(detail.observers) ? detail.observers.length : 0}` : ''}`;
}
