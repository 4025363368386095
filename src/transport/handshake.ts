// The versioned peer handshake. The dialer sends `hello`; the listener answers `hello-ok` or
// `hello-reject` and closes. Both sides check protocol version and cluster id, so that two
// clusters sharing a network (or a stale address in a log) never exchange Raft messages.
import type { NodeId } from '../raft/types.js';
import { MAX_NODE_ID_LENGTH } from './message-guard.js';
import { fields, ident, nat, parseWith, str, type Fields, type Parsed } from './shape.js';

export const PROTOCOL_VERSION = 1;

/** Longest cluster id or node id a hello may carry. */
export const MAX_IDENT_LENGTH = MAX_NODE_ID_LENGTH;
const MAX_CLUSTER_LENGTH = MAX_IDENT_LENGTH;
const MAX_ADDRESS_LENGTH = 256;
const MAX_REASON_LENGTH = 256;

/** What a node advertises: where others reach its Raft, HTTP and RESP listeners. */
export interface PeerAddresses {
  readonly raft: string;
  readonly http: string;
  readonly sentinel: string;
}

/** Body of `hello` (dialer) and `hello-ok` (listener): the same fields both ways. */
export interface HelloBody {
  readonly version: number;
  readonly cluster: string;
  readonly nodeId: NodeId;
  readonly addresses: PeerAddresses;
}

export interface HelloRejectBody {
  readonly reason: HandshakeRejectReason | string;
  readonly version: number;
}

export type HandshakeRejectReason =
  'bad-hello' | 'version-mismatch' | 'cluster-mismatch' | 'same-node-id' | 'node-id-mismatch';

export type HandshakeCheck =
  | { readonly ok: true; readonly hello: HelloBody }
  | { readonly ok: false; readonly reason: HandshakeRejectReason; readonly detail: string };

function readAddresses(value: unknown, path: string): PeerAddresses {
  const a = fields(value, path);
  return {
    raft: str(a, 'raft', path, MAX_ADDRESS_LENGTH),
    http: str(a, 'http', path, MAX_ADDRESS_LENGTH),
    sentinel: str(a, 'sentinel', path, MAX_ADDRESS_LENGTH),
  };
}

function readHello(h: Fields, version: number): HelloBody {
  return {
    version,
    cluster: ident(h, 'cluster', 'hello', MAX_CLUSTER_LENGTH),
    nodeId: ident(h, 'nodeId', 'hello', MAX_NODE_ID_LENGTH),
    addresses: readAddresses(h.addresses, 'hello.addresses'),
  };
}

// Version first: a later version may change every other field, so only `version` is read
// before deciding whether the rest can be understood.
function readVersioned(body: unknown): Parsed<{ version: number; fields: Fields }> {
  return parseWith(() => {
    const h = fields(body, 'hello');
    return { version: nat(h, 'version', 'hello'), fields: h };
  });
}

/** The common checks on a `hello` or `hello-ok` body. */
function checkCommon(body: unknown, cluster: string): HandshakeCheck {
  const versioned = readVersioned(body);
  if (!versioned.ok) return { ok: false, reason: 'bad-hello', detail: versioned.reason };
  const { version } = versioned.value;
  if (version !== PROTOCOL_VERSION) {
    return {
      ok: false,
      reason: 'version-mismatch',
      detail: `version ${version}, expected ${PROTOCOL_VERSION}`,
    };
  }
  const hello = parseWith(() => readHello(versioned.value.fields, version));
  if (!hello.ok) return { ok: false, reason: 'bad-hello', detail: hello.reason };
  if (hello.value.cluster !== cluster) {
    return {
      ok: false,
      reason: 'cluster-mismatch',
      detail: `cluster "${hello.value.cluster}", expected "${cluster}"`,
    };
  }
  return { ok: true, hello: hello.value };
}

/** Listener side: may this dialer talk to us? Membership is checked per message, not here. */
export function checkHello(body: unknown, local: { cluster: string; nodeId: NodeId }): HandshakeCheck {
  const result = checkCommon(body, local.cluster);
  if (result.ok && result.hello.nodeId === local.nodeId) {
    return { ok: false, reason: 'same-node-id', detail: `peer claims this node's own id "${local.nodeId}"` };
  }
  return result;
}

/** Dialer side: is the node that answered the one we meant to reach? */
export function checkHelloOk(body: unknown, expected: { cluster: string; nodeId: NodeId }): HandshakeCheck {
  const result = checkCommon(body, expected.cluster);
  if (result.ok && result.hello.nodeId !== expected.nodeId) {
    return {
      ok: false,
      reason: 'node-id-mismatch',
      detail: `answered as "${result.hello.nodeId}", dialed "${expected.nodeId}"`,
    };
  }
  return result;
}

/** The reason a listener gave; an unreadable body still yields a printable reason. */
export function readRejectReason(body: unknown): string {
  const parsed = parseWith(() =>
    str(fields(body, 'hello-reject'), 'reason', 'hello-reject', MAX_REASON_LENGTH),
  );
  return parsed.ok ? parsed.value : 'unreadable hello-reject';
}
