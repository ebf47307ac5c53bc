// The faults added for the fault matrix (issue #12), observed through the real SDK: connections reset before and after
// a request is processed, hanging requests, 429s without Retry-After, a concurrent writer, the scale set deleted and
// operations ending Failed or preempted after a delay (see README "Faults").
import type { ComputeManagementClient } from "@azure/arm-compute";
import { afterEach, describe, expect, it } from "vitest";
import { start, type Emulator } from "./index.ts";
import { computeClient, FAST_POLL } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";
const NEW_VERSION = "24.04.202410020";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(): Promise<{ emu: Emulator; client: ComputeManagementClient }> {
  emu = await start({ speed: 0.001 });
  return { emu, client: computeClient(emu) };
}

const versionPatch = { virtualMachineProfile: { storageProfile: { imageReference: { version: NEW_VERSION } } } };
const modelVersion = (e: Emulator): unknown =>
  (
    e.state().model as {
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: string } } } };
    }
  ).properties.virtualMachineProfile.storageProfile.imageReference.version;
const upgrade = (client: ComputeManagementClient, instanceIds: string[]) =>
  client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds }, FAST_POLL);

describe("connection resets", () => {
  it("before processing: nothing is applied; the SDK resends and the write happens once", async () => {
    const { client, emu } = await setup();
    emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Update" });
    await client.virtualMachineScaleSets.update(RG, VMSS, versionPatch, FAST_POLL);
    const updates = emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.Update");
    expect(updates.map((r) => r.status)).toEqual([0, 200]);
    expect(emu.state().model).toMatchObject({ etag: '"2"' });
  });

  it("after processing: the write is applied, the answer lost; resent with If-Match it meets 412", async () => {
    const { client, emu } = await setup();
    emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Update", afterProcessing: true });
    await expect(
      client.virtualMachineScaleSets.update(RG, VMSS, versionPatch, { ...FAST_POLL, ifMatch: '"1"' }),
    ).rejects.toMatchObject({ statusCode: 412, code: "PreconditionFailed" });
    const updates = emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.Update");
    expect(updates.map((r) => r.status)).toEqual([0, 412]);
    expect(modelVersion(emu)).toBe(NEW_VERSION);
    expect(emu.state().model).toMatchObject({ etag: '"2"' });
  });
});

describe("hanging requests", () => {
  it("held for `seconds`, then answered", async () => {
    const { client, emu } = await setup();
    emu.faults.hangRequest({ operation: "VirtualMachineScaleSets.Get", seconds: 0.3 });
    const started = Date.now();
    await expect(client.virtualMachineScaleSets.get(RG, VMSS)).resolves.toMatchObject({ name: VMSS });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it("held forever: a client that gives up gets nothing, and a write held so is never applied", async () => {
    const { client, emu } = await setup();
    emu.faults.hangRequest({ operation: "VirtualMachineScaleSets.Update" });
    await expect(
      client.virtualMachineScaleSets.update(RG, VMSS, versionPatch, {
        ...FAST_POLL,
        abortSignal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow(/abort/i);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(emu.state().model).toMatchObject({ etag: '"1"' });
    expect(emu.requests.find((r) => r.operation === "VirtualMachineScaleSets.Update")?.status).toBe(0);
  });

  it("after processing: the write is applied at once, its answer held; a client that gives up never learns it", async () => {
    const { client, emu } = await setup();
    emu.faults.hangRequest({ operation: "VirtualMachineScaleSets.Update", afterProcessing: true });
    await expect(
      client.virtualMachineScaleSets.update(RG, VMSS, versionPatch, {
        ...FAST_POLL,
        abortSignal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow(/abort/i);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(modelVersion(emu)).toBe(NEW_VERSION);
    expect(emu.state().model).toMatchObject({ etag: '"2"' });
    expect(emu.requests.find((r) => r.operation === "VirtualMachineScaleSets.Update")?.status).toBe(0);
  });
});

describe("429 bursts", () => {
  it("without Retry-After: the SDK does not retry, the caller gets the 429", async () => {
    const { client, emu } = await setup();
    emu.faults.throttle({ operation: "VirtualMachineScaleSetVMs.List", retryAfterSeconds: null, times: 3 });
    let retryAfter: string | undefined = "unset";
    const list = async (): Promise<string[]> => {
      const ids: string[] = [];
      for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, {
        onResponse: (r) => (retryAfter = r.headers.get("retry-after")),
      }))
        ids.push(vm.instanceId ?? "");
      return ids;
    };
    await expect(list()).rejects.toMatchObject({ statusCode: 429 });
    expect(retryAfter).toBeUndefined();
    await expect(list()).rejects.toMatchObject({ statusCode: 429 });
    await expect(list()).rejects.toMatchObject({ statusCode: 429 });
    expect(await list()).toEqual(["0", "1", "2", "3"]);
    expect(emu.counters()["Throttled"]).toBe(3);
  });

  it("with Retry-After on any operation: a burst the SDK rides out", async () => {
    const { client, emu } = await setup();
    emu.faults.throttle({ retryAfterSeconds: 0.01, times: 2 });
    await expect(client.virtualMachineScaleSets.getInstanceView(RG, VMSS)).resolves.toBeDefined();
    expect(emu.counters()["Throttled"]).toBe(2);
  });
});

describe("concurrent writer", () => {
  it("changes an extension's settings right after a matching read; the reader's copy is stale", async () => {
    const { client, emu } = await setup();
    emu.faults.concurrentWrite(
      {
        extension: {
          name: "customScript",
          properties: { settings: { commandToExecute: "bash other-writer.sh" } },
        },
      },
      { operation: "VirtualMachineScaleSetExtensions.Get" },
    );
    const read = await client.virtualMachineScaleSetExtensions.get(RG, VMSS, "customScript");
    expect(read.settings).not.toMatchObject({ commandToExecute: "bash other-writer.sh" });
    const again = await client.virtualMachineScaleSetExtensions.get(RG, VMSS, "customScript");
    expect(again.settings).toEqual({ commandToExecute: "bash other-writer.sh" });
    expect(emu.state().model).toMatchObject({ etag: '"2"' });
    expect(emu.state().instances.every((i) => !i.latestModelApplied)).toBe(true);
  });

  it("a model patch before a matching request (after others): the request sees the new model", async () => {
    const { client, emu } = await setup();
    emu.faults.concurrentWrite(
      { patch: { properties: versionPatch } },
      { operation: "VirtualMachineScaleSets.Get", after: 1, when: "before" },
    );
    expect((await client.virtualMachineScaleSets.get(RG, VMSS)).etag).toBe('"1"');
    const second = await client.virtualMachineScaleSets.get(RG, VMSS);
    expect([second.etag, second.virtualMachineProfile?.storageProfile?.imageReference?.version]).toEqual([
      '"2"',
      NEW_VERSION,
    ]);
  });
});

describe("scale set deleted mid-run", () => {
  it("right after a matching request: that one is answered, the next gets 404", async () => {
    const { client, emu } = await setup();
    emu.faults.deleteScaleSet(undefined, { operation: "VirtualMachineScaleSetVMs.List", after: 1 });
    const list = async (): Promise<number> => {
      let n = 0;
      for await (const _vm of client.virtualMachineScaleSetVMs.list(RG, VMSS)) n++;
      return n;
    };
    expect(await list()).toBe(4);
    expect(await list()).toBe(4);
    await expect(list()).rejects.toMatchObject({ statusCode: 404, code: "ParentResourceNotFound" });
    await expect(client.virtualMachineScaleSets.get(RG, VMSS)).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
    });
    expect(emu.state().deleted).toBe(true);
  });
});

describe("operations ending after a delay", () => {
  it("failOperation: the next manualupgrade runs a while, then ends Failed with the code given", async () => {
    const { client, emu } = await setup();
    await client.virtualMachineScaleSets.update(RG, VMSS, versionPatch, FAST_POLL);
    emu.faults.failOperation({
      operation: "VirtualMachineScaleSets.UpdateInstances",
      code: "InternalExecutionError",
      afterSeconds: 5,
    });
    await expect(upgrade(client, ["0"])).rejects.toThrow(/InternalExecutionError|internal execution error/i);
    const op = emu.state().operations.at(-1);
    expect(op).toMatchObject({ status: "Failed", error: { code: "InternalExecutionError" } });
  });

  it("preemptOperation afterSeconds: a long upgrade is preempted part-way, its instance left on the old model", async () => {
    const { client, emu } = await setup();
    await client.virtualMachineScaleSets.update(RG, VMSS, versionPatch, FAST_POLL);
    emu.faults.preemptOperation({ operation: "VirtualMachineScaleSets.UpdateInstances", afterSeconds: 10 });
    await expect(upgrade(client, ["1"])).rejects.toThrow(/cancel/i);
    expect(emu.state().operations.at(-1)).toMatchObject({ status: "Canceled", error: { code: "OperationPreempted" } });
    expect(emu.state().instances.find((i) => i.instanceId === "1")?.latestModelApplied).toBe(false);
  });
});
