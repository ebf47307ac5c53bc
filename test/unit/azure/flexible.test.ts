// One Flexible VM as the engine sees it: identity and protection from the scale-set VM list, state from the
// standalone VM list, latestModelApplied from Azure or else from the comparison with the model — never assumed.
import type { VirtualMachine, VirtualMachineScaleSetVM } from "@azure/arm-compute";
import { describe, expect, it } from "vitest";
import { comparedOnModel, toFlexibleInstanceState } from "../../../src/azure/flexible.ts";
import type { ScaleSetModel } from "../../../src/domain/scale-set.ts";

const NAME = "vmss-web_1a2b3c4d";
const NEW = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "24.04.202502210" };
const model: ScaleSetModel = {
  id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web",
  name: "vmss-web",
  orchestrationMode: "Flexible",
  upgradeMode: "Manual",
  imageReference: NEW,
  extensions: [],
  hasHealthSignal: true,
};
const member: VirtualMachineScaleSetVM = {
  name: NAME,
  location: "westeurope",
  instanceId: NAME,
  modelDefinitionApplied: "VirtualMachineScaleSet",
};
const detail = (exactVersion: string): VirtualMachine => ({
  name: NAME,
  location: "westeurope",
  storageProfile: { imageReference: { ...NEW, exactVersion } },
  resources: [],
  provisioningState: "Succeeded",
  instanceView: {
    statuses: [{ code: "ProvisioningState/succeeded" }, { code: "PowerState/running" }],
    vmHealth: { status: { code: "HealthState/healthy" } },
  },
});

describe("comparedOnModel: which members are judged on the model (so that it is read)", () => {
  it.each([
    { name: "absent", value: undefined, own: false, compared: true },
    { name: "null", value: null, own: false, compared: true },
    { name: 'the text "true"', value: "true", own: false, compared: true },
    { name: "true", value: true, own: false, compared: false },
    { name: "false", value: false, own: false, compared: false },
    { name: "absent, attached with its own profile", value: undefined, own: true, compared: false },
  ])("latestModelApplied $name → $compared", ({ value, own, compared }) => {
    const m = {
      ...member,
      latestModelApplied: value as unknown as boolean,
      ...(own && { modelDefinitionApplied: "VirtualMachine" }),
    };
    expect(comparedOnModel(m)).toBe(compared);
  });
});

describe("toFlexibleInstanceState", () => {
  it.each([
    { name: "Azure says true", member: { ...member, latestModelApplied: true }, vm: detail("1.0"), latest: true },
    {
      name: "Azure says false",
      member: { ...member, latestModelApplied: false },
      vm: detail(NEW.version),
      latest: false,
    },
    { name: "unsaid, the VM runs the model's image", member, vm: detail(NEW.version), latest: true },
    { name: "unsaid, the VM runs the old image", member, vm: detail("24.04.202409120"), latest: false },
    { name: "unsaid, the VM's detail not listed", member, vm: undefined, latest: false },
    {
      // Its own profile floats: Azure calls it stale under a pinned model, whatever version `latest` gave it.
      name: "unsaid, the VM names latest and runs the model's version",
      member,
      vm: {
        ...detail(NEW.version),
        storageProfile: { imageReference: { ...NEW, version: "latest", exactVersion: NEW.version } },
      },
      latest: false,
    },
    {
      // Not booleans (a proxy's rewrite, say): not taken for what they look like; the comparison decides.
      name: 'Azure sends the text "false", the VM runs the old image',
      member: { ...member, latestModelApplied: "false" as unknown as boolean },
      vm: detail("24.04.202409120"),
      latest: false,
    },
    {
      name: "unsaid, the model's extension listed without its name (only its ID)",
      member,
      vm: {
        ...detail(NEW.version),
        resources: [
          {
            id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${NAME}/extensions/customScript`,
            location: "westeurope",
            forceUpdateTag: "run-2",
          },
        ],
      },
      model: { ...model, extensions: [{ name: "customScript", forceUpdateTag: "run-2" }] },
      latest: true,
    },
    {
      name: "attached with its own profile",
      member: { ...member, modelDefinitionApplied: "VirtualMachine", latestModelApplied: true },
      vm: detail(NEW.version),
      latest: false,
    },
  ])("$name → latestModelApplied $latest", ({ member: m, vm, latest, ...rest }) => {
    const state = toFlexibleInstanceState(m, vm, "model" in rest && rest.model ? rest.model : model);
    expect(state.latestModelApplied).toBe(latest);
    expect(state.instanceId).toBe(NAME);
    expect(state.name).toBe(NAME);
  });

  it("reads power, health and protection, and marks a VM with its own profile", () => {
    const state = toFlexibleInstanceState(
      {
        ...member,
        modelDefinitionApplied: "VirtualMachine",
        protectionPolicy: { protectFromScaleIn: true, protectFromScaleSetActions: true },
      },
      detail(NEW.version),
      model,
    );
    expect(state).toMatchObject({
      powerState: "running",
      health: "healthy",
      provisioningState: "Succeeded",
      protectedFromScaleSetActions: true,
      ownModel: true,
    });
  });
});
