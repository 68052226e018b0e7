import protobuf from "protobufjs";
import type { Type } from "protobufjs";
import { LARS_PROTO } from "./lars-proto.js";

/** `lars.HostInfo`: one host of a route. */
export interface HostInfo {
  /** `int32 ip = 1`: the IPv4 address `a<<24|b<<16|c<<8|d` as an int32 (see `ipToInt32`). */
  ip: number;
  /** `int32 port = 2`. */
  port: number;
}

/** `lars.GetRouteRequest` (msgid 1, and 7 from the API): the hosts of a route. */
export interface GetRouteRequest {
  /** `int32 modid = 1`. */
  modid: number;
  /** `int32 cmdid = 2`. */
  cmdid: number;
}

/** `lars.GetRouteResponse` (msgid 2, and 8 to the API): the whole host list of a route. */
export interface GetRouteResponse {
  /** `int32 modid = 1`. */
  modid: number;
  /** `int32 cmdid = 2`. */
  cmdid: number;
  /** `repeated HostInfo host = 3`; empty for an unknown route. */
  host: HostInfo[];
}

/** `lars.HostCallResult`: the calls made to one host in a report window. */
export interface HostCallResult {
  /** `int32 ip = 1`. */
  ip: number;
  /** `int32 port = 2`. */
  port: number;
  /** `uint32 succ = 3`: successful calls. */
  succ: number;
  /** `uint32 err = 4`: failed calls. */
  err: number;
  /** `bool overload = 5`: the host is judged overloaded. */
  overload: boolean;
}

/** `lars.ReportStatusRequest` (msgid 3): an agent's report of a route's hosts. */
export interface ReportStatusRequest {
  /** `int32 modid = 1`. */
  modid: number;
  /** `int32 cmdid = 2`. */
  cmdid: number;
  /** `int32 caller = 3`: the reporting agent's IPv4 address as an int32. */
  caller: number;
  /** `repeated HostCallResult results = 4`. */
  results: HostCallResult[];
  /** `uint32 ts = 5`: unix time in seconds. */
  ts: number;
}

/** `lars.GetHostRequest` (msgid 4): the API asks for one host of a route. */
export interface GetHostRequest {
  /** `uint32 seq = 1`: echoed in the response. */
  seq: number;
  /** `int32 modid = 2`. */
  modid: number;
  /** `int32 cmdid = 3`. */
  cmdid: number;
}

/** `lars.GetHostResponse` (msgid 5): the agent's answer to a {@link GetHostRequest}. */
export interface GetHostResponse {
  /** `uint32 seq = 1`. */
  seq: number;
  /** `int32 modid = 2`. */
  modid: number;
  /** `int32 cmdid = 3`. */
  cmdid: number;
  /** `int32 retcode = 4`: a `RetCode`. */
  retcode: number;
  /** `HostInfo host = 5`: absent (undefined) unless `retcode` is SUCC. */
  host?: HostInfo;
}

/** `lars.ReportRequest` (msgid 6): the API reports the result of one call. */
export interface ReportRequest {
  /** `int32 modid = 1`. */
  modid: number;
  /** `int32 cmdid = 2`. */
  cmdid: number;
  /** `HostInfo host = 3`: decoded as `{ ip: 0, port: 0 }` when absent. */
  host: HostInfo;
  /** `int32 retcode = 4`: a `RetCode`. */
  retcode: number;
}

/** The parsed `lars` package (protobufjs reflection), field names as in the .proto. */
export const larsRoot: protobuf.Root = protobuf.parse(LARS_PROTO, { keepCase: true }).root;

const lookup = (name: string): Type => larsRoot.lookupType(`lars.${name}`);

/** Reflection type `lars.HostInfo`. */
export const hostInfoType: Type = lookup("HostInfo");
/** Reflection type `lars.GetRouteRequest`. */
export const getRouteRequestType: Type = lookup("GetRouteRequest");
/** Reflection type `lars.GetRouteResponse`. */
export const getRouteResponseType: Type = lookup("GetRouteResponse");
/** Reflection type `lars.HostCallResult`. */
export const hostCallResultType: Type = lookup("HostCallResult");
/** Reflection type `lars.ReportStatusRequest`. */
export const reportStatusRequestType: Type = lookup("ReportStatusRequest");
/** Reflection type `lars.GetHostRequest`. */
export const getHostRequestType: Type = lookup("GetHostRequest");
/** Reflection type `lars.GetHostResponse`. */
export const getHostResponseType: Type = lookup("GetHostResponse");
/** Reflection type `lars.ReportRequest`. */
export const reportRequestType: Type = lookup("ReportRequest");

// Decoded messages are instances of these classes, so that every field is an
// own property with its proto3 default (protobufjs's generated class leaves
// defaults on the prototype, where spread, Object.keys and JSON miss them).
// The ctors are set before the first encode/decode: protobufjs builds its
// decoders around them.

class DecodedHostInfo extends protobuf.Message<HostInfo> implements HostInfo {
  ip: number;
  port: number;
  constructor(properties?: Partial<HostInfo>) {
    super();
    this.ip = properties?.ip ?? 0;
    this.port = properties?.port ?? 0;
  }
}

class DecodedGetRouteRequest extends protobuf.Message<GetRouteRequest> implements GetRouteRequest {
  modid: number;
  cmdid: number;
  constructor(properties?: Partial<GetRouteRequest>) {
    super();
    this.modid = properties?.modid ?? 0;
    this.cmdid = properties?.cmdid ?? 0;
  }
}

class DecodedGetRouteResponse extends protobuf.Message<GetRouteResponse> implements GetRouteResponse {
  modid: number;
  cmdid: number;
  host: HostInfo[];
  constructor(properties?: Partial<GetRouteResponse>) {
    super();
    this.modid = properties?.modid ?? 0;
    this.cmdid = properties?.cmdid ?? 0;
    this.host = properties?.host ?? [];
  }
}

class DecodedHostCallResult extends protobuf.Message<HostCallResult> implements HostCallResult {
  ip: number;
  port: number;
  succ: number;
  err: number;
  overload: boolean;
  constructor(properties?: Partial<HostCallResult>) {
    super();
    this.ip = properties?.ip ?? 0;
    this.port = properties?.port ?? 0;
    this.succ = properties?.succ ?? 0;
    this.err = properties?.err ?? 0;
    this.overload = properties?.overload ?? false;
  }
}

class DecodedReportStatusRequest extends protobuf.Message<ReportStatusRequest> implements ReportStatusRequest {
  modid: number;
  cmdid: number;
  caller: number;
  results: HostCallResult[];
  ts: number;
  constructor(properties?: Partial<ReportStatusRequest>) {
    super();
    this.modid = properties?.modid ?? 0;
    this.cmdid = properties?.cmdid ?? 0;
    this.caller = properties?.caller ?? 0;
    this.results = properties?.results ?? [];
    this.ts = properties?.ts ?? 0;
  }
}

class DecodedGetHostRequest extends protobuf.Message<GetHostRequest> implements GetHostRequest {
  seq: number;
  modid: number;
  cmdid: number;
  constructor(properties?: Partial<GetHostRequest>) {
    super();
    this.seq = properties?.seq ?? 0;
    this.modid = properties?.modid ?? 0;
    this.cmdid = properties?.cmdid ?? 0;
  }
}

class DecodedGetHostResponse extends protobuf.Message<GetHostResponse> implements GetHostResponse {
  seq: number;
  modid: number;
  cmdid: number;
  retcode: number;
  declare host?: HostInfo;
  constructor(properties?: Partial<GetHostResponse>) {
    super();
    this.seq = properties?.seq ?? 0;
    this.modid = properties?.modid ?? 0;
    this.cmdid = properties?.cmdid ?? 0;
    this.retcode = properties?.retcode ?? 0;
    // `host` stays absent unless given (or present in the body).
    if (properties?.host !== undefined) this.host = properties.host;
  }
}

class DecodedReportRequest extends protobuf.Message<ReportRequest> implements ReportRequest {
  modid: number;
  cmdid: number;
  host: HostInfo;
  retcode: number;
  constructor(properties?: Partial<ReportRequest>) {
    super();
    this.modid = properties?.modid ?? 0;
    this.cmdid = properties?.cmdid ?? 0;
    this.host = properties?.host ?? new DecodedHostInfo();
    this.retcode = properties?.retcode ?? 0;
  }
}
hostInfoType.ctor = DecodedHostInfo;
getRouteRequestType.ctor = DecodedGetRouteRequest;
getRouteResponseType.ctor = DecodedGetRouteResponse;
hostCallResultType.ctor = DecodedHostCallResult;
reportStatusRequestType.ctor = DecodedReportStatusRequest;
getHostRequestType.ctor = DecodedGetHostRequest;
getHostResponseType.ctor = DecodedGetHostResponse;
reportRequestType.ctor = DecodedReportRequest;
// protobufjs puts `null` on the prototype as the default of a message field;
// an absent `GetHostResponse.host` reads as undefined instead.
delete (DecodedGetHostResponse.prototype as { host?: unknown }).host;
