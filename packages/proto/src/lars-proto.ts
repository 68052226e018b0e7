/**
 * The schema of package `lars` (proto3), byte for byte the package's
 * `proto/lars.proto`. Embedded so that loading the package reads no file.
 */
export const LARS_PROTO = `// The messages of the Lars system (DNS service, reporter, agent, API).
syntax = "proto3";

package lars;

// Message ids (the Lars frame's msgid) and return codes live in the
// TypeScript package as MsgId and RetCode.

// One host: ip is the IPv4 address a<<24|b<<16|c<<8|d stored in an int32.
message HostInfo {
  int32 ip = 1;
  int32 port = 2;
}

// msgid 1 (and 7, API_GetRouteRequest): the hosts of (modid, cmdid).
message GetRouteRequest {
  int32 modid = 1;
  int32 cmdid = 2;
}

// msgid 2 (and 8, API_GetRouteResponse): the whole host list of a route.
message GetRouteResponse {
  int32 modid = 1;
  int32 cmdid = 2;
  repeated HostInfo host = 3;
}

// The calls made to one host during a report window.
message HostCallResult {
  int32 ip = 1;
  int32 port = 2;
  uint32 succ = 3;
  uint32 err = 4;
  bool overload = 5;
}

// msgid 3: an agent reports the call status of a route's hosts.
message ReportStatusRequest {
  int32 modid = 1;
  int32 cmdid = 2;
  int32 caller = 3;
  repeated HostCallResult results = 4;
  uint32 ts = 5;
}

// msgid 4: the API asks its agent for one host.
message GetHostRequest {
  uint32 seq = 1;
  int32 modid = 2;
  int32 cmdid = 3;
}

// msgid 5: the agent's answer.
message GetHostResponse {
  uint32 seq = 1;
  int32 modid = 2;
  int32 cmdid = 3;
  int32 retcode = 4;
  HostInfo host = 5;
}

// msgid 6: the API reports the result of one call.
message ReportRequest {
  int32 modid = 1;
  int32 cmdid = 2;
  HostInfo host = 3;
  int32 retcode = 4;
}
`;
