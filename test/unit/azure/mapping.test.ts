// What Azure's answers become once mapped: values the engine and the report rely on (the upgrade mode, the rolling
// upgrade's counts) are only ever the values they know, whatever text or type Azure (or anyone between) sends.
import { describe, expect, it } from "vitest";
import type { VirtualMachineScaleSet } from "@azure/arm-compute";
import { toScaleSetModel } from "../../../src/azure/mapping.ts";
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
