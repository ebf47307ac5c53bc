// README's inputs/outputs tables and docs/troubleshooting.md's Azure errors are generated; this fails when they drift
// from action.yml or src/report/error-help.ts. Fix: npx node scripts/readme-tables.ts

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { regenerate, replaceBetween } from "../../scripts/readme-tables.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("generated documentation", () => {
  it.each(regenerate(read).map((file) => [file.path, file.content]))("%s is up to date", (path, expected) => {
    expect(read(path), "stale: run npx node scripts/readme-tables.ts").toBe(expected);
  });

  it("lists every input and output of action.yml in README", () => {
    const action = parse(read("action.yml")) as { inputs: object; outputs: object };
    const readme = read("README.md");
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) {
      expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, "m"));
    }
  });
});

describe("replaceBetween", () => {
  it("replaces only the text between the markers", () => {
    const text = "before\n<!-- t:start -->\nold\n<!-- t:end -->\nafter\n";
    expect(replaceBetween(text, "t", "new")).toBe("before\n<!-- t:start -->\nnew\n<!-- t:end -->\nafter\n");
  });

  it("refuses a file without the markers", () => {
    expect(() => replaceBetween("no markers", "t", "x")).toThrow("markers <!-- t:start --> … <!-- t:end --> not found");
  });
});
