// Every frame carries one JSON envelope `{kind, body}`. The transport reserves the handshake
// kinds and `raft`; other modules add their own kinds (`obs`, `fwd`, ...) through TcpTransport.
import { encodeFrame } from './frame.js';
import { fields, isFields, parseWith, ShapeError, type Parsed } from './shape.js';

export const KIND_HELLO = 'hello';
export const KIND_HELLO_OK = 'hello-ok';
export const KIND_HELLO_REJECT = 'hello-reject';
export const KIND_HELLO_AUTH = 'hello-auth';
export const KIND_RAFT = 'raft';

/** Kinds the transport handles itself; onEnvelope/sendEnvelope refuse them. */
export const RESERVED_KINDS: ReadonlySet<string> = new Set([
  KIND_HELLO,
  KIND_HELLO_OK,
  KIND_HELLO_REJECT,
  KIND_HELLO_AUTH,
  KIND_RAFT,
]);

// Short, lowercase names keep log lines readable and leave no room for odd keys.
const KIND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export function isValidKind(kind: string): boolean {
  return KIND_PATTERN.test(kind);
}

export interface Envelope {
  readonly kind: string;
  /** Not yet validated: each kind's receiver narrows it. */
  readonly body: unknown;
}

const encoder = new TextEncoder();

/** The JSON payload of an envelope, without the frame header. */
export function encodeEnvelopePayload(kind: string, body: unknown): Uint8Array {
  return encoder.encode(JSON.stringify({ kind, body }));
}

/** A whole frame (length prefix included) carrying one envelope. */
export function encodeEnvelopeFrame(kind: string, body: unknown): Uint8Array {
  return encodeFrame(encodeEnvelopePayload(kind, body));
}

// fatal: a payload that is not valid UTF-8 is refused instead of being patched with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function readJson(payload: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new ShapeError('payload is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ShapeError('payload is not valid JSON');
  }
}

export function decodeEnvelope(payload: Uint8Array): Parsed<Envelope> {
  return parseWith(() => {
    const value = readJson(payload);
    if (!isFields(value)) throw new ShapeError('envelope: expected a JSON object');
    const obj = fields(value, 'envelope');
    const kind = obj.kind;
    if (typeof kind !== 'string' || !isValidKind(kind))
      throw new ShapeError('envelope.kind: expected a kind name');
    return { kind, body: obj.body };
  });
}
