// The committed bundle as `npm run build` leaves it: without comments (but licence banners) or blanks around line breaks
// (scripts/strip.ts), and ASCII only (scripts/ascii.ts escapes every other character), which Node reads, decodes and
// compiles faster at every start (docs/benchmark.md, "Start-up").
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stripSource } from "../../scripts/strip.ts";

const dist = join(import.meta.dirname, "..", "..", "dist");
const bundles = readdirSync(dist).filter((f) => f.endsWith(".js"));

describe("dist/", () => {
  it("has the bundle and its chunks", () => {
    expect(bundles).toContain("index.js");
  });

  it.each(bundles)("%s is ASCII only", (name) => {
    const bytes = readFileSync(join(dist, name));
    const first = bytes.findIndex((b) => b > 0x7f);
    expect(
      first === -1 ? "ASCII only" : `byte ${first}: ${bytes.subarray(Math.max(0, first - 40), first + 4).toString()}`,
    ).toBe("ASCII only");
  });

  it.each(bundles)("%s holds no comment but licence banners, nor blanks around line breaks", (name) => {
    const source = readFileSync(join(dist, name), "latin1");
    // Stripping it again changes nothing (stripSource also checks that the code's tokens are the same).
    expect(stripSource(source) === source).toBe(true);
  });
});
