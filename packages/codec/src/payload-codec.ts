import { PayloadDecodeError } from "./errors.js";

/**
 * Turns a typed value into a frame body and back.
 *
 * `decode` receives a view that is valid only during the call that handed it
 * over (see the package README): a codec that keeps bytes must copy them.
 * `decode` throws {@link PayloadDecodeError} (code `LARS_PAYLOAD_DECODE`) on a
 * body it cannot read.
 */
export interface Codec<T> {
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(body: Uint8Array): T;
}

/** Bytes as they are. `decode` copies, so the result outlives the handler call. */
export const bytesCodec: Codec<Uint8Array> = {
  name: "bytes",
  encode: (value) => value,
  decode: (body) => Uint8Array.prototype.slice.call(body),
};

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
// Text keeps a leading U+FEFF: decode(encode(s)) must give s back.
const utf8TextDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 text. Invalid UTF-8 is refused rather than replaced with U+FFFD. */
export const utf8Codec: Codec<string> = {
  name: "utf8",
  encode: (value) => Buffer.from(value, "utf8"),
  decode: (body) => {
    try {
      return utf8TextDecoder.decode(body);
    } catch (err) {
      throw new PayloadDecodeError("utf8", "body is not valid UTF-8", err);
    }
  },
};

/**
 * JSON over UTF-8. The type parameter is trusted, not checked: validate the
 * decoded value yourself when the peer is not trusted.
 */
export function jsonCodec<T>(): Codec<T> {
  return {
    name: "json",
    encode: (value) => Buffer.from(JSON.stringify(value), "utf8"),
    decode: (body) => {
      try {
        return JSON.parse(utf8Decoder.decode(body)) as T;
      } catch (err) {
        throw new PayloadDecodeError("json", "body is not valid UTF-8 JSON", err);
      }
    },
  };
}
