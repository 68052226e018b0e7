import { LarsError } from "@lars/iobuf";

/**
 * The stable codes a {@link ConfigError} carries. Branch on these, never on
 * `message` (which is for humans and may change between releases).
 */
export const ConfigErrorCode = {
  /** The config file does not exist (ENOENT, or a path component is not a directory: ENOTDIR). */
  NOT_FOUND: "LARS_CONFIG_NOT_FOUND",
  /** The path exists but cannot be read as a file (EACCES, EISDIR, EPERM, ...). `cause` holds the fs error. */
  UNREADABLE: "LARS_CONFIG_UNREADABLE",
  /** A getter without a default asked for a section/key that the config does not have. */
  MISSING_KEY: "LARS_CONFIG_MISSING_KEY",
  /** A value that is not a valid integer or float, or a number outside the range its key allows. */
  BAD_NUMBER: "LARS_CONFIG_BAD_NUMBER",
  /** A value that is not one of true/false/yes/no/1/0 (any case). */
  BAD_BOOL: "LARS_CONFIG_BAD_BOOL",
} as const;

/** One of the {@link ConfigErrorCode} strings. */
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** Where a {@link ConfigError} happened; every field is optional because not every error has all of them. */
export interface ConfigErrorDetails {
  /** The file path given to `load`/`loadSync`, or the `sourceName` given to `parse`. */
  readonly file?: string | undefined;
  readonly section?: string | undefined;
  readonly key?: string | undefined;
  /** The raw value that was refused (BAD_NUMBER, BAD_BOOL). */
  readonly value?: string | undefined;
  /** The underlying error, e.g. the fs error for NOT_FOUND / UNREADABLE. */
  readonly cause?: unknown;
}

/**
 * Every error `@lars/config` throws. `code` is stable; `file`, `section`,
 * `key` and `value` are set where they apply, and `message` names them too.
 *
 * Like every Lars error it extends `LarsError` (from `@lars/iobuf`), so
 * `err instanceof LarsError` and `isLarsError(err, "LARS_CONFIG_NOT_FOUND")`
 * hold for it as for the reactor's errors.
 */
export class ConfigError extends LarsError {
  override readonly name = "ConfigError";
  declare readonly code: ConfigErrorCode;
  readonly file: string | undefined;
  readonly section: string | undefined;
  readonly key: string | undefined;
  readonly value: string | undefined;

  constructor(code: ConfigErrorCode, message: string, details: ConfigErrorDetails = {}) {
    super(code, message, "cause" in details ? { cause: details.cause } : undefined);
    this.file = details.file;
    this.section = details.section;
    this.key = details.key;
    this.value = details.value;
  }
}

/** True when `err` is a {@link ConfigError}, optionally with the given code. */
export function isConfigError(err: unknown, code?: ConfigErrorCode): err is ConfigError {
  return err instanceof ConfigError && (code === undefined || err.code === code);
}
