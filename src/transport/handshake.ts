// The versioned peer handshake. The dialer sends `hello` (with its nonce); the listener answers
// `hello-ok` (with its nonce and, with a cluster secret, its proof) or `hello-reject` and closes;
// the dialer checks that proof and sends `hello-auth` (its own proof, or null without a secret)
// before anything else. The listener accepts the dialer's node id only after checking that. Both
// sides check protocol version and cluster id, so that two clusters sharing a network (or a
// stale address in a log) never exchange Raft messages.
import type { NodeId } from '../raft/types.js';
import { MAX_NODE_ID_LENGTH } from './message-guard.js';
import { NONCE_BYTES, PROOF_LENGTH } from './peer-auth.js';
import { fields, ident, nat, parseWith, ShapeError, str, type Fields, type Parsed } from './shape.js';

/** 2: nonces, proofs and hello-auth (peer authentication). */
export const PROTOCOL_VERSION = 2;

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
  /** Fresh per connection: the hex of NONCE_BYTES random bytes. */
  readonly nonce: string;
}

/** What a node says of itself in every hello; each connection adds a fresh nonce. */
export type OwnHello = Omit<HelloBody, 'nonce'>;

/** `hello-ok`: the listener's hello plus its proof (null when it has no cluster secret). */
export interface HelloOkBody extends HelloBody {
  readonly proof: string | null;
}

/** `hello-auth`: the dialer's proof (null when it has no cluster secret). */
export interface HelloAuthBody {
  readonly proof: string | null;
}

export interface HelloRejectBody {
  readonly reason: HandshakeRejectReason | string;
  readonly version: number;
}

export type HandshakeRejectReason =
  | 'bad-hello'
  | 'version-mismatch'
  | 'cluster-mismatch'
  | 'same-node-id'
  | 'node-id-mismatch'
  | 'auth-failed'
  | 'auth-mismatch';

export type HandshakeCheck<H = HelloBody> =
  | { readonly ok: true; readonly hello: H }
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
    nonce: hex(h, 'nonce', 'hello', NONCE_BYTES * 2),
  };
}

const HEX = /^[0-9a-f]+$/;

function hex(h: Fields, key: string, path: string, length: number): string {
  const value = str(h, key, path, length);
  if (value.length !== length || !HEX.test(value))
    throw new ShapeError(`${path}.${key}: expected ${length} hex digits`);
  return value;
}

/** A proof field: null, or PROOF_LENGTH hex digits. */
function proofField(h: Fields, path: string): string | null {
  return h.proof === null ? null : hex(h, 'proof', path, PROOF_LENGTH);
}

/** Reads a `hello-auth` body. */
export function readHelloAuth(body: unknown): Parsed<HelloAuthBody> {
  return parseWith(() => ({ proof: proofField(fields(body, 'hello-auth'), 'hello-auth') }));
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

/** Dialer side: is the node that answered the one we meant to reach? Its proof is judged apart. */
export function checkHelloOk(
  body: unknown,
  expected: { cluster: string; nodeId: NodeId },
): HandshakeCheck<HelloOkBody> {
  const result = checkCommon(body, expected.cluster);
  if (!result.ok) return result;
  if (result.hello.nodeId !== expected.nodeId) {
    return {
      ok: false,
      reason: 'node-id-mismatch',
      detail: `answered as "${result.hello.nodeId}", dialed "${expected.nodeId}"`,
    };
  }
  const proof = parseWith(() => proofField(fields(body, 'hello-ok'), 'hello-ok'));
  if (!proof.ok) return { ok: false, reason: 'bad-hello', detail: proof.reason };
  return { ok: true, hello: { ...result.hello, proof: proof.value } };
}

/** The reason a listener gave; an unreadable body still yields a printable reason. */
export function readRejectReason(body: unknown): string {
  const parsed = parseWith(() =>
    str(fields(body, 'hello-reject'), 'reason', 'hello-reject', MAX_REASON_LENGTH),
  );
  return parsed.ok ? parsed.value : 'unreadable hello-reject';
}
