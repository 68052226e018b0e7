/** @packageDocumentation Lars system messages (package lars): typed protobufjs codecs byte-identical to libprotobuf, message ids, return codes, IPv4 helpers. */
export const PACKAGE_NAME = "@lars/proto";
