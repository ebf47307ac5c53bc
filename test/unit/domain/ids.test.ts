import { describe, expect, it } from "vitest";
import { idRanges, sortIds } from "../../../src/domain/ids.ts";

describe("sortIds", () => {
  it.each([
    { name: "Uniform instance IDs by value", ids: ["10", "2", "0", "1"], sorted: ["0", "1", "2", "10"] },
    {
      name: "Flexible VM names as text, after any number",
      ids: ["vmss-web_c58f8cd6", "vmss-web_4c70e246", "3", "vmss-web_0a1b2c3d"],
      sorted: ["3", "vmss-web_0a1b2c3d", "vmss-web_4c70e246", "vmss-web_c58f8cd6"],
    },
    {
      name: "names with numbers in them naturally (VMs attached by hand)",
      ids: ["web-vm-10", "web-vm-2", "web-vm-1", "web-vm-02"],
      sorted: ["web-vm-1", "web-vm-02", "web-vm-2", "web-vm-10"],
    },
  ])("$name", ({ ids, sorted }) => {
    expect(sortIds(ids)).toEqual(sorted);
    expect(sortIds([...ids].reverse())).toEqual(sorted);
  });
});

describe("idRanges", () => {
  it("collapses runs of numbers, and lists names as they are", () => {
    expect(idRanges(["0", "1", "2", "5"])).toBe("0–2, 5");
    expect(idRanges(["vmss-web_4c70e246", "vmss-web_0a1b2c3d"])).toBe("vmss-web_0a1b2c3d, vmss-web_4c70e246");
  });
});
