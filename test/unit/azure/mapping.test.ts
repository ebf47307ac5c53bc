// What Azure's answers become once mapped: values the engine and the report rely on (the upgrade mode, the rolling
// upgrade's counts) are only ever the values they know, whatever text or type Azure (or anyone between) sends.
import { describe, expect, it } from "vitest";
import type { RollingUpgradeStatusInfo, VirtualMachineScaleSet } from "@azure/arm-compute";
import { toInstanceState, toRollingStatus, toScaleSetModel } from "../../../src/azure/mapping.ts";
import { planChange } from "../../../src/domain/change.ts";
import { renderSummary } from "../../../src/report/index.ts";
import { success } from "../report/fixtures.ts";

function scaleSet(mode: unknown): VirtualMachineScaleSet {
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web",
    name: "vmss-web",
    location: "westeurope",
    upgradePolicy: { mode } as VirtualMachineScaleSet["upgradePolicy"],
    virtualMachineProfile: {
      storageProfile: { imageReference: { publisher: "p", offer: "o", sku: "s", version: "1.0.0" } },
    },
  };
}

describe("the scale set's upgrade mode", () => {
  it.each([
    { mode: "Manual", seen: "Manual" },
    { mode: "Automatic", seen: "Automatic" },
    { mode: "Rolling", seen: "Rolling" },
    { mode: "rolling", seen: "Rolling" }, // Azure reads enum values case-insensitively
    { mode: "MANUAL", seen: "Manual" },
    { mode: undefined, seen: "Manual" }, // Azure's default
    { mode: "Manual <img src=https://evil.example/x.png>", seen: "Unknown" },
    { mode: "Manual\n##[stop-commands]x", seen: "Unknown" },
    { mode: " Rolling", seen: "Unknown" },
    { mode: "Batched", seen: "Unknown" },
    { mode: 1, seen: "Unknown" },
    { mode: { toString: () => "Manual" }, seen: "Unknown" },
  ])("$mode → $seen", ({ mode, seen }) => {
    const model = toScaleSetModel(scaleSet(mode));
    expect(model.upgradeMode).toBe(seen);
    // The summary shows the mode as mapped, never Azure's text.
    const summary = renderSummary({ ...success(), upgradeMode: model.upgradeMode });
    expect(summary).toContain(`**Upgrade mode** ${seen}`);
    expect(summary).not.toMatch(/evil|<img|stop-commands/);
  });

  it("an unknown mode is refused before any write, in words that do not repeat it", () => {
    const model = toScaleSetModel(scaleSet("Manual <img src=https://evil.example/x.png>"));
    const plan = planChange(model, { imageVersion: "1.1.0" });
    expect(plan).toMatchObject({ ok: false });
    const reason = plan.ok ? "" : plan.reason;
    expect(reason).toMatch(/upgrade mode other than Manual, Automatic or Rolling.*nothing was written/);
    expect(reason).not.toMatch(/evil|<img/);
  });
});

describe("the scale set's capacity", () => {
  it.each([
    { capacity: 6, seen: 6 },
    { capacity: 0, seen: 0 },
    { capacity: undefined, seen: undefined },
    { capacity: -1, seen: undefined },
    { capacity: 2.5, seen: undefined },
    { capacity: "6", seen: undefined },
  ])("sku.capacity $capacity → $seen", ({ capacity, seen }) => {
    const model = toScaleSetModel({ ...scaleSet("Manual"), sku: { name: "Standard_B1s", capacity } as never });
    expect(model.capacity).toBe(seen);
  });
});

describe("the rolling upgrade policy", () => {
  it.each([
    { policy: { rollbackFailedInstancesOnPolicyBreach: true }, seen: true },
    { policy: { rollbackFailedInstancesOnPolicyBreach: false }, seen: undefined },
    { policy: { rollbackFailedInstancesOnPolicyBreach: "true" }, seen: undefined },
    { policy: {}, seen: undefined },
    { policy: undefined, seen: undefined },
  ])("$policy → rollbackFailedInstances $seen", ({ policy, seen }) => {
    const set = scaleSet("Rolling");
    const model = toScaleSetModel({
      ...set,
      upgradePolicy: { mode: "Rolling", rollingUpgradePolicy: policy as never },
    });
    expect(model.rollbackFailedInstances).toBe(seen);
  });
});

describe("Azure's rolling upgrade status", () => {
  const HOSTILE = "3 <img src=https://evil.example/x.png>\n##[stop-commands]x";
  it.each([
    { name: "numbers", value: 3, seen: 3 },
    { name: "zero", value: 0, seen: 0 },
    { name: "absent", value: undefined, seen: 0 },
    { name: "null", value: null, seen: 0 },
    { name: "a number as text", value: "3", seen: 0 },
    { name: "hostile text", value: HOSTILE, seen: 0 },
    { name: "an object", value: { toString: () => HOSTILE }, seen: 0 },
    { name: "a negative number", value: -1, seen: 0 },
    { name: "a fraction", value: 1.5, seen: 0 },
    { name: "NaN", value: Number.NaN, seen: 0 },
    { name: "Infinity", value: Number.POSITIVE_INFINITY, seen: 0 },
    { name: "past the safe integers", value: 2 ** 60, seen: 0 },
  ])("counts given as $name are $seen, and the summary shows them so", ({ value, seen }) => {
    const status = toRollingStatus({
      location: "westeurope",
      runningStatus: { code: "Faulted", startTime: "not a time" as unknown as Date },
      progress: {
        successfulInstanceCount: value,
        failedInstanceCount: value,
        inProgressInstanceCount: value,
        pendingInstanceCount: value,
      } as unknown as RollingUpgradeStatusInfo["progress"],
      error: { code: 7, message: { text: HOSTILE } } as unknown as RollingUpgradeStatusInfo["error"],
    });
    expect(status).toEqual({
      code: "Faulted",
      successfulInstanceCount: seen,
      failedInstanceCount: seen,
      inProgressInstanceCount: seen,
      pendingInstanceCount: seen,
    });
    const summary = renderSummary({ ...success(), rolling: status });
    expect(summary).toContain(
      `**Azure's rolling upgrade:** Faulted (${seen} succeeded, ${seen} failed, ${seen} in progress, ${seen} pending)`,
    );
    expect(summary).not.toMatch(/evil|<img|stop-commands/);
  });

  it("keeps a valid start time and error", () => {
    const status = toRollingStatus({
      location: "westeurope",
      runningStatus: { code: "Completed", startTime: new Date("2026-12-04T10:00:00Z") },
      error: { code: "Boom", message: "it broke" },
    });
    expect(status).toMatchObject({
      startTime: "2026-12-04T10:00:00.000Z",
      error: { code: "Boom", message: "it broke" },
    });
  });
});

describe("an instance's flags", () => {
  it.each([
    { value: true, seen: true },
    { value: false, seen: false },
    { value: undefined, seen: false },
    { value: "false", seen: false },
    { value: "true", seen: false },
    { value: 1, seen: false },
  ])("latestModelApplied and protection given as $value are $seen", ({ value, seen }) => {
    const state = toInstanceState({
      location: "westeurope",
      instanceId: "0",
      latestModelApplied: value as boolean,
      protectionPolicy: { protectFromScaleSetActions: value as boolean },
    });
    expect(state.latestModelApplied).toBe(seen);
    expect(state.protectedFromScaleSetActions).toBe(seen);
  });
});

describe("an instance's extensions, as the VM list's resources show them", () => {
  const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vmss1_0/extensions/cse";
  const full = {
    name: "cse",
    id,
    location: "westeurope",
    publisher: "Microsoft.Azure.Extensions",
    typePropertiesType: "CustomScript",
    settings: { fileUris: ["https://example.org/a.sh"] },
    forceUpdateTag: "7",
  };
  const shown = {
    name: "cse",
    publisher: "Microsoft.Azure.Extensions",
    type: "CustomScript",
    settings: { fileUris: ["https://example.org/a.sh"] },
    forceUpdateTag: "7",
  };
  const flags = {
    typeHandlerVersion: "2.1",
    autoUpgradeMinorVersion: true,
    enableAutomaticUpgrade: false,
    suppressFailures: true,
  };
  it.each([
    { name: "shown with their properties: settings and forceUpdateTag", resources: [full], extensions: [shown] },
    {
      name: "with the handler version and flags a writer may change",
      resources: [{ ...full, ...flags }],
      extensions: [{ ...shown, ...flags }],
    },
    { name: "no resources: nothing shown", resources: undefined, extensions: undefined },
    { name: "an empty list: nothing shown", resources: [], extensions: undefined },
    {
      name: "one shown by ID only: nothing to judge",
      resources: [full, { id, location: "westeurope" }],
      extensions: undefined,
    },
  ])("$name", ({ resources, extensions }) => {
    const state = toInstanceState({ location: "westeurope", instanceId: "0", ...(resources && { resources }) });
    expect(state.extensions).toEqual(extensions);
  });
});

describe("the model's extensions", () => {
  it("keep what a writer may change besides settings: handler version, flags, provisionAfterExtensions", () => {
    const model = toScaleSetModel({
      ...scaleSet("Manual"),
      virtualMachineProfile: {
        extensionProfile: {
          extensions: [
            {
              name: "health",
              publisher: "Microsoft.ManagedServices",
              typePropertiesType: "ApplicationHealthLinux",
              typeHandlerVersion: "1.0",
              autoUpgradeMinorVersion: false,
              enableAutomaticUpgrade: true,
              provisionAfterExtensions: ["customScript"],
              settings: { port: 80 },
            },
          ],
        },
      },
    });
    expect(model.extensions).toEqual([
      {
        name: "health",
        publisher: "Microsoft.ManagedServices",
        type: "ApplicationHealthLinux",
        typeHandlerVersion: "1.0",
        autoUpgradeMinorVersion: false,
        enableAutomaticUpgrade: true,
        provisionAfterExtensions: ["customScript"],
        settings: { port: 80 },
      },
    ]);
  });
});
