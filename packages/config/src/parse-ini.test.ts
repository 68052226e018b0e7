import { describe, expect, it } from "vitest";
import { parseIni, trimCSpace } from "./parse-ini.js";

/** Sections as plain objects, for readable assertions. */
function plain(text: string): Record<string, Record<string, string>> {
  return Object.fromEntries([...parseIni(text)].map(([name, entries]) => [name, Object.fromEntries(entries)]));
}

describe("parseIni", () => {
  it("reads the C++ serv.conf shape", () => {
    const text = "[reactor]\nmaxConn = 1024\nthreadNum = 5\nip = 127.0.0.1\nport = 7777\n";
    expect(plain(text)).toEqual({
      reactor: { maxConn: "1024", threadNum: "5", ip: "127.0.0.1", port: "7777" },
    });
  });

  it("skips lines whose key starts with ; or #, also when indented", () => {
    const text = [
      "[s]",
      "; a whole-line comment",
      "# another one",
      ";commented = 1",
      "#hashed = 2",
      "   ; indented = 3",
      "\t# tabbed = 4",
      "kept = 5",
    ].join("\n");
    expect(plain(text)).toEqual({ s: { kept: "5" } });
  });

  it("keeps ; and # inside values: there are no inline comments", () => {
    expect(plain("[s]\na = x # not a comment\nb = y ; nor this\nc = #z")).toEqual({
      s: { a: "x # not a comment", b: "y ; nor this", c: "#z" },
    });
  });

  it("lets a later key override an earlier one, also across a reopened section", () => {
    const text = "[s]\nk = first\nother = 1\n[t]\nk = t\n[s]\nk = second\nextra = 2";
    const parsed = parseIni(text);
    expect(Object.fromEntries(parsed.get("s")!)).toEqual({ k: "second", other: "1", extra: "2" });
    expect([...parsed.get("s")!.keys()]).toEqual(["k", "other", "extra"]);
    expect([...parsed.keys()]).toEqual(["s", "t"]);
  });

  it("trims spaces, tabs and CR around headers, keys and values", () => {
    const text = "  [ reactor ]  \r\n\tport\t=\t7777 \r\n  ip=127.0.0.1\r\nempty =   \r\n";
    expect(plain(text)).toEqual({ reactor: { port: "7777", ip: "127.0.0.1", empty: "" } });
  });

  it("splits on the first = only", () => {
    expect(plain("[s]\nurl = http://h/?a=1&b=2\n==x\nk==v")).toEqual({
      s: { url: "http://h/?a=1&b=2", k: "=v" },
    });
  });

  it("keeps values raw: no unquoting, no booleans, no nesting, no arrays", () => {
    const text = '[a.b]\nq = "quoted"\nsq = \'single\'\nt = true\nn = null\narr[] = 1\narr[] = 2';
    expect(plain(text)).toEqual({
      "a.b": { q: '"quoted"', sq: "'single'", t: "true", n: "null", "arr[]": "2" },
    });
  });

  it("ignores lines that are neither a header nor contain =", () => {
    expect(plain("[s]\njust text\n\n   \nk = v\n[]")).toEqual({ s: { k: "v" } });
  });

  it("skips lines with an empty key", () => {
    expect(plain("[s]\n= value\n  =  other")).toEqual({ s: {} });
  });

  it("records a header with no keys as an empty section", () => {
    const parsed = parseIni("[empty]\n[full]\nk = v");
    expect([...parsed.keys()]).toEqual(["empty", "full"]);
    expect(parsed.get("empty")!.size).toBe(0);
  });

  it("takes a header only when the whole line is [..] (as in C++), so a trailing comment breaks it", () => {
    const parsed = plain("[a]\nk = 1\n[b] ; note\nk = 2");
    expect(parsed).toEqual({ a: { k: "2" } });
  });

  it("treats a line like [x] = y as a key, since it does not end with ]", () => {
    expect(plain("[s]\n[x] = y")).toEqual({ s: { "[x]": "y" } });
  });

  it("puts keys before the first header in the section named '' (C++ would crash)", () => {
    expect(plain("top = 1\n[s]\nk = v")).toEqual({ "": { top: "1" }, s: { k: "v" } });
  });

  it("drops a leading byte order mark", () => {
    expect(plain("\uFEFF[reactor]\nport = 1")).toEqual({ reactor: { port: "1" } });
  });

  it("stores keys like __proto__ and constructor as ordinary keys", () => {
    const parsed = parseIni("[s]\n__proto__ = polluted\nconstructor = c");
    expect(parsed.get("s")!.get("__proto__")).toBe("polluted");
    expect(parsed.get("s")!.get("constructor")).toBe("c");
  });

  it("gives nothing for empty text", () => {
    expect(parseIni("").size).toBe(0);
  });
});

describe("trimCSpace", () => {
  it("trims C isspace characters and nothing else", () => {
    expect(trimCSpace(" \t\v\f\r\n a b \n\r\f\v\t ")).toBe("a b");
    expect(trimCSpace("\u00A0x\u00A0")).toBe("\u00A0x\u00A0");
    expect(trimCSpace("   ")).toBe("");
  });
});
