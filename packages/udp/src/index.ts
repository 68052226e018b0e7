export { UdpServer } from "./udp-server.js";
export { UdpClient } from "./udp-client.js";
export { UdpPeer } from "./udp-peer.js";
export type { UdpPeerOwner } from "./udp-peer.js";
export type { UdpStats } from "./endpoint-core.js";
export type { UdpHooks } from "./hooks.js";
export {
  resolveUdpOptions,
  DEFAULT_UDP_MAX_MESSAGE_LENGTH,
  DEFAULT_SEND_QUEUE_CAP,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  resolveUdpRequestOptions,
} from "./options.js";
export type { UdpRequestOptions, UdpCorrelationKey } from "./udp-requests.js";
export type {
  UdpEndpointOptions,
  UdpServerOptions,
  UdpClientOptions,
  ResolvedUdpOptions,
  ResolvedUdpRequestOptions,
  UdpSocketType,
} from "./options.js";
export {
  UDP4_MAX_PAYLOAD,
  UDP6_MAX_PAYLOAD,
  UDP4_MAX_MESSAGE_LENGTH,
  UDP6_MAX_MESSAGE_LENGTH,
  datagramDropReason,
  datagramError,
  datagramMsgid,
  decodeDatagram,
  encodeDatagram,
} from "./datagram.js";
export {
  UdpDatagramError,
  UdpSendFailedError,
  UdpSocketError,
  UdpClosedError,
  AddressInUseError,
  UdpRequestError,
  UdpRequestQueueFullError,
  DATAGRAM_DROP_REASONS,
} from "./errors.js";
export type { DatagramDropReason, DatagramErrorDetails, UdpSocketOperation, UdpRequestErrorCode } from "./errors.js";
