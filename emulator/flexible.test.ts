// Flexible orchestration as the real SDK meets it: VMs named `<set>_<8 hex>`, the standalone VM API with $filter and
// $expand (paged), the scale-set VM list with limited detail and latestModelApplied reported or left out, manualupgrade
// by name, and the refusals of what Flexible does not offer (see README "Flexible orchestration").
import type { ComputeManagementClient, VirtualMachine, VirtualMachineScaleSetVM } from "@azure/arm-compute";
import { RestError } from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type ScaleSetSeed } from "./index.ts";
import { computeClient, FAST_POLL } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-flex";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(
  seed: Partial<ScaleSetSeed> = {},
  pageSize?: number,
  vmListExtensionsById?: boolean,
): Promise<{ emu: Emulator; client: ComputeManagementClient; setId: string }> {
  emu = await start({
    speed: 0.001,
    ...(pageSize !== undefined && { pageSize }),
    ...(vmListExtensionsById !== undefined && { vmListExtensionsById }),
    scaleSets: [{ name: VMSS, orchestrationMode: "Flexible", instances: 3, ...seed }],
  });
  const client = computeClient(emu);
  const setId = (await client.virtualMachineScaleSets.get(RG, VMSS)).id ?? "";
  return { emu, client, setId };
}

const filterFor = (setId: string): string => `'virtualMachineScaleSet/id' eq '${setId}'`;

async function standalone(client: ComputeManagementClient, setId: string): Promise<VirtualMachine[]> {
  const vms: VirtualMachine[] = [];
  for await (const vm of client.virtualMachines.list(RG, { filter: filterFor(setId), expand: "instanceView" }))
    vms.push(vm);
  return vms;
}

async function scaleSetVms(client: ComputeManagementClient): Promise<VirtualMachineScaleSetVM[]> {
  const vms: VirtualMachineScaleSetVM[] = [];
  for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) vms.push(vm);
  return vms;
}

async function refusal(call: Promise<unknown>): Promise<{ status?: number; code?: string; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof RestError) return { status: err.statusCode, code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("a Flexible scale set", () => {
  it("names its VMs <scale set>_<8 hex> and its instance IDs are those names", async () => {
    const { client, emu } = await setup();
    const names = emu.state().instances.map((i) => i.name);
    expect(names).toHaveLength(3);
    for (const name of names) expect(name).toMatch(/^vmss-flex_[0-9a-f]{8}$/);
    expect(emu.state().instances.map((i) => i.instanceId)).toEqual(names);
    expect((await scaleSetVms(client)).map((vm) => vm.instanceId)).toEqual(names);
    const model = await client.virtualMachineScaleSets.get(RG, VMSS);
    expect(model.orchestrationMode).toBe("Flexible");
    expect(model.singlePlacementGroup).toBe(false);
    expect(model.upgradePolicy).toEqual({ mode: "Manual" });
  });

  it("lists its VMs through the standalone VM API with the instance view, in pages", async () => {
    const { client, setId } = await setup({ instances: 5, healthExtension: true }, 2);
    const vms = await standalone(client, setId);
    expect(vms).toHaveLength(5);
    expect(emu?.counters()["VirtualMachines.List"]).toBe(3);
    const [first] = vms;
    expect(first?.virtualMachineScaleSet?.id).toBe(setId);
    expect(first?.storageProfile?.imageReference?.exactVersion).toBe("24.04.202409120");
    expect(first?.instanceView?.vmHealth?.status?.code).toBe("HealthState/healthy");
    expect(first?.instanceView?.statuses?.map((s) => s.code)).toEqual([
      "ProvisioningState/succeeded",
      "PowerState/running",
    ]);
    expect(first?.resources?.map((r) => r.name)).toEqual(["customScript", "healthExtension"]);
    expect(first?.resources?.[0]?.settings).toMatchObject({ commandToExecute: "bash install.sh" });
  });

  it.each([
    { name: "a $filter other than the scale set's ID", options: { filter: "name eq 'x'" }, target: "$filter" },
    { name: "$expand=instanceView without a $filter", options: { expand: "instanceView" as const }, target: "$expand" },
  ])("refuses $name on the standalone VM list", async ({ options }) => {
    const { client } = await setup();
    const err = await refusal(
      (async () => {
        for await (const _ of client.virtualMachines.list(RG, options)) void _;
      })(),
    );
    expect(err.status).toBe(400);
  });

  it.each([
    { latestModelApplied: "reported" as const, expected: [true, true, true] },
    { latestModelApplied: "absent" as const, expected: [undefined, undefined, undefined] },
  ])(
    "gives limited detail on the scale-set VM list, latestModelApplied $latestModelApplied",
    async ({ latestModelApplied, expected }) => {
      const { client } = await setup({ latestModelApplied });
      const vms = await scaleSetVms(client);
      expect(vms.map((vm) => vm.latestModelApplied)).toEqual(expected);
      expect(vms.map((vm) => vm.instanceView)).toEqual([undefined, undefined, undefined]);
      expect(vms.map((vm) => vm.storageProfile)).toEqual([undefined, undefined, undefined]);
      expect(vms[0]?.virtualMachineResourceId).toMatch(/\/providers\/Microsoft\.Compute\/virtualMachines\/vmss-flex_/);
    },
  );

  it.each([
    { byId: false, listed: "with their properties" },
    { byId: true, listed: "by ID only (vmListExtensionsById)" },
  ])("lists each VM's extensions $listed; VirtualMachineExtensions.List and .Get show them whole", async ({ byId }) => {
    const { client, setId } = await setup({}, undefined, byId);
    const [vm] = await standalone(client, setId);
    const name = vm?.name ?? "";
    const [listed] = vm?.resources ?? [];
    expect(listed?.id).toBe(`${vm?.id}/extensions/customScript`);
    expect(listed?.settings === undefined).toBe(byId);
    expect(listed?.publisher === undefined).toBe(byId);
    const whole = (await client.virtualMachineExtensions.list(RG, name)).value ?? [];
    expect(whole.map((ext) => [ext.name, ext.id, ext.type, ext.provisioningState])).toEqual([
      ["customScript", listed?.id, "Microsoft.Compute/virtualMachines/extensions", "Succeeded"],
    ]);
    expect(whole[0]?.settings).toEqual(expect.objectContaining({ fileUris: expect.any(Array) }));
    expect(whole[0]?.protectedSettings).toBeUndefined();
    expect((await client.virtualMachineExtensions.get(RG, name, "customScript")).settings).toEqual(whole[0]?.settings);
    // A GET of the VM shows them whole whatever the list does (ansible/ansible#38279).
    expect((await client.virtualMachines.get(RG, name)).resources?.[0]?.settings).toEqual(whole[0]?.settings);
    expect(await refusal(client.virtualMachineExtensions.get(RG, name, "nope"))).toMatchObject({ status: 404 });
    expect(await refusal(client.virtualMachineExtensions.list(RG, "vmss-flex_00000000"))).toMatchObject({
      status: 404,
      code: "ResourceNotFound",
    });
  });

  it("pages the standalone VM list from a VM, not an offset: one scaled in between pages makes no other skipped", async () => {
    const { client, setId, emu } = await setup({ instances: 5 }, 2);
    const names = emu.state(VMSS).instances.map((i) => i.name);
    const seen: string[] = [];
    let first = true;
    for await (const page of client.virtualMachines.list(RG, { filter: filterFor(setId) }).byPage()) {
      seen.push(...page.map((vm) => vm.name ?? ""));
      if (first) emu.deleteInstance(VMSS, names[0] ?? ""); // shown already: the next page must still start at the third
      first = false;
    }
    expect(seen).toEqual(names);
  });

  it("upgrades VMs named in manualupgrade and refuses numeric instance IDs", async () => {
    const { client, emu } = await setup({ latestModelApplied: "reported" });
    await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202502010" } } } },
      FAST_POLL,
    );
    const [a, b] = emu.state().instances.map((i) => i.instanceId);
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: [a ?? ""] }, FAST_POLL);
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([true, false, false]);
    expect((await scaleSetVms(client)).map((vm) => vm.latestModelApplied)).toEqual([true, false, false]);
    const vms = await standalone(client, (await client.virtualMachineScaleSets.get(RG, VMSS)).id ?? "");
    expect(vms.map((vm) => vm.storageProfile?.imageReference?.exactVersion)).toEqual([
      "24.04.202502010",
      "24.04.202409120",
      "24.04.202409120",
    ]);
    const err = await refusal(client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["1"] }));
    expect(err).toMatchObject({ status: 400, code: "InvalidParameter" });
    expect(b).toBeDefined();
  });

  it("refuses names on the per-instance scale-set VM API and the scale set's instance view", async () => {
    const { client, emu } = await setup();
    const name = emu.state().instances[0]?.name ?? "";
    expect(await refusal(client.virtualMachineScaleSetVMs.get(RG, VMSS, name))).toMatchObject({
      status: 400,
      message: "Virtual Machine Scale Set VM instanceId must be a number.",
    });
    expect(await refusal(client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, name))).toMatchObject({
      status: 400,
    });
    // Azure's words (nomad-autoscaler#1096, OMS-Agent-for-Linux#1475; README "Flexible orchestration").
    expect(await refusal(client.virtualMachineScaleSets.getInstanceView(RG, VMSS))).toMatchObject({
      status: 400,
      code: "BadRequest",
      message: `Operation 'VirtualMachineScaleSets.instanceView.GET' is not allowed on Virtual Machine Scale Set '${VMSS}'.`,
    });
  });

  it.each([
    { name: "Rolling without the Application Health extension", policy: { mode: "Rolling" as const } },
    {
      name: "automatic OS image upgrades",
      policy: { mode: "Manual" as const, automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true } },
    },
    {
      name: "rollbackFailedInstancesOnPolicyBreach",
      policy: { mode: "Manual" as const, rollingUpgradePolicy: { rollbackFailedInstancesOnPolicyBreach: true } },
    },
  ])("refuses $name", async ({ policy }) => {
    const { client, emu } = await setup();
    const err = await refusal(client.virtualMachineScaleSets.update(RG, VMSS, { upgradePolicy: policy }, FAST_POLL));
    expect(err.status).toBe(400);
    expect(emu.state().model["properties"]).toMatchObject({ upgradePolicy: { mode: "Manual" } });
  });

  it("reports VMs attached with their own profile, never on the model, and refuses to upgrade them", async () => {
    const { client, emu } = await setup({ attachedVms: 1, latestModelApplied: "reported" });
    const vms = await scaleSetVms(client);
    expect(vms.map((vm) => vm.modelDefinitionApplied)).toEqual([
      "VirtualMachineScaleSet",
      "VirtualMachineScaleSet",
      "VirtualMachineScaleSet",
      "VirtualMachine",
    ]);
    expect(vms[3]?.latestModelApplied).toBe(false);
    const attached = emu.state().instances[3]?.instanceId ?? "";
    expect(attached).toBe("vmss-flex_attached0");
    expect(
      await refusal(client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: [attached] })),
    ).toMatchObject({ status: 409, code: "OperationNotAllowed" });
  });

  it.each(["Automatic", "Rolling"] as const)(
    "%s mode's roll leaves a VM attached with its own profile alone, and a rolling upgrade does not count it",
    async (upgradeMode) => {
      const { client, emu } = await setup({ attachedVms: 1, upgradeMode, healthExtension: true });
      const attached = emu.state().instances.find((i) => i.name.includes("attached"))!;
      await client.virtualMachineScaleSets.beginUpdateAndWait(
        RG,
        VMSS,
        { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202501140" } } } },
        FAST_POLL,
      );
      const states = emu.state().instances;
      expect(states.filter((i) => i.latestModelApplied).map((i) => i.name)).toHaveLength(3);
      const after = states.find((i) => i.instanceId === attached.instanceId)!;
      expect(after.imageReference).toEqual(attached.imageReference);
      // Not stopped and started by the roll either: its power state never changed.
      expect(emu.instanceHistory(VMSS, attached.instanceId).filter((c) => c.field === "powerState")).toHaveLength(1);
      if (upgradeMode === "Rolling") {
        const latest = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
        expect(latest.progress).toMatchObject({ successfulInstanceCount: 3, failedInstanceCount: 0 });
        // A client's OS rolling upgrade (every instance, current ones too) leaves it out as well.
        await client.virtualMachineScaleSetRollingUpgrades.beginStartOSUpgradeAndWait(RG, VMSS, FAST_POLL);
        const os = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
        expect(os.progress).toMatchObject({ successfulInstanceCount: 3, failedInstanceCount: 0 });
        expect(emu.instanceHistory(VMSS, attached.instanceId).filter((c) => c.field === "powerState")).toHaveLength(1);
      }
    },
  );

  it("shows a VM's protection on the scale-set VM list (Flexible VMs carry protectionPolicy there)", async () => {
    const { client, emu } = await setup({ latestModelApplied: "reported" });
    const name = emu.state().instances[1]?.name ?? "";
    emu.setInstance(VMSS, name, { protected: true });
    expect(emu.state().instances.map((i) => i.protected)).toEqual([false, true, false]);
    expect((await scaleSetVms(client))[1]?.protectionPolicy).toEqual({
      protectFromScaleIn: true,
      protectFromScaleSetActions: true,
    });
  });
});
