import { describe, expect, it } from "vitest";
import { InputError } from "../../src/config/types.ts";

describe("toolchain", () => {
  it("runs on Node 24", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
  });
  it("names the input in an InputError", () => {
    expect(new InputError("batch-size", "bad").message).toBe("Input 'batch-size': bad");
  });
});
