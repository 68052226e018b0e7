/** Sections in order of first appearance; keys in order of first appearance within a section. */
export type IniSections = Map<string, Map<string, string>>;

/**
 * Whitespace as C's `isspace` sees it in the "C" locale, which is what the
 * C++ Lars reader trims. Deliberately not `String.prototype.trim`, which also
 * strips Unicode spaces (NBSP, U+FEFF, ...) that the C++ reader keeps.
 */
const C_SPACE = " \t\n\v\f\r";

/** Trims C `isspace` characters from both ends. */
export function trimCSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && C_SPACE.includes(s[start]!)) start++;
  while (end > start && C_SPACE.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/**
 * Parses text in the Lars config format, line by line, exactly as the C++
 * Lars `config_file::Load` does:
 *
 * - Lines are split on `\n`; a trailing `\r` is trimmed like other whitespace.
 * - A line that, trimmed, is longer than 2 characters and starts with `[` and
 *   ends with `]` opens a section; its name is the trimmed text between the
 *   brackets, taken literally (`[a.b]` is the section `a.b`). Reopening a
 *   section adds to it.
 * - Any other line with an `=` is split on the first `=`; key and value are
 *   trimmed. The value is the raw rest of the line: no unquoting, no inline
 *   comments, no type conversion.
 * - Lines whose key is empty or starts with `;` or `#` are comments; lines
 *   without `=` are ignored.
 * - A later key overrides an earlier one in the same section.
 *
 * Two deliberate differences, both for input on which the C++ reader breaks:
 * a leading UTF-8 byte order mark is dropped, and keys before the first
 * section header (a null-pointer crash in C++) go to the section `""`.
 *
 * Never throws: every input gives some result.
 */
export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;

  const open = (name: string): Map<string, string> => {
    let entries = sections.get(name);
    if (entries === undefined) {
      entries = new Map();
      sections.set(name, entries);
    }
    return entries;
  };

  for (const rawLine of body.split("\n")) {
    const line = trimCSpace(rawLine);
    if (line.length > 2 && line.startsWith("[") && line.endsWith("]")) {
      current = open(trimCSpace(line.slice(1, -1)));
      continue;
    }
    const eq = rawLine.indexOf("=");
    if (eq === -1) continue;
    const key = trimCSpace(rawLine.slice(0, eq));
    if (key === "" || key.startsWith("#") || key.startsWith(";")) continue;
    current ??= open("");
    current.set(key, trimCSpace(rawLine.slice(eq + 1)));
  }
  return sections;
}
