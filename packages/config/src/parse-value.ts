/**
 * Pure conversions from a raw config value to a typed one. Each returns
 * `undefined` for text it refuses; `LarsConfig` turns that into a
 * `ConfigError` naming the file, section and key.
 *
 * Stricter than the C++ reader on purpose: C++ `GetNumber` reads `12abc` as
 * 12 and `abc` as 0, and `GetBool` treats anything but `true` as the default.
 * Here malformed text is refused, so a typo never becomes a silent 0.
 */

const INTEGER = /^[+-]?[0-9]+$/;
const FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const LIST_SEPARATORS = /[, \t]+/;

/** Decimal integer with optional sign, within ±(2^53 − 1). No hex, no `1e3`, no `1.0`. */
export function parseInteger(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Decimal float with optional sign and exponent (`1`, `-0.5`, `.5`, `2.`, `1e-3`). Finite only: no `Infinity`, `NaN`, hex. */
export function parseFloatStrict(text: string): number | undefined {
  if (!FLOAT.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** `true`/`yes`/`1` → true, `false`/`no`/`0` → false, in any case; anything else → undefined. */
export function parseBool(text: string): boolean | undefined {
  switch (text.toLowerCase()) {
    case "true":
    case "yes":
    case "1":
      return true;
    case "false":
    case "no":
    case "0":
      return false;
    default:
      return undefined;
  }
}

/** Splits on runs of comma, space and tab (the C++ `GetStringList` separators) and drops empty items. */
export function splitList(text: string): string[] {
  return text.split(LIST_SEPARATORS).filter((item) => item !== "");
}
