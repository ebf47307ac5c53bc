import { describe, expect, it } from "vitest";
import { describeRunning, isBusy } from "../../../src/domain/in-progress.ts";
import type { InstanceState, RollingUpgradeStatus, ScaleSetModel } from "../../../src/domain/scale-set.ts";

const model = (provisioningState?: string): ScaleSetModel => ({
  id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
  name: "vmss1",
  orchestrationMode: "Uniform",
  upgradeMode: "Manual",
  ...(provisioningState !== undefined && { provisioningState }),
  imageReference: {},
  extensions: [],
  hasHealthSignal: false,
});

const instance = (instanceId: string, provisioningState?: string): InstanceState => ({
  instanceId,
  name: `vmss1_${instanceId}`,
  latestModelApplied: true,
  protectedFromScaleSetActions: false,
  ...(provisioningState !== undefined && { provisioningState }),
});

const rolling = (code: RollingUpgradeStatus["code"], startTime?: string): RollingUpgradeStatus => ({
  code,
  ...(startTime !== undefined && { startTime }),
  successfulInstanceCount: 2,
  failedInstanceCount: 0,
  inProgressInstanceCount: 1,
  pendingInstanceCount: 3,
});

describe("describeRunning", () => {
  it("is undefined when nothing runs", () => {
    expect(describeRunning(undefined, undefined, [])).toBeUndefined();
    expect(
      describeRunning(model("Succeeded"), rolling("Completed"), [instance("0", "Succeeded"), instance("1")]),
    ).toBeUndefined();
    expect(describeRunning(model("Failed"), rolling("Faulted"), [instance("0", "Failed")])).toBeUndefined();
  });

  it("names a scale set being updated", () => {
    expect(describeRunning(model("Updating"), undefined, [])).toBe("the scale set is Updating");
  });

  it("names a rolling upgrade in progress with its counts", () => {
    expect(describeRunning(model("Succeeded"), rolling("RollingForward", "2025-11-26T12:00:00Z"), [])).toBe(
      "a rolling upgrade is RollingForward since 2025-11-26T12:00:00Z (2 done, 1 in progress, 3 pending)",
    );
    expect(describeRunning(undefined, rolling("RollingBack"), [])).toBe(
      "a rolling upgrade is RollingBack (2 done, 1 in progress, 3 pending)",
    );
  });

  it("groups busy instances by their state, in listing order, after the scale set", () => {
    const instances = [
      instance("0", "Updating"),
      instance("1", "Succeeded"),
      instance("2", "Deleting"),
      instance("3", "Updating"),
      instance("4", "creating"),
    ];
    expect(describeRunning(model("Updating"), undefined, instances)).toBe(
      "the scale set is Updating; instance(s) 0, 3 Updating; instance(s) 2 Deleting; instance(s) 4 creating",
    );
  });
});

describe("isBusy", () => {
  it("is an instance being updated or created, not deleted", () => {
    expect(isBusy(instance("0", "Updating"))).toBe(true);
    expect(isBusy(instance("0", "creating"))).toBe(true);
    expect(isBusy(instance("0", "Deleting"))).toBe(false);
    expect(isBusy(instance("0", "Succeeded"))).toBe(false);
    expect(isBusy(instance("0"))).toBe(false);
  });
});
