// The transport's options and their defaults, in one place.
import type { NodeId } from '../raft/types.js';
import type { Logger } from '../util/log.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame.js';
import type { PeerAddresses } from './handshake.js';
import type { BackoffSettings, QueueSettings } from './peer-link.js';
import type { TlsFiles } from './tls.js';

export interface TcpTransportOptions {
  /** Cluster id: peers of another cluster are refused in the handshake. */
  readonly cluster: string;
  readonly nodeId: NodeId;
  /** Where to listen for peers, `host:port`; port 0 picks a free port (see TcpTransport.address). */
  readonly listen: string;
  /** What this node tells peers in its hello. `raft` defaults to the bound listen address. */
  readonly advertise?: Partial<PeerAddresses>;
  /** Local address outgoing connections are bound to (`node.sourceAddress`). */
  readonly sourceAddress?: string | null;
  /** Mutual TLS for both directions when set. */
  readonly tls?: TlsFiles | null;
  /**
   * The cluster secret (peerAuth.secretFile's content): both ends of every connection prove
   * they hold it (peer-auth.ts). A node with one and a node without one refuse each other.
   */
  readonly secret?: Uint8Array | null;
  /** Cap on one frame's payload; a snapshot must fit in one frame. */
  readonly maxFrameBytes?: number;
  readonly logger: Logger;
  /**
   * Consulted for every Raft frame from a peer outside the committed membership: true delivers
   * it (e.g. a fresh node that has no membership yet), false drops it. Default: drop. Frames of
   * other kinds from non-members are always dropped.
   */
  readonly allowUnknown?: (nodeId: NodeId) => boolean;
  /** Deadline for connect + TLS + hello, both directions. */
  readonly handshakeTimeoutMs?: number;
  readonly backoff?: BackoffSettings;
  /** What an outgoing link keeps while it is connecting. */
  readonly queue?: QueueSettings;
  /** Accepted connections beyond this are refused by the kernel listener. */
  readonly maxConnections?: number;
  /** Clock for lastContactMs (milliseconds). */
  readonly now?: () => number;
  /** Source of backoff jitter. */
  readonly random?: () => number;
}

export const TRANSPORT_DEFAULTS = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  /** Frame cap before a peer's hello is accepted: a hello is a few hundred bytes. */
  handshakeMaxFrameBytes: 64 * 1024,
  handshakeTimeoutMs: 5000,
  backoff: { initialMs: 50, maxMs: 2000 },
  queue: { maxFrames: 1024, maxBytes: 8 * 1024 * 1024 },
  maxConnections: 256,
} as const;
