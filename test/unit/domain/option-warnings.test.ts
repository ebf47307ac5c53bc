import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/inputs.ts";
import { canaryWarnings, optionWarnings } from "../../../src/domain/option-warnings.ts";
import { planBatches } from "../../../src/domain/batches.ts";
import { planChange, type ModelChange } from "../../../src/domain/change.ts";
import type { InstanceState, ScaleSetModel, UpgradeMode } from "../../../src/domain/scale-set.ts";

const BASE: Readonly<Record<string, string>> = {
  "subscription-id": "11111111-2222-3333-4444-555555555555",
  "resource-group": "rg",
  "scale-set": "vmss1",
  "image-version": "2.0.0",
};

function config(inputs: Record<string, string> = {}): ReturnType<typeof parseConfig> {
  const all = { ...BASE, ...inputs };
  return parseConfig((name) => all[name] ?? "", {});
}

function model(upgradeMode: UpgradeMode): ScaleSetModel {
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1",
    name: "vmss1",
    orchestrationMode: "Uniform",
    upgradeMode,
    imageReference: { publisher: "p", offer: "o", sku: "s", version: "1.0.0" },
    extensions: [],
    hasHealthSignal: false,
  };
}

function change(m: ScaleSetModel, version = "2.0.0"): ModelChange {
  const plan = planChange(m, { imageVersion: version });
  if (!plan.ok) throw new Error(plan.reason);
  return plan;
}

describe("optionWarnings", () => {
  it("says nothing for the defaults", () => {
    for (const mode of ["Manual", "Automatic", "Rolling"] as const)
      expect(optionWarnings(config(), model(mode), change(model(mode)))).toEqual([]);
  });

  it("names the batch options Azure ignores in Automatic and Rolling mode", () => {
    const c = config({ "batch-size": "2", canary: "1", "max-unhealthy": "0%", "pause-between-batches": "30s" });
    const [rolling] = optionWarnings(c, model("Rolling"), change(model("Rolling")));
    expect(rolling?.title).toBe("Rollout options ignored");
    expect(rolling?.message).toMatch(
      /^batch-size, canary, max-unhealthy, pause-between-batches have no effect: scale set 'vmss1' is in Rolling upgrade mode/,
    );
    expect(rolling?.message).toContain("by the scale set's rolling upgrade policy");
    const [automatic] = optionWarnings(config({ canary: "1" }), model("Automatic"), change(model("Automatic")));
    expect(automatic?.message).toMatch(/^canary has no effect: .* \(on every instance at once\)/);
  });

  it("does not warn about batch options in Manual mode or when nothing is written", () => {
    const c = config({ "batch-size": "2" });
    expect(optionWarnings(c, model("Manual"), change(model("Manual")))).toEqual([]);
    expect(optionWarnings(c, model("Rolling"), change(model("Rolling"), "1.0.0"))).toEqual([]);
  });

  it("warns about a poll-interval below 5s in Azure's clouds", () => {
    const warnings = optionWarnings(config({ "poll-interval": "2s" }), model("Manual"), change(model("Manual")));
    expect(warnings).toEqual([
      {
        title: "Polling faster than Azure's limits",
        message: expect.stringMatching(/^poll-interval 2s is below 5s: /),
      },
    ]);
  });
});

describe("canaryWarnings: a canary that is the whole rollout", () => {
  function instances(n: number): InstanceState[] {
    return Array.from({ length: n }, (_, id) => ({
      instanceId: String(id),
      name: `vmss1_${id}`,
      latestModelApplied: false,
      protectedFromScaleSetActions: false,
    }));
  }
  function warnings(inputs: Record<string, string>, n: number) {
    const { rollout } = config(inputs);
    return canaryWarnings(rollout, planBatches(instances(n), rollout));
  }

  it.each([
    { canary: "100%", n: 6, text: "canary 100% covers all 6 instances to upgrade" },
    { canary: "100%", n: 1, text: "canary 100% covers all 1 instance to upgrade" },
    { canary: "6", n: 6, text: "canary 6 covers all 6 instances to upgrade" },
    { canary: "10", n: 3, text: "canary 10 covers all 3 instances to upgrade" },
    { canary: "60%", n: 2, text: "canary 60% covers all 2 instances to upgrade" }, // 1.2 rounds up to 2
  ])("canary $canary of $n instance(s): warns", ({ canary, n, text }) => {
    const [warning, ...more] = warnings({ canary }, n);
    expect(more).toEqual([]);
    expect(warning?.title).toBe("Canary is the whole rollout");
    expect(warning?.message).toMatch(new RegExp(`^${text}, so the canary is the whole rollout in one batch`));
    expect(warning?.message).toContain("Set canary to a part of the instances (e.g. 1 or 10%), or remove canary");
  });

  it.each([
    { canary: "", n: 6 }, // no canary
    { canary: "1", n: 6 },
    { canary: "99%", n: 200 }, // 198 of 200: a batch follows
    { canary: "5", n: 6 },
    { canary: "1", n: 1 }, // one instance is one batch whatever the options
    { canary: "100%", n: 0 }, // nothing to upgrade: no batch at all
  ])("canary '$canary' of $n instance(s): no warning", ({ canary, n }) => {
    expect(warnings({ canary }, n)).toEqual([]);
  });
});
