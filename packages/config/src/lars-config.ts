import { ConfigError, ConfigErrorCode } from "./errors.js";
import { parseIni, type IniSections } from "./parse-ini.js";
import { parseBool, parseFloatStrict, parseInteger, splitList } from "./parse-value.js";
import { readConfigFile, readConfigFileSync } from "./read-config-file.js";

/** The name `parse` gives a config when no `sourceName` is passed; it appears in error messages. */
export const DEFAULT_SOURCE_NAME = "<string>";

/**
 * A parsed Lars config file (the C++ Lars `serv.conf` format), immutable once
 * built. See `parseIni` for the format rules.
 *
 * Getter contract, the same for every getter:
 * - key present: its value converted, or a `ConfigError` if the text is not
 *   valid for that type (`LARS_CONFIG_BAD_NUMBER`, `LARS_CONFIG_BAD_BOOL`),
 *   even when a default is given: a default stands in for a missing key,
 *   never for a malformed one;
 * - key missing and a default given (anything but `undefined`): the default,
 *   returned as is;
 * - key missing, no default: `ConfigError` `LARS_CONFIG_MISSING_KEY`.
 *
 * Section and key names are case-sensitive, as in C++.
 */
export class LarsConfig {
  /** The file path given to `load`/`loadSync`, or the `sourceName` given to `parse`. */
  readonly source: string;
  readonly #sections: IniSections;

  private constructor(source: string, sections: IniSections) {
    this.source = source;
    this.#sections = sections;
  }

  /**
   * Reads and parses the file at `path` (UTF-8).
   * @throws {ConfigError} `LARS_CONFIG_NOT_FOUND` or `LARS_CONFIG_UNREADABLE` (as a rejection).
   */
  static async load(path: string): Promise<LarsConfig> {
    return new LarsConfig(path, parseIni(await readConfigFile(path)));
  }

  /**
   * Synchronous {@link LarsConfig.load}: blocks the thread while reading, so
   * meant for start-up, not for code running inside the event loop.
   * @throws {ConfigError} `LARS_CONFIG_NOT_FOUND` or `LARS_CONFIG_UNREADABLE`.
   */
  static loadSync(path: string): LarsConfig {
    return new LarsConfig(path, parseIni(readConfigFileSync(path)));
  }

  /**
   * Parses config text. Never throws: the format has no syntax errors (lines
   * it cannot read are ignored, as in C++). `sourceName` names the config in
   * error messages and in `ConfigError.file`.
   */
  static parse(text: string, sourceName: string = DEFAULT_SOURCE_NAME): LarsConfig {
    return new LarsConfig(sourceName, parseIni(text));
  }

  /** Section names in order of first appearance, including sections with no keys. A fresh array. */
  sections(): string[] {
    return [...this.#sections.keys()];
  }

  /** True when a `[name]` header appeared (even with no keys under it). */
  hasSection(name: string): boolean {
    return this.#sections.has(name);
  }

  /** True when `key` is set in `section` (an empty value counts as set). */
  has(section: string, key: string): boolean {
    return this.#sections.get(section)?.has(key) ?? false;
  }

  /**
   * The section's keys and raw values as a fresh plain object (safe for keys
   * like `__proto__`); changing it does not change the config. `{}` for a
   * section that does not exist.
   */
  section(name: string): Record<string, string> {
    return Object.fromEntries(this.#sections.get(name) ?? []);
  }

  /** The raw value: trimmed, otherwise exactly as written (quotes, `#`, `;` kept). */
  getString(section: string, key: string, defaultValue?: string): string {
    const raw = this.#raw(section, key);
    if (raw !== undefined) return raw;
    return this.#orDefault(section, key, defaultValue);
  }

  /**
   * A decimal integer (`-12`, `+7`, `007`) within ±(2^53 − 1).
   * @throws {ConfigError} `LARS_CONFIG_BAD_NUMBER` for anything else (`1.5`, `0x10`, `12abc`, empty).
   */
  getNumber(section: string, key: string, defaultValue?: number): number {
    const raw = this.#raw(section, key);
    if (raw === undefined) return this.#orDefault(section, key, defaultValue);
    const n = parseInteger(raw);
    if (n === undefined) throw this.#bad(ConfigErrorCode.BAD_NUMBER, section, key, raw, "is not an integer");
    return n;
  }

  /**
   * A finite decimal number (`1.5`, `-2`, `.5`, `1e-3`).
   * @throws {ConfigError} `LARS_CONFIG_BAD_NUMBER` for anything else (`Infinity`, `NaN`, `0x10`, `1.5s`, empty).
   */
  getFloat(section: string, key: string, defaultValue?: number): number {
    const raw = this.#raw(section, key);
    if (raw === undefined) return this.#orDefault(section, key, defaultValue);
    const n = parseFloatStrict(raw);
    if (n === undefined) throw this.#bad(ConfigErrorCode.BAD_NUMBER, section, key, raw, "is not a number");
    return n;
  }

  /**
   * `true`/`yes`/`1` or `false`/`no`/`0`, in any case.
   * @throws {ConfigError} `LARS_CONFIG_BAD_BOOL` for anything else (`on`, `y`, empty, ...).
   */
  getBool(section: string, key: string, defaultValue?: boolean): boolean {
    const raw = this.#raw(section, key);
    if (raw === undefined) return this.#orDefault(section, key, defaultValue);
    const b = parseBool(raw);
    if (b === undefined) {
      throw this.#bad(ConfigErrorCode.BAD_BOOL, section, key, raw, "is not a boolean (expected true/false/yes/no/1/0)");
    }
    return b;
  }

  /**
   * The value split on commas, spaces and tabs, empty items dropped: `a, b,,c`
   * gives `["a", "b", "c"]`, an empty value gives `[]`. Always a fresh array
   * (a default is copied).
   */
  getList(section: string, key: string, defaultValue?: readonly string[]): string[] {
    const raw = this.#raw(section, key);
    if (raw === undefined) return [...this.#orDefault(section, key, defaultValue)];
    return splitList(raw);
  }

  #raw(section: string, key: string): string | undefined {
    return this.#sections.get(section)?.get(key);
  }

  #orDefault<T>(section: string, key: string, defaultValue: T | undefined): T {
    if (defaultValue !== undefined) return defaultValue;
    const where = this.#sections.has(section) ? `no key "${key}" in section [${section}]` : `no section [${section}] (wanted key "${key}")`;
    throw new ConfigError(ConfigErrorCode.MISSING_KEY, `${this.source}: ${where}`, {
      file: this.source,
      section,
      key,
    });
  }

  #bad(code: ConfigErrorCode, section: string, key: string, raw: string, problem: string): ConfigError {
    return new ConfigError(code, `${this.source}: [${section}] ${key} = ${JSON.stringify(raw)} ${problem}`, {
      file: this.source,
      section,
      key,
      value: raw,
    });
  }
}
