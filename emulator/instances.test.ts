// Instance state set behind the API's back (setInstance, seeds) as the real SDK reads it: power states without a health
// report, and extension statuses independent of the instance's provisioning state (see README "Observing it").
import type { ComputeManagementClient } from "@azure/arm-compute";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator, type EmulatorOptions } from "./index.ts";
import { computeClient, FAST_POLL } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(options: EmulatorOptions = {}): Promise<{ emu: Emulator; client: ComputeManagementClient }> {
  emu = await start({ speed: 0.001, ...options });
  return { emu, client: computeClient(emu) };
}

const MONITORING = {
  name: "monitoringAgent",
  publisher: "Microsoft.Azure.Monitor",
  type: "AzureMonitorLinuxAgent",
  typeHandlerVersion: "1.0",
  settings: {},
};
const SCRIPT = {
  name: "customScript",
  publisher: "Microsoft.Azure.Extensions",
  type: "CustomScript",
  typeHandlerVersion: "2.1",
  settings: { commandToExecute: "true" },
};

describe("power states and vmHealth", () => {
  it.each(["stopped", "deallocated", "deallocating"])(
    "a %s instance reports no vmHealth, in the list and its instance view",
    async (powerState) => {
      const { client, emu } = await setup({ scaleSets: [{ name: VMSS, instances: 2, healthExtension: true }] });
      emu.setInstance(VMSS, "1", { powerState });
      const listed = [];
      for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, { expand: "instanceView" }))
        listed.push(vm);
      expect(listed.map((vm) => vm.instanceView?.vmHealth?.status?.code)).toEqual(["HealthState/healthy", undefined]);
      expect(listed[1]?.instanceView?.statuses?.map((s) => s.code)).toEqual([
        "ProvisioningState/succeeded",
        `PowerState/${powerState}`,
      ]);
      const view = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "1");
      expect(view.vmHealth).toBeUndefined();
      expect(emu.state().instances.map((i) => i.health)).toEqual(["healthy", undefined]);
    },
  );

  it("reports health again once the instance runs; a health set while it was deallocated is what it reports then", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, instances: 1, healthExtension: true }] });
    emu.setInstance(VMSS, "0", { powerState: "deallocated", health: "initializing" });
    expect((await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0")).vmHealth).toBeUndefined();
    emu.setInstance(VMSS, "0", { powerState: "running" });
    expect((await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0")).vmHealth?.status?.code).toBe(
      "HealthState/initializing",
    );
  });

  it("an instance whose OS disk is replaced reports no vmHealth while it is stopped", async () => {
    const { client } = await setup({
      scaleSets: [{ name: VMSS, instances: 1, healthExtension: true, instanceUpgradeSeconds: 1000 }],
    });
    await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      FAST_POLL,
    );
    const upgrade = client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
    let done = false;
    void upgrade.then(() => (done = true));
    const seen = new Set<string>();
    while (!done) {
      const view = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0");
      const power = view.statuses?.find((s) => s.code?.startsWith("PowerState/"))?.code;
      seen.add(`${power} ${view.vmHealth?.status?.code ?? "-"}`);
    }
    await upgrade;
    expect(seen).toContain("PowerState/stopped -");
    expect([...seen].filter((s) => s.startsWith("PowerState/stopped ") && !s.endsWith(" -"))).toEqual([]);
  });
});

describe("an application that starts after its upgrade (appStartSeconds)", () => {
  it.each([
    { states: "rich", starting: "HealthState/initializing" },
    { states: "binary", starting: "HealthState/unhealthy" },
  ] as const)(
    "$states health states: $starting once the upgrade has ended, then healthy",
    async ({ states, starting }) => {
      const { client } = await setup({
        scaleSets: [{ name: VMSS, instances: 1, healthExtension: true, healthStates: states, appStartSeconds: 2000 }],
      });
      await client.virtualMachineScaleSets.update(
        RG,
        VMSS,
        { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
        FAST_POLL,
      );
      await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
      const health = async () =>
        (await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0")).vmHealth?.status?.code;
      // The operation has ended: provisioned, running, and the application not answering yet.
      expect(await health()).toBe(starting);
      await expect.poll(health, { timeout: 10_000, interval: 50 }).toBe("HealthState/healthy");
    },
  );
});

describe("extension statuses", () => {
  it("a seeded extension Error on an instance provisioned Succeeded: instance view, set summary and state", async () => {
    const { client, emu } = await setup({
      scaleSets: [
        {
          name: VMSS,
          instances: 2,
          healthExtension: true,
          extensions: [MONITORING, SCRIPT],
          extensionStatuses: { "0": { monitoringAgent: "failed" } },
        },
      ],
    });
    const vm = await client.virtualMachineScaleSetVMs.get(RG, VMSS, "0", { expand: "instanceView" });
    expect(vm.provisioningState).toBe("Succeeded");
    expect(vm.instanceView?.statuses?.map((s) => [s.code, s.level])).toEqual([
      ["ProvisioningState/succeeded", "Info"],
      ["PowerState/running", "Info"],
    ]);
    expect(vm.instanceView?.vmHealth?.status?.code).toBe("HealthState/healthy");
    expect(vm.instanceView?.extensions?.map((e) => [e.name, e.statuses?.[0]?.code, e.statuses?.[0]?.level])).toEqual([
      ["monitoringAgent", "ProvisioningState/failed/1", "Error"],
      ["customScript", "ProvisioningState/succeeded", "Info"],
      ["healthExtension", "ProvisioningState/succeeded", "Info"],
    ]);
    expect(vm.instanceView?.extensions?.[0]?.statuses?.[0]?.message).toMatch(/^Enable failed: /);
    const summary = await client.virtualMachineScaleSets.getInstanceView(RG, VMSS);
    expect(summary.virtualMachine?.statusesSummary).toEqual([{ code: "ProvisioningState/succeeded", count: 2 }]);
    expect(summary.extensions?.find((e) => e.name === "monitoringAgent")?.statusesSummary).toEqual([
      { code: "ProvisioningState/failed/1", count: 1 },
      { code: "ProvisioningState/succeeded", count: 1 },
    ]);
    expect(emu.state().instances.map((i) => i.extensionStates)).toEqual([
      { monitoringAgent: "failed", customScript: "succeeded", healthExtension: "succeeded" },
      { monitoringAgent: "succeeded", customScript: "succeeded", healthExtension: "succeeded" },
    ]);
  });

  it("setInstance sets one with a message, it outlasts an upgrade (transitioning meanwhile), and null clears it", async () => {
    const { client, emu } = await setup({
      scaleSets: [{ name: VMSS, instances: 1, extensions: [MONITORING, SCRIPT], instanceUpgradeSeconds: 100 }],
    });
    emu.setInstance(VMSS, "0", {
      extensions: { monitoringAgent: { state: "failed", message: "Enable failed: the workspace is unreachable" } },
    });
    const monitoring = async () =>
      (await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0")).extensions?.[0]?.statuses?.[0];
    expect(await monitoring()).toMatchObject({
      code: "ProvisioningState/failed/1",
      level: "Error",
      message: "Enable failed: the workspace is unreachable",
    });

    await client.virtualMachineScaleSetExtensions.update(
      RG,
      VMSS,
      "monitoringAgent",
      { forceUpdateTag: "run-2" },
      FAST_POLL,
    );
    const upgrade = client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
    while (emu.state().instances[0]?.provisioningState !== "Updating")
      await new Promise((resolve) => setTimeout(resolve, 2));
    expect(await monitoring()).toMatchObject({ code: "ProvisioningState/transitioning", level: "Info" });
    await upgrade;
    expect(emu.state().instances[0]).toMatchObject({
      provisioningState: "Succeeded",
      latestModelApplied: true,
      extensionStates: { monitoringAgent: "failed" },
    });
    expect(await monitoring()).toMatchObject({ code: "ProvisioningState/failed/1", level: "Error" });

    emu.setInstance(VMSS, "0", { extensions: { monitoringAgent: null } });
    expect(await monitoring()).toMatchObject({ code: "ProvisioningState/succeeded", level: "Info" });
  });

  it("refuses an extension the instance does not run, and a seed naming an instance the set does not have", async () => {
    const { emu } = await setup({ scaleSets: [{ name: VMSS, instances: 1 }] });
    expect(() => emu.setInstance(VMSS, "0", { extensions: { monitoringAgent: "failed" } })).toThrow(
      /runs no extension named monitoringAgent/,
    );
    await expect(
      start({
        speed: 0.001,
        scaleSets: [{ name: "other", instances: 1, extensionStatuses: { "5": { customScript: "failed" } } }],
      }),
    ).rejects.toThrow(/extensionStatuses names instance 5/);
  });
});
