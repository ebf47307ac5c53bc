// Acceptance: the real SDK and credential classes through get → change the model → list (all stale) →
// manualupgrade → list (all current), for an image version, an extension's fileUris and a forceUpdateTag bump.
import type { ComputeManagementClient, VirtualMachineScaleSetVM } from "@azure/arm-compute";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator } from "./index.ts";
import { computeClient, FAST_POLL, type AuthKind } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";

async function listVms(client: ComputeManagementClient): Promise<VirtualMachineScaleSetVM[]> {
  const vms: VirtualMachineScaleSetVM[] = [];
  for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, { expand: "instanceView" })) vms.push(vm);
  return vms;
}

interface Change {
  readonly name: string;
  apply(client: ComputeManagementClient, etag: string | undefined): Promise<unknown>;
  /** What an upgraded instance runs afterwards, read from the emulator's state. */
  applied(emu: Emulator): unknown[];
  readonly expected: unknown;
}

const CHANGES: readonly Change[] = [
  {
    name: "image version (PATCH of the set with If-Match)",
    apply: (client, etag) =>
      client.virtualMachineScaleSets.update(
        RG,
        VMSS,
        { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
        { ...FAST_POLL, ifMatch: etag },
      ),
    applied: (emu) => emu.state().instances.map((i) => i.imageReference["exactVersion"]),
    expected: "24.04.202410020",
  },
  {
    name: "extension fileUris (PATCH of the extension child resource)",
    apply: (client) =>
      client.virtualMachineScaleSetExtensions.update(
        RG,
        VMSS,
        "customScript",
        {
          settings: {
            fileUris: ["https://stvmssdemo.blob.core.windows.net/scripts/v2/install.sh"],
            commandToExecute: "bash install.sh",
          },
        },
        FAST_POLL,
      ),
    applied: (emu) =>
      emu.state().instances.map((i) => (i.extensions["customScript"]?.settings as { fileUris: string[] }).fileUris[0]),
    expected: "https://stvmssdemo.blob.core.windows.net/scripts/v2/install.sh",
  },
  {
    name: "forceUpdateTag bump (PATCH of the extension child resource)",
    apply: (client) =>
      client.virtualMachineScaleSetExtensions.update(
        RG,
        VMSS,
        "customScript",
        { forceUpdateTag: "run-1234-1" },
        FAST_POLL,
      ),
    applied: (emu) => emu.state().instances.map((i) => i.extensions["customScript"]?.forceUpdateTag),
    expected: "run-1234-1",
  },
];

const AUTHS: readonly AuthKind[] = ["secret", "assertion"];

describe.each(AUTHS)("with a %s credential", (auth) => {
  let emu: Emulator | undefined;
  afterEach(async () => emu?.stop());

  it.each(CHANGES)("rolls out $name", async (change) => {
    emu = await start({ speed: 0.001 });
    const client = computeClient(emu, auth);

    const before = await client.virtualMachineScaleSets.get(RG, VMSS);
    expect(before.etag).toBe('"1"');
    expect(before.provisioningState).toBe("Succeeded");

    await change.apply(client, before.etag);
    const afterChange = await listVms(client);
    expect(afterChange.map((vm) => vm.latestModelApplied)).toEqual([false, false, false, false]);

    await client.virtualMachineScaleSets.updateInstances(
      RG,
      VMSS,
      { instanceIds: afterChange.map((vm) => vm.instanceId ?? "") },
      FAST_POLL,
    );
    const afterUpgrade = await listVms(client);
    expect(afterUpgrade.map((vm) => vm.latestModelApplied)).toEqual([true, true, true, true]);
    expect(afterUpgrade.map((vm) => vm.instanceView?.statuses?.map((s) => s.code))).toEqual(
      Array(4).fill(["ProvisioningState/succeeded", "PowerState/running"]),
    );
    expect(change.applied(emu)).toEqual(Array(4).fill(change.expected));
    expect(emu.counters()["Entra.Token"]).toBe(1);
  });
});

describe("the wire exchange of a rollout", () => {
  let emu: Emulator | undefined;
  afterEach(async () => emu?.stop());

  it("PATCHes only the image version with If-Match, polls Azure-AsyncOperation, then the manualupgrade monitor URL", async () => {
    emu = await start({ speed: 0.001 });
    const client = computeClient(emu);
    const vmss = await client.virtualMachineScaleSets.get(RG, VMSS);
    await client.virtualMachineScaleSets.update(
      RG,
      VMSS,
      { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
      { ...FAST_POLL, ifMatch: vmss.etag },
    );
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["*"] }, FAST_POLL);

    const writes = emu.writes();
    expect(writes.map((w) => [w.method, w.operation, w.status])).toEqual([
      ["PATCH", "VirtualMachineScaleSets.Update", 200],
      ["POST", "VirtualMachineScaleSets.UpdateInstances", 202],
    ]);
    expect(writes[0]?.body).toEqual({
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "24.04.202410020" } } } },
    });
    expect(writes[0]?.headers["if-match"]).toBe('"1"');
    expect(writes[1]?.body).toEqual({ instanceIds: ["*"] });
    const operations = emu.requests.filter((r) => r.operation.startsWith("Operations.")).map((r) => r.operation);
    expect(operations).toContain("Operations.Get");
    expect(operations.at(-1)).toBe("Operations.Monitor");
    expect(emu.state().model["etag"]).toBe('"2"');
    expect(emu.requests.every((r) => !("authorization" in r.headers))).toBe(true);
  });
});
