import { describe, expect, it } from "vitest";
import { isInstanceList } from "../../../src/azure/pipeline.ts";

const RG = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute";

describe("which reads count against the instance list's throttling budget", () => {
  it.each([
    [`${RG}/virtualMachineScaleSets/vmss1/virtualMachines`, true],
    [`${RG}/VirtualMachineScaleSets/vmss1/VirtualMachines`, true],
    // A Flexible set's standalone VM list: another bucket (its figures would skew the instance list's budget).
    [`${RG}/virtualMachines`, false],
    [`${RG}/virtualMachineScaleSets/vmss1/virtualMachines/0`, false],
    [`${RG}/virtualMachineScaleSets/vmss1`, false],
  ])("%s → %s", (path, counted) => {
    expect(isInstanceList(path)).toBe(counted);
  });
});
