import type { Codec } from "@lars/codec";
import { protobufCodec } from "@lars/protobuf";
import {
  getHostRequestType,
  getHostResponseType,
  getRouteRequestType,
  getRouteResponseType,
  reportRequestType,
  reportStatusRequestType,
} from "./messages.js";
import type {
  GetHostRequest,
  GetHostResponse,
  GetRouteRequest,
  GetRouteResponse,
  ReportRequest,
  ReportStatusRequest,
} from "./messages.js";

// Every codec: `encode` writes proto3 bytes identical to libprotobuf (fields in
// number order, defaults omitted, negative int32 as 10-byte varints); `decode`
// returns an object with every field as an own property (proto3 defaults for
// absent ones, `[]` for empty repeated fields) and throws PayloadDecodeError
// (`LARS_PAYLOAD_DECODE`) on a malformed body. Named `protobuf:lars.<Message>`.

/** `Codec<GetRouteRequest>` (msgid 1 and 7). */
export const getRouteRequestCodec: Codec<GetRouteRequest> = protobufCodec<GetRouteRequest>(getRouteRequestType);
/** `Codec<GetRouteResponse>` (msgid 2 and 8). */
export const getRouteResponseCodec: Codec<GetRouteResponse> = protobufCodec<GetRouteResponse>(getRouteResponseType);
/** `Codec<ReportStatusRequest>` (msgid 3). */
export const reportStatusRequestCodec: Codec<ReportStatusRequest> =
  protobufCodec<ReportStatusRequest>(reportStatusRequestType);
/** `Codec<GetHostRequest>` (msgid 4). */
export const getHostRequestCodec: Codec<GetHostRequest> = protobufCodec<GetHostRequest>(getHostRequestType);
/** `Codec<GetHostResponse>` (msgid 5); `host` is undefined when absent. */
export const getHostResponseCodec: Codec<GetHostResponse> = protobufCodec<GetHostResponse>(getHostResponseType);
/** `Codec<ReportRequest>` (msgid 6). */
export const reportRequestCodec: Codec<ReportRequest> = protobufCodec<ReportRequest>(reportRequestType);
