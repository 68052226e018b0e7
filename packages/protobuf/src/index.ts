export { protobufCodec } from "./protobuf-codec.js";
export type { ProtobufCodecOptions, ProtobufMessageType } from "./protobuf-codec.js";
export { ECHO_MESSAGE_PROTO, echoMessageCodec, echoMessageType } from "./echo-message.js";
export type { EchoMessage } from "./echo-message.js";
