import { describe, expect, it } from "vitest";
import { sameJson } from "../../../src/domain/json.ts";

describe("sameJson: deep equality of JSON values", () => {
  it.each<{ name: string; a: unknown; b: unknown; same: boolean }>([
    {
      name: "keys in another order",
      a: { x: 1, y: [1, { p: "q", r: null }] },
      b: { y: [1, { r: null, p: "q" }], x: 1 },
      same: true,
    },
    { name: "a key set to undefined is one left out", a: { x: 1, v: undefined }, b: { x: 1 }, same: true },
    { name: "a key set to null is not one left out", a: { x: 1, v: null }, b: { x: 1 }, same: false },
    { name: "arrays in another order", a: [1, 2], b: [2, 1], same: false },
    { name: "an array and an object with its indexes", a: ["a"], b: { 0: "a" }, same: false },
    { name: "arrays of other lengths", a: [1], b: [1, 1], same: false },
    { name: "a number and its string", a: { x: 1 }, b: { x: "1" }, same: false },
    { name: "an extra key", a: { x: 1 }, b: { x: 1, y: 2 }, same: false },
    { name: "the same string", a: "s", b: "s", same: true },
  ])("$name", ({ a, b, same }) => {
    expect(sameJson(a, b)).toBe(same);
    expect(sameJson(b, a)).toBe(same);
  });
});
