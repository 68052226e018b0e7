import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ConfigError, ConfigErrorCode } from "./errors.js";

/**
 * Reads a config file as UTF-8. The only code in this package that touches
 * the file system.
 *
 * @throws {ConfigError} `LARS_CONFIG_NOT_FOUND` for ENOENT/ENOTDIR,
 *   `LARS_CONFIG_UNREADABLE` for anything else (EACCES, EISDIR, ...); the fs
 *   error is the `cause`.
 */
export async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw toConfigError(path, err);
  }
}

/** Synchronous {@link readConfigFile}; same errors. */
export function readConfigFileSync(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw toConfigError(path, err);
  }
}

function toConfigError(path: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new ConfigError(ConfigErrorCode.NOT_FOUND, `Lars config file not found: ${path}`, { file: path, cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigError(ConfigErrorCode.UNREADABLE, `Lars config file cannot be read: ${path} (${reason})`, {
    file: path,
    cause: err,
  });
}
