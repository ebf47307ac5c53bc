// The engine through the real SDK adapter against the emulator: Automatic and Rolling upgrade modes, where the
// platform rolls the model change and the action follows it.
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "../emulator/index.ts";
import { adapterFor, configFor, NEW_VERSION, OLD_VERSION, outcomes, rollout, runningVersions, writesOf } from "./harness.ts";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function emulator(options: EmulatorOptions): Promise<Emulator> {
  emu = await start({ speed: 0.001, ...options });
  return emu;
}

const PATCH_SET = "PATCH VirtualMachineScaleSets.Update";

describe.each(["Automatic", "Rolling"] as const)("%s mode", (upgradeMode) => {
  it("follows the platform to success without sending manualupgrade", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode, healthExtension: true, protectedInstances: ["4"] }] });
    const { record, log } = await rollout(configFor(emu));

    expect(record.result).toBe("succeeded");
    expect(record.upgradeMode).toBe(upgradeMode);
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(record.batches).toEqual([]);
    expect(outcomes(record)).toEqual({ updated: ["0", "1", "2", "3"], "skipped-protected": ["4"] });
    expect(runningVersions(emu)).toEqual({ "0": NEW_VERSION, "1": NEW_VERSION, "2": NEW_VERSION, "3": NEW_VERSION, "4": OLD_VERSION });
    expect(log.lines).toContain(`::group::Platform rollout (${upgradeMode})`);
    expect(log.text()).toMatch(new RegExp(`\\[${upgradeMode === "Rolling" ? "rolling" : "automatic"} upgrade\\] \\d/4 done`));
    if (upgradeMode === "Rolling") {
      expect(record.rolling).toMatchObject({ code: "Completed", successfulInstanceCount: 4, failedInstanceCount: 0 });
      expect(log.text()).toMatch(/Rolling upgrade (RollingForward|Completed): \d succeeded/);
    }
  });

  it("turns a failed platform upgrade into a readable failure naming the instances", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, upgradeMode }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record } = await rollout(configFor(emu));

    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(record.instances.find((i) => i.instanceId === "0")).toMatchObject({ outcome: "failed", provisioningState: "Failed" });
    expect(record.instances.find((i) => i.instanceId === "0")?.error?.code).toBe("VMExtensionProvisioningError");
    if (upgradeMode === "Rolling") {
      // Batches of max(1, floor(5 × 20%)) = 1: the first failure is 100% > 20% → Faulted; the rest never start.
      expect(record.rolling).toMatchObject({ code: "Faulted", failedInstanceCount: 1 });
      expect(record.reason).toMatch(
        /^Azure's rolling upgrade faulted \(MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade: .*\): 0 succeeded, 1 failed, 4 pending\. Failed or unhealthy: 0 \(vmss1_0\): provisioning Failed, .*VMExtensionProvisioningError.*\. Not on the new model: 1-4\.$/,
      );
    } else {
      expect(record.reason).toMatch(/^Azure's automatic upgrade failed \(VMExtensionProvisioningError: .*\)\. Failed or unhealthy: 0 \(vmss1_0\): provisioning Failed, [^;]*\.$/);
      expect(outcomes(record)).toEqual({ failed: ["0"], updated: ["1", "2", "3", "4"] });
    }
  });
});

describe("Automatic mode", () => {
  it("rolls back a failed platform upgrade: the previous model, which the platform rolls out again", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Automatic" }] });
    emu.faults.failUpgrade("1", { scaleSet: "vmss1" });
    const { record } = await rollout(configFor(emu, { rollout: { rollbackOnFailure: true } }));

    expect(record.result).toBe("rolled-back");
    expect(writesOf(emu)).toEqual([PATCH_SET, PATCH_SET]);
    expect(emu.writes()[1]!.body).toEqual({ properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OLD_VERSION } } } } });
    expect(Object.values(runningVersions(emu))).toEqual([OLD_VERSION, OLD_VERSION, OLD_VERSION]);
    expect(record.rollback).toEqual({ succeeded: true, instanceIds: ["0", "1", "2"] });
    expect(outcomes(record)).toEqual({ "rolled-back": ["0", "1", "2"] });
  });
});

describe("Rolling mode", () => {
  it("rolls an image and an extension change one after the other (Azure refuses a write during a roll)", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, upgradeMode: "Rolling" }] });
    const { record, log } = await rollout(
      configFor(emu, { change: { imageVersion: NEW_VERSION, extension: { name: "customScript", forceUpdateTag: "run-2" } } }),
    );
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([PATCH_SET, "PATCH VirtualMachineScaleSetExtensions.Update"]);
    for (const instance of emu.state("vmss1").instances) {
      expect(instance.imageReference["version"]).toBe(NEW_VERSION);
      expect(instance.extensions["customScript"]?.forceUpdateTag).toBe("run-2");
    }
    expect(log.lines.filter((l) => l === "::group::Platform rollout (Rolling)")).toHaveLength(2);
  });

  it("waits for a rolling upgrade already in progress, then rolls its own change", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, upgradeMode: "Rolling", instanceUpgradeSeconds: 60 }] });
    // Someone else's model change: Azure is rolling it when the action starts.
    const running = await adapterFor(configFor(emu)).startPatchExtension({ name: "customScript", forceUpdateTag: "other" });
    emu.resetLog();

    const { record, log } = await rollout(configFor(emu));
    expect(await running.done).toEqual({ status: "Succeeded" });
    expect(record.result).toBe("succeeded");
    expect(log.text()).toMatch(/Waiting for an operation already in progress: the scale set is Updating; a rolling upgrade is RollingForward since .* \(\d done, \d in progress, \d pending\)/);
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(NEW_VERSION));
  });
});
