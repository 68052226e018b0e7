import { describe, expect, it } from "vitest";
import { parseBool, parseFloatStrict, parseInteger, splitList } from "./parse-value.js";

describe("parseInteger", () => {
  it.each([
    ["0", 0],
    ["7777", 7777],
    ["-12", -12],
    ["+7", 7],
    ["007", 7],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    [String(Number.MIN_SAFE_INTEGER), Number.MIN_SAFE_INTEGER],
  ])("reads %j as %d", (text, expected) => {
    expect(parseInteger(text)).toBe(expected);
  });

  it.each(["", " ", "1.5", "1e3", "0x10", "12abc", "abc", "--1", "+", "1 2", "9007199254740992", "Infinity"])(
    "refuses %j",
    (text) => {
      expect(parseInteger(text)).toBeUndefined();
    },
  );
});

describe("parseFloatStrict", () => {
  it.each([
    ["1.5", 1.5],
    ["-2", -2],
    [".5", 0.5],
    ["2.", 2],
    ["+1e-3", 0.001],
    ["6.02E23", 6.02e23],
  ])("reads %j as %d", (text, expected) => {
    expect(parseFloatStrict(text)).toBe(expected);
  });

  it.each(["", ".", "1.5s", "Infinity", "NaN", "0x10", "1e", "e3", "1e999", "1,5"])("refuses %j", (text) => {
    expect(parseFloatStrict(text)).toBeUndefined();
  });
});

describe("parseBool", () => {
  it.each(["true", "TRUE", "True", "yes", "YES", "1"])("reads %j as true", (text) => {
    expect(parseBool(text)).toBe(true);
  });
  it.each(["false", "FALSE", "No", "no", "0"])("reads %j as false", (text) => {
    expect(parseBool(text)).toBe(false);
  });
  it.each(["", "on", "off", "y", "n", "2", "truee"])("refuses %j", (text) => {
    expect(parseBool(text)).toBeUndefined();
  });
});

describe("splitList", () => {
  it("splits on comma, space and tab runs and drops empty items", () => {
    expect(splitList("a,b c\td")).toEqual(["a", "b", "c", "d"]);
    expect(splitList(",, a ,\t, b,,")).toEqual(["a", "b"]);
    expect(splitList("")).toEqual([]);
    expect(splitList(" , \t")).toEqual([]);
    expect(splitList("one")).toEqual(["one"]);
  });

  it("does not split on other characters", () => {
    expect(splitList("a;b|c:d")).toEqual(["a;b|c:d"]);
  });
});
