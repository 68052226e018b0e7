/**
 * Base class of every error the Lars packages throw or report.
 *
 * `code` is stable across releases and is what callers should branch on;
 * `message` is for humans and may change. Subclasses fix the code.
 */
export class LarsError extends Error {
  override readonly name: string = "LarsError";
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `err` is a {@link LarsError}, optionally with the given code. */
export function isLarsError(err: unknown, code?: string): err is LarsError {
  return err instanceof LarsError && (code === undefined || err.code === code);
}
