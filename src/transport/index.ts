// The peer transport: TCP (optionally mutual TLS) between raftinel nodes.
export { createTcpTransport } from './create.js';
export { TcpTransport } from './tcp-transport.js';
export type { EnvelopeHandler, PeerHello, PeerInfo } from './tcp-transport.js';
export { TRANSPORT_DEFAULTS } from './options.js';
export type { TcpTransportOptions } from './options.js';
export type { PeerAddresses, HelloBody } from './handshake.js';
export { PROTOCOL_VERSION } from './handshake.js';
export type { TlsFiles } from './tls.js';
export { FrameDecoder, encodeFrame, DEFAULT_MAX_FRAME_BYTES } from './frame.js';
export type { FrameError, DecodeResult } from './frame.js';
export { parseMessage } from './message-guard.js';
export { parseHostPort, formatHostPort } from './address.js';
