import { describe, expect, it } from "vitest";
import { failsJob, type RolloutResult } from "../../../src/domain/record.ts";

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

  it("a result that is none of these (a record's text changed on the way, masked as *** say) fails it", () => {
    expect(failsJob("***" as RolloutResult)).toBe(true);
  });
});
