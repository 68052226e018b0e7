/**
 * Message ids of the Lars system: the `msgid` of the Lars frame that carries
 * each message. 7 and 8 (the API's route query) reuse the bodies of 1 and 2.
 */
export const MsgId = {
  /** Agent → DNS: `GetRouteRequest`. */
  GetRouteRequest: 1,
  /** DNS → agent: `GetRouteResponse` (a reply, or a push after a change). */
  GetRouteResponse: 2,
  /** Agent → reporter: `ReportStatusRequest`. */
  ReportStatusRequest: 3,
  /** API → agent: `GetHostRequest`. */
  GetHostRequest: 4,
  /** Agent → API: `GetHostResponse`. */
  GetHostResponse: 5,
  /** API → agent: `ReportRequest`. */
  ReportRequest: 6,
  /** API → agent: a `GetRouteRequest` body. */
  ApiGetRouteRequest: 7,
  /** Agent → API: a `GetRouteResponse` body. */
  ApiGetRouteResponse: 8,
} as const;

/** One of the values of {@link MsgId}. */
export type MsgIdValue = (typeof MsgId)[keyof typeof MsgId];

/** Return codes carried in `retcode` fields. */
export const RetCode = {
  /** Success. */
  SUCC: 0,
  /** The host (or every host) is overloaded. */
  OVERLOAD: 1,
  /** A system error (the call failed). */
  SYSTEM_ERROR: 2,
  /** The route does not exist. */
  NOEXIST: 3,
} as const;

/** One of the values of {@link RetCode}. */
export type RetCodeValue = (typeof RetCode)[keyof typeof RetCode];
