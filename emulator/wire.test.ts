// copyJson copies what the emulator stores (JSON trees from request bodies and seeds) as structuredClone did.
import { describe, expect, it } from "vitest";
import { copyJson } from "./arm/wire.ts";

describe("copyJson", () => {
  it.each([
    { what: "nested objects and arrays", value: { a: [1, { b: "x" }, null], c: { d: true } } },
    { what: "an undefined member and a hole", value: { a: undefined, b: [1, undefined, 3] } },
    { what: "a __proto__ key (a tag of that name)", value: JSON.parse('{"tags":{"__proto__":"v","k":"w"}}') },
    { what: "a scalar", value: "text" },
  ])("$what: equal to structuredClone's copy, and not the same object", ({ value }) => {
    const copy = copyJson(value);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(structuredClone(value)));
    expect(copy).toStrictEqual(structuredClone(value));
    if (typeof value === "object") expect(copy).not.toBe(value);
  });
});
