import protobuf from "protobufjs";
import type { Codec } from "@lars/codec";
import type { Type } from "protobufjs";
import { protobufCodec } from "./protobuf-codec.js";

/**
 * The QPS test schema, byte for byte the package's `proto/echo_message.proto`.
 * Embedded so that loading the package reads no file (bundlers keep working).
 */
export const ECHO_MESSAGE_PROTO = `// The QPS test payload of the Lars C++ reactor (msgid 1).
syntax = "proto3";

package qps_test;

message EchoMessage {
  string content = 1;
  int32 id = 2;
}
`;

/** `qps_test.EchoMessage`: what a QPS client sends and the server echoes. */
export interface EchoMessage {
  /** `string content = 1`; the QPS test sends `"Hello Lars!!!"`. */
  content: string;
  /** `int32 id = 2`; the client sends `id + 1` for each matching reply. */
  id: number;
}

/**
 * The reflection type of `qps_test.EchoMessage` (protobufjs), for `verify`,
 * `toObject`, `fromObject` and the like.
 */
export const echoMessageType: Type = protobuf
  .parse(ECHO_MESSAGE_PROTO, { keepCase: true })
  .root.lookupType("qps_test.EchoMessage");

/**
 * Decoded messages are instances of this class, so that both fields are own
 * properties with one shape (protobufjs's default class leaves a field at its
 * default value on the prototype, where spread and `Object.keys` miss it).
 */
class DecodedEchoMessage extends protobuf.Message<EchoMessage> implements EchoMessage {
  content: string;
  id: number;
  constructor(properties?: Partial<EchoMessage>) {
    super();
    this.content = properties?.content ?? "";
    this.id = properties?.id ?? 0;
  }
}
// Set before the first encode/decode: protobufjs builds its decoder around it.
echoMessageType.ctor = DecodedEchoMessage;

/** ES2024 `String` methods (Node >= 20 has them; the base tsconfig's lib is ES2023). */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `value` with lone surrogates in `content` replaced by U+FFFD (a copy only when needed). */
function wellFormed(value: EchoMessage): EchoMessage {
  const content = value.content as unknown as WellFormedString;
  if (typeof value.content !== "string" || content.isWellFormed()) return value;
  return { content: content.toWellFormed(), id: value.id };
}

const protobufEchoMessageCodec = protobufCodec<EchoMessage>(echoMessageType);

/**
 * `Codec<EchoMessage>` named `protobuf:qps_test.EchoMessage`.
 *
 * `encode({ content: "Hello Lars!!!", id: 1 })` gives the body
 * `0a0d48656c6c6f204c6172732121211001`. `id` is written as an int32 (a
 * negative id takes 10 bytes, as in every proto3 implementation). A lone
 * UTF-16 surrogate in `content` is encoded as U+FFFD, as `Buffer.from` and
 * `TextEncoder` do: protobufjs alone would write bytes that are not UTF-8,
 * which proto3 decoders (this one included) refuse.
 *
 * `decode` returns an object whose own properties are exactly `content` and
 * `id` (fields absent on the wire get `""` and `0`), never points into the
 * body, and throws `PayloadDecodeError` (`LARS_PAYLOAD_DECODE`) on malformed
 * input, including invalid UTF-8 in `content`.
 */
export const echoMessageCodec: Codec<EchoMessage> = {
  name: protobufEchoMessageCodec.name,
  encode: (value) => protobufEchoMessageCodec.encode(wellFormed(value)),
  decode: (body) => protobufEchoMessageCodec.decode(body),
};
