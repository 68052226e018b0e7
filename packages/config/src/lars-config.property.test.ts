import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LarsConfig } from "./lars-config.js";

/**
 * Characters the generators draw from: letters, digits, the format's own
 * punctuation (= [ ] ; # , .), quotes, inner spaces/tabs and non-ASCII.
 */
const CHARS = ["a", "b", "Z", "0", "9", "_", "-", ".", "=", "[", "]", ";", "#", ",", '"', "'", " ", "\t", "é", "中"];
const SPACE = /^[ \t\n\v\f\r]|[ \t\n\v\f\r]$/;

const text = (minLength: number) => fc.string({ unit: fc.constantFrom(...CHARS), minLength, maxLength: 12 });

/** A section name the format can express: non-empty, no surrounding whitespace. */
const sectionName = text(1).filter((s) => !SPACE.test(s));

/**
 * A key the format can express: non-empty, no `=`, no surrounding whitespace,
 * not starting with `;`/`#` (a comment) or `[` (could read as a header).
 */
const keyName = text(1)
  .map((s) => s.replaceAll("=", "_"))
  .filter((s) => !SPACE.test(s) && !/^[;#[]/.test(s));

/** A value: anything on one line without surrounding whitespace (`=`, `#`, `;`, quotes included). */
const value = text(0).filter((s) => !SPACE.test(s));

const padding = fc.constantFrom("", " ", "\t", "  \t");

/** Blocks of `[section]` + entries; sections and keys may repeat, so later-wins is exercised. */
const document = fc.array(
  fc.record({
    section: sectionName,
    entries: fc.array(fc.record({ key: keyName, value, pad: fc.tuple(padding, padding, padding, padding) }), { maxLength: 6 }),
    comment: fc.boolean(),
  }),
  { maxLength: 6 },
);

describe("LarsConfig.parse (property)", () => {
  it("reads back every section, key and value written in the format, later keys winning", () => {
    fc.assert(
      fc.property(document, fc.constantFrom("\n", "\r\n"), (blocks, eol) => {
        const lines: string[] = [];
        const expected = new Map<string, Map<string, string>>();
        for (const block of blocks) {
          lines.push(`[${block.section}]`);
          const entries = expected.get(block.section) ?? new Map<string, string>();
          expected.set(block.section, entries);
          for (const { key, value: v, pad } of block.entries) {
            if (block.comment) lines.push(`${pad[0]};${key}${pad[1]}=${pad[2]}ignored`);
            lines.push(`${pad[0]}${key}${pad[1]}=${pad[2]}${v}${pad[3]}`);
            entries.set(key, v);
          }
        }
        const config = LarsConfig.parse(lines.join(eol));

        expect(config.sections()).toEqual([...expected.keys()]);
        for (const [section, entries] of expected) {
          expect(config.section(section)).toEqual(Object.fromEntries(entries));
          for (const [key, v] of entries) {
            expect(config.has(section, key)).toBe(true);
            expect(config.getString(section, key)).toBe(v);
          }
        }
      }),
    );
  });

  it("reads back every safe integer and every list", () => {
    fc.assert(
      fc.property(
        fc.maxSafeInteger(),
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "1", ".", ":"), minLength: 1, maxLength: 5 }), { maxLength: 6 }),
        fc.array(fc.constantFrom(",", " ", "\t", ", ", ",,"), { minLength: 6, maxLength: 6 }),
        (n, items, seps) => {
          const list = items.map((item, i) => (i === 0 ? item : `${seps[i]}${item}`)).join("");
          const config = LarsConfig.parse(`[s]\nn = ${n}\nlist = ${list}\n`);
          expect(config.getNumber("s", "n")).toBe(n);
          expect(config.getFloat("s", "n")).toBe(n);
          expect(config.getList("s", "list")).toEqual(items);
        },
      ),
    );
  });
});
