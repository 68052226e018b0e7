/** @packageDocumentation Lars system messages (package lars): typed protobufjs codecs byte-identical to libprotobuf, message ids, return codes, IPv4 helpers. */
export const PACKAGE_NAME = "@lars/proto";
export { LARS_PROTO } from "./lars-proto.js";
export { MsgId, RetCode } from "./ids.js";
export type { MsgIdValue, RetCodeValue } from "./ids.js";
export {
  larsRoot,
  hostInfoType,
  getRouteRequestType,
  getRouteResponseType,
  hostCallResultType,
  reportStatusRequestType,
  getHostRequestType,
  getHostResponseType,
  reportRequestType,
} from "./messages.js";
export type {
  HostInfo,
  GetRouteRequest,
  GetRouteResponse,
  HostCallResult,
  ReportStatusRequest,
  GetHostRequest,
  GetHostResponse,
  ReportRequest,
} from "./messages.js";
export {
  getRouteRequestCodec,
  getRouteResponseCodec,
  reportStatusRequestCodec,
  getHostRequestCodec,
  getHostResponseCodec,
  reportRequestCodec,
} from "./codecs.js";
export { InvalidIpError, ipToInt32, int32ToIp, int32ToUint32, uint32ToInt32 } from "./ipv4.js";
