import { describe, expect, it } from "vitest";
import { failsJob } from "../../../src/domain/record.ts";

describe("which results fail the job", () => {
  it.each([
    ["failed", true],
    ["cancelled", true],
    ["rolled-back", true],
    ["succeeded", false],
    ["reverted", false],
    ["unchanged", false],
    ["planned", false],
  ] as const)("a %s run fails it: %s", (result, fails) => {
    expect(failsJob(result)).toBe(fails);
  });
});
