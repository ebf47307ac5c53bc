// Upgrade modes and instance semantics, observed through the real SDK: Manual, Automatic, Rolling (batches, policy
// breach, cancel), protected instances, reverting the model, power and health states during an upgrade.
import type { ComputeManagementClient, VirtualMachineScaleSetVM } from "@azure/arm-compute";
import { afterEach, describe, expect, it } from "vitest";
import {
  start,
  type Emulator,
  type EmulatorOptions,
  type InstanceStatusChange,
  type RollingUpgradeSnapshot,
} from "./index.ts";
import { computeClient, FAST_POLL } from "./sdk.ts";

const RG = "rg-demo";
const VMSS = "vmss-demo";
const NEW_VERSION = "24.04.202410020";
const OLD_VERSION = "24.04.202409120";

let emu: Emulator | undefined;
afterEach(async () => emu?.stop());

async function setup(options: EmulatorOptions): Promise<{ emu: Emulator; client: ComputeManagementClient }> {
  emu = await start({ speed: 0.001, ...options });
  return { emu, client: computeClient(emu) };
}

async function listVms(client: ComputeManagementClient): Promise<VirtualMachineScaleSetVM[]> {
  const vms: VirtualMachineScaleSetVM[] = [];
  for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, { expand: "instanceView" })) vms.push(vm);
  return vms;
}

const setVersion = (client: ComputeManagementClient, version: string) =>
  client.virtualMachineScaleSets.update(
    RG,
    VMSS,
    { virtualMachineProfile: { storageProfile: { imageReference: { version } } } },
    FAST_POLL,
  );

const latest = async (client: ComputeManagementClient) => (await listVms(client)).map((vm) => vm.latestModelApplied);
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds; fails saying what it waited for if it does not within 10 s (rather than hang). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const giveUp = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error(`waited 10 s for ${what} in vain`);
    await settle(2);
  }
}

/** The SDK sends the PATCH asynchronously: wait until the emulator has the new model (etag bumped). */
async function modelChanged(emu: Emulator): Promise<void> {
  await until(() => emu.state().model["etag"] !== '"1"', "the new model");
}

/** A rolling upgrade's progress in words. */
function progress(r: RollingUpgradeSnapshot | undefined): string {
  return r
    ? `${r.code}, ${r.successfulInstanceCount} successful, ${r.inProgressInstanceCount} in progress, ${r.pendingInstanceCount} pending`
    : "no rolling upgrade";
}

/** Every status change of the set's instances (emu.instanceHistory), in the order they happened. */
function changes(emu: Emulator): (InstanceStatusChange & { readonly instanceId: string })[] {
  return emu
    .state()
    .instances.flatMap((i) => emu.instanceHistory(VMSS, i.instanceId).map((c) => ({ ...c, instanceId: i.instanceId })))
    .sort((a, b) => a.seq - b.seq);
}

/** The instances in the order they went Updating (each once), and the most that were Updating at once. */
function updating(emu: Emulator): { readonly order: string[]; readonly mostAtOnce: number } {
  const now = new Set<string>();
  const order: string[] = [];
  let mostAtOnce = 0;
  for (const c of changes(emu).filter((c) => c.field === "provisioningState")) {
    if (c.value !== "Updating") now.delete(c.instanceId);
    else {
      now.add(c.instanceId);
      if (!order.includes(c.instanceId)) order.push(c.instanceId);
    }
    mostAtOnce = Math.max(mostAtOnce, now.size);
  }
  return { order, mostAtOnce };
}

describe("Manual upgrade mode", () => {
  it("moves nothing until manualupgrade, then exactly the listed instances", async () => {
    // Every wait of simulated time the emulator begins: an upgrade to come would begin one.
    const waits: number[] = [];
    const { client, emu } = await setup({
      sleep: (seconds, timer) => {
        waits.push(seconds);
        return timer();
      },
    });
    const before = Math.max(...changes(emu).map((c) => c.seq));
    await setVersion(client, NEW_VERSION);
    // The model update's 5 simulated seconds, and nothing after them: no instance changed, none is to.
    expect(waits).toEqual([5]);
    expect(changes(emu).filter((c) => c.seq > before)).toEqual([]);
    expect(await latest(client)).toEqual([false, false, false, false]);
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["1", "3"] }, FAST_POLL);
    expect(await latest(client)).toEqual([false, true, false, true]);
    const vm1 = await client.virtualMachineScaleSetVMs.get(RG, VMSS, "1");
    expect(vm1.storageProfile?.imageReference?.exactVersion).toBe(NEW_VERSION);
  });

  // A new VM size is a model change (learn.microsoft.com "Modify a Virtual Machine Scale Set"): before, the emulator
  // compared the profile only, so every instance stayed on the latest model and showed the new size at once.
  it("takes a new VM size (sku.name) as a model change: instances keep their size until upgraded; capacity is not", async () => {
    const { client } = await setup({});
    const sizes = async () => (await listVms(client)).map((vm) => [vm.sku?.name, vm.latestModelApplied]);
    await client.virtualMachineScaleSets.update(RG, VMSS, { sku: { capacity: 4 } }, FAST_POLL);
    expect(await latest(client)).toEqual([true, true, true, true]);
    await client.virtualMachineScaleSets.update(RG, VMSS, { sku: { name: "Standard_D4s_v3" } }, FAST_POLL);
    expect(await sizes()).toEqual(Array(4).fill(["Standard_D2s_v3", false]));
    const stale = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, {
      filter: "properties/latestModelApplied eq false",
    }))
      stale.push(vm.instanceId);
    expect(stale).toEqual(["0", "1", "2", "3"]);
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["2"] }, FAST_POLL);
    expect((await sizes())[2]).toEqual(["Standard_D4s_v3", true]);
    expect((await client.virtualMachineScaleSetVMs.get(RG, VMSS, "2")).hardwareProfile?.vmSize).toBe("Standard_D4s_v3");
    expect((await client.virtualMachineScaleSetVMs.get(RG, VMSS, "0")).hardwareProfile?.vmSize).toBe("Standard_D2s_v3");
  });

  it("makes untouched instances current again when the model is reverted", async () => {
    const { client } = await setup({});
    await setVersion(client, NEW_VERSION);
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0", "1"] }, FAST_POLL);
    await setVersion(client, OLD_VERSION);
    expect(await latest(client)).toEqual([false, false, true, true]);
  });

  it.each([
    { filter: "properties/latestModelApplied eq false", ids: ["0", "1", "3"] },
    { filter: "properties/latestModelApplied eq true", ids: ["2"] },
  ])(
    "filters the VM list on latestModelApplied: $filter (with the instance view, in pages)",
    async ({ filter, ids }) => {
      const { client, emu } = await setup({ pageSize: 1 });
      await setVersion(client, NEW_VERSION);
      await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["2"] }, FAST_POLL);
      const from = emu.requests.length;
      const listed: VirtualMachineScaleSetVM[] = [];
      for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, { filter, expand: "instanceView" }))
        listed.push(vm);
      expect(listed.map((vm) => vm.instanceId)).toEqual(ids);
      expect(listed.every((vm) => vm.instanceView?.statuses !== undefined)).toBe(true);
      // One page per instance (pageSize 1), each carrying the filter on.
      const pages = emu.requests.slice(from).filter((r) => r.operation === "VirtualMachineScaleSetVMs.List");
      expect(pages.map((r) => r.query["$filter"])).toEqual(ids.map(() => filter));
    },
  );

  it("refuses a VM list $filter outside the documented values, as 400 InvalidParameter", async () => {
    const { client } = await setup({});
    const list = async () => {
      for await (const vm of client.virtualMachineScaleSetVMs.list(RG, VMSS, { filter: "instanceId eq '1'" })) void vm;
    };
    await expect(list()).rejects.toMatchObject({ statusCode: 400, code: "InvalidParameter" });
  });

  it("leaves instances protected from scale-set actions alone, and reports their protection", async () => {
    const { client } = await setup({ scaleSets: [{ name: VMSS, protectedInstances: ["2"] }] });
    await setVersion(client, NEW_VERSION);
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["*"] }, FAST_POLL);
    const vms = await listVms(client);
    expect(vms.map((vm) => vm.latestModelApplied)).toEqual([true, true, false, true]);
    expect(vms[2]?.protectionPolicy).toEqual({ protectFromScaleIn: true, protectFromScaleSetActions: true });
  });

  it.each(["deallocated", "stopped"] as const)(
    "leaves a %s instance running after its manualupgrade (an open assumption: README 'Assumptions')",
    async (powerState) => {
      const { client, emu } = await setup({});
      emu.setInstance(VMSS, "0", { powerState });
      await setVersion(client, NEW_VERSION);
      await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
      const zero = emu.state().instances.find((i) => i.instanceId === "0");
      expect([zero?.latestModelApplied, zero?.powerState]).toEqual([true, "running"]);
    },
  );

  it("passes an instance through updating, stopped and starting while its image is replaced", async () => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, healthExtension: true }] });
    await setVersion(client, NEW_VERSION);
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
    // Every state the instance went through, however briefly (nothing sampled).
    const history = emu.instanceHistory(VMSS, "0");
    const values = (field: string) => history.filter((c) => c.field === field).map((c) => c.value);
    expect(values("provisioningState")).toEqual(["Succeeded", "Updating", "Succeeded"]);
    expect(values("powerState")).toEqual(["running", "stopping", "stopped", "starting", "running"]);
    expect(values("health")).toEqual(["healthy", "unknown", "initializing", "healthy"]);
    // The power and health phases all happen while the instance is Updating: the first change after the three
    // starting values is to Updating, the last one back to Succeeded.
    const moves = history.slice(3);
    expect(moves[0]).toMatchObject({ field: "provisioningState", value: "Updating" });
    expect(moves.at(-1)).toMatchObject({ field: "provisioningState", value: "Succeeded" });
    // An instance the manualupgrade did not name went through nothing.
    expect(emu.instanceHistory(VMSS, "1")).toHaveLength(3);
    const view = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0");
    expect(view.statuses?.map((s) => s.code)).toEqual(["ProvisioningState/succeeded", "PowerState/running"]);
    expect(view.vmHealth?.status?.code).toBe("HealthState/healthy");
  });
});

describe("Automatic upgrade mode", () => {
  it("brings every unprotected instance onto the new model within the model update", async () => {
    const { client } = await setup({
      scaleSets: [{ name: VMSS, upgradeMode: "Automatic", protectedInstances: ["3"] }],
    });
    await setVersion(client, NEW_VERSION);
    expect(await latest(client)).toEqual([true, true, true, false]);
    expect(emu?.counters()["VirtualMachineScaleSets.UpdateInstances"]).toBeUndefined();
  });
});

// Azure rolls a *model change* in Automatic and Rolling modes; switching the mode changes nothing an instance runs, so
// it upgrades none, not even instances already behind: the next model change rolls them all (README "Assumptions").
// A client's PATCH and another writer's (concurrentWrite) agree.
describe("switching the upgrade mode on a set with instances behind", () => {
  it.each([
    { mode: "Automatic" as const, by: "a client's PATCH" },
    { mode: "Rolling" as const, by: "a client's PATCH" },
    { mode: "Automatic" as const, by: "another writer" },
    { mode: "Rolling" as const, by: "another writer" },
  ])("to $mode by $by upgrades no instance; the next model change rolls every stale one", async ({ mode, by }) => {
    const { client, emu } = await setup({ scaleSets: [{ name: VMSS, healthExtension: true }] });
    await setVersion(client, NEW_VERSION); // Manual: nothing moves
    await client.virtualMachineScaleSets.updateInstances(RG, VMSS, { instanceIds: ["0"] }, FAST_POLL);
    expect(await latest(client)).toEqual([true, false, false, false]);

    if (by === "another writer") {
      emu.faults.concurrentWrite({ patch: { properties: { upgradePolicy: { mode } } } });
      await client.virtualMachineScaleSets.get(RG, VMSS); // the write lands on this request
    } else await client.virtualMachineScaleSets.update(RG, VMSS, { upgradePolicy: { mode } }, FAST_POLL);
    expect((await client.virtualMachineScaleSets.get(RG, VMSS)).upgradePolicy?.mode).toBe(mode);
    await settle(50); // a roll, were one started, would be under way or over by now (speed 0.001)
    expect(await latest(client)).toEqual([true, false, false, false]);
    expect(changes(emu).filter((c) => c.field === "provisioningState" && c.value === "Updating")).toHaveLength(1);
    await expect(client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS)).rejects.toMatchObject({
      statusCode: 404,
    });

    await setVersion(client, "24.04.202411030");
    expect(await latest(client)).toEqual([true, true, true, true]);
    expect(emu.counters()["VirtualMachineScaleSets.UpdateInstances"]).toBe(1);
  });
});

describe("Rolling upgrade mode", () => {
  const rolling = (policy: NonNullable<EmulatorOptions["scaleSets"]>[number]["rollingUpgradePolicy"], extra = {}) => ({
    scaleSets: [
      { name: VMSS, upgradeMode: "Rolling" as const, healthExtension: true, rollingUpgradePolicy: policy, ...extra },
    ],
  });

  it("rolls in batches of maxBatchInstancePercent and reports progress in rollingUpgrades/latest", async () => {
    const { client, emu } = await setup(rolling({ maxBatchInstancePercent: 50 }));
    await setVersion(client, NEW_VERSION);
    // By the instances' recorded history: two at a time.
    expect(updating(emu)).toEqual({ order: ["0", "1", "2", "3"], mostAtOnce: 2 });
    expect(await latest(client)).toEqual([true, true, true, true]);
    const status = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
    expect(status.runningStatus?.code).toBe("Completed");
    expect(status.runningStatus?.lastAction).toBe("Start");
    expect(status.progress).toEqual({
      successfulInstanceCount: 4,
      failedInstanceCount: 0,
      inProgressInstanceCount: 0,
      pendingInstanceCount: 0,
    });
    expect(status.policy?.maxBatchInstancePercent).toBe(50);
  });

  it("faults when upgraded instances turn unhealthy beyond maxUnhealthyUpgradedInstancePercent", async () => {
    const { client, emu } = await setup(
      rolling({ maxBatchInstancePercent: 25, maxUnhealthyUpgradedInstancePercent: 20 }),
    );
    emu.faults.unhealthyAfterUpgrade(NEW_VERSION);
    await expect(setVersion(client, NEW_VERSION)).rejects.toThrow(
      /MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade/,
    );
    const status = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
    expect(status.runningStatus?.code).toBe("Faulted");
    expect(status.progress).toEqual({
      successfulInstanceCount: 0,
      failedInstanceCount: 1,
      inProgressInstanceCount: 0,
      pendingInstanceCount: 3,
    });
    expect(status.error?.code).toBe("MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade");
    const view = await client.virtualMachineScaleSetVMs.getInstanceView(RG, VMSS, "0");
    expect(view.vmHealth?.status?.code).toBe("HealthState/unhealthy");
    expect(await latest(client)).toEqual([true, false, false, false]);
  });

  it("names the first failed instance when upgraded instances turn unhealthy", async () => {
    const { client, emu } = await setup(
      rolling({ maxBatchInstancePercent: 25, maxUnhealthyUpgradedInstancePercent: 20 }),
    );
    emu.faults.unhealthyAfterUpgrade(NEW_VERSION);
    await expect(setVersion(client, NEW_VERSION)).rejects.toThrow(
      "The most impactful error is: Instance found to be unhealthy or unreachable.. First failed instance ID is: 0.",
    );
  });

  it("does not start when too many instances are unhealthy before the first batch (…BeforeRollingUpgrade)", async () => {
    const { client, emu } = await setup(rolling({ maxUnhealthyInstancePercent: 20 }));
    emu.setInstance(VMSS, "1", { health: "unhealthy" });
    emu.setInstance(VMSS, "3", { health: "unhealthy" });
    await expect(setVersion(client, NEW_VERSION)).rejects.toThrow(
      "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade. Rolling Upgrade failed due to exceeding the MaxUnhealthyInstancePercent value (defined in the RollingUpgradePolicy) before any batch was attempted. 50% of instances are in an unhealthy state, more than the threshold of 20% configured in the RollingUpgradePolicy.",
    );
    const status = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
    expect(status.runningStatus?.code).toBe("Faulted");
    expect(status.progress).toEqual({
      successfulInstanceCount: 0,
      failedInstanceCount: 0,
      inProgressInstanceCount: 0,
      pendingInstanceCount: 0,
    });
    expect(status.error).toMatchObject({
      code: "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade",
      details: [
        {
          code: "RollingUpgradeInstanceUnhealthyError",
          target: `${VMSS}/virtualMachines/1`,
          message: "Instance found to be unhealthy or unreachable.",
        },
        {
          code: "RollingUpgradeInstanceUnhealthyError",
          target: `${VMSS}/virtualMachines/3`,
          message: "Instance found to be unhealthy or unreachable.",
        },
      ],
    });
    expect(await latest(client)).toEqual([false, false, false, false]);
  });

  it("rolls the failed instances back when rollbackFailedInstancesOnPolicyBreach is set", async () => {
    const { client, emu } = await setup(
      rolling({
        maxBatchInstancePercent: 25,
        maxUnhealthyUpgradedInstancePercent: 0,
        rollbackFailedInstancesOnPolicyBreach: true,
      }),
    );
    emu.faults.failUpgrade("0");
    await expect(setVersion(client, NEW_VERSION)).rejects.toThrow(
      /MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade/,
    );
    expect(emu.state().instances[0]?.imageReference["version"]).toBe(OLD_VERSION);
    expect((await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS)).runningStatus?.code).toBe(
      "Faulted",
    );
  });

  it("upgrades unhealthy instances first with prioritizeUnhealthyInstances", async () => {
    const { client, emu } = await setup(
      rolling({ maxBatchInstancePercent: 25, maxUnhealthyInstancePercent: 50, prioritizeUnhealthyInstances: true }),
    );
    emu.setInstance(VMSS, "2", { health: "unhealthy" });
    await setVersion(client, NEW_VERSION);
    // By the instances' recorded history: 2 first, alone (batches of one), then the others in order.
    expect(updating(emu)).toEqual({ order: ["2", "0", "1", "3"], mostAtOnce: 1 });
  });

  it("stops after the running batch when the rolling upgrade is cancelled", async () => {
    // A pause of 10 days (over 14 minutes here) that the cancel must end (else the test times out): however late the
    // cancel lands, no second batch starts before it.
    const { client, emu } = await setup(rolling({ maxBatchInstancePercent: 25, pauseTimeBetweenBatches: "P10D" }));
    const update = setVersion(client, NEW_VERSION);
    const outcome = update.then(
      () => "succeeded",
      (error: Error) => error.message,
    );
    await modelChanged(emu);
    await until(() => emu.state().instances.some((i) => i.latestModelApplied), "the first batch to end");
    await client.virtualMachineScaleSetRollingUpgrades.cancel(RG, VMSS, FAST_POLL);
    expect(await outcome).toMatch(/cancel/i);
    const status = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
    expect(status.runningStatus?.code).toBe("Cancelled");
    expect(status.runningStatus?.lastAction).toBe("Cancel");
    expect(await latest(client)).toEqual([true, false, false, false]);
  });

  it("neither upgrades nor counts an instance deleted while it waits for its batch", async () => {
    // The pauses between batches (PT10M) last until the delete of instance 3 has ended: it lands while 3 waits for its
    // batch (the fourth), however slow the machine.
    let paused!: () => void;
    const inPause = new Promise<void>((resolve) => (paused = resolve));
    let deleted!: () => void;
    const deleteEnded = new Promise<void>((resolve) => (deleted = resolve));
    const { client, emu } = await setup({
      ...rolling({ maxBatchInstancePercent: 25, pauseTimeBetweenBatches: "PT10M" }),
      sleep: async (seconds, timer) => {
        if (seconds !== 600) return timer();
        paused();
        return deleteEnded;
      },
    });
    const update = setVersion(client, NEW_VERSION);
    const ended = update.then(
      () => "ended",
      () => "ended",
    );
    expect(await Promise.race([inPause.then(() => "paused"), ended])).toBe("paused");
    // The first batch (instance 0) is over; instance 3 is pending.
    expect(emu.state().rollingUpgrade).toMatchObject({ successfulInstanceCount: 1, pendingInstanceCount: 3 });
    expect(emu.state().instances.map((i) => i.latestModelApplied)).toEqual([true, false, false, false]);
    await client.virtualMachineScaleSetVMs.beginDeleteAndWait(RG, VMSS, "3", FAST_POLL);
    deleted();
    await update;
    const status = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
    expect(status.runningStatus?.code).toBe("Completed");
    expect(status.progress).toEqual({
      successfulInstanceCount: 3,
      failedInstanceCount: 0,
      inProgressInstanceCount: 0,
      pendingInstanceCount: 0,
    });
    expect((await listVms(client)).map((vm) => [vm.instanceId, vm.latestModelApplied])).toEqual([
      ["0", true],
      ["1", true],
      ["2", true],
    ]);
  });

  // A client's osRollingUpgrade on instances already on the latest model is not over at once: it batches and counts
  // them, ~60 s a batch (azure-cli-2020_test_vmss_rolling_upgrade.yaml #48–#53: 2 instances at 20 %, 202 →
  // InProgress ×3 → Succeeded ~121 s later, then latest Completed with successfulInstanceCount 2).
  it.each([
    { instances: 2, maxBatchInstancePercent: 20, batches: 2 },
    { instances: 4, maxBatchInstancePercent: 50, batches: 2 },
    { instances: 3, maxBatchInstancePercent: 100, batches: 1 },
  ])(
    "an OS rolling upgrade of $instances current instances at $maxBatchInstancePercent % takes $batches batches of 60 s and counts them",
    async ({ instances, maxBatchInstancePercent, batches }) => {
      // Every wait of simulated time, as it begins (with the rolling upgrade's progress then) and as it ends.
      const waits: string[] = [];
      const { client, emu } = await setup({
        ...rolling({ maxBatchInstancePercent }, { instances }),
        sleep: async (seconds, timer) => {
          waits.push(`${seconds} s from ${progress(emu.state().rollingUpgrade)}`);
          await timer();
          waits.push(`${seconds} s over`);
        },
      });
      const etags = (await listVms(client)).map((vm) => vm.etag);
      const before = Math.max(...changes(emu).map((c) => c.seq));
      await client.virtualMachineScaleSetRollingUpgrades.startOSUpgrade(RG, VMSS, FAST_POLL);
      // The instances went through nothing (their recorded history holds their starting values only).
      expect(changes(emu).filter((c) => c.seq > before)).toEqual([]);
      // Each batch waits 60 simulated seconds for each of its instances, and the next one starts only once they are
      // over, having counted them: `batches` batches of `size`.
      const size = Math.min(instances, Math.max(1, Math.floor((instances * maxBatchInstancePercent) / 100)));
      expect(waits).toEqual(
        Array.from({ length: batches }, (_, batch) => {
          const done = batch * size;
          const now = Math.min(size, instances - done);
          const from = `RollingForward, ${done} successful, ${now} in progress, ${instances - done - now} pending`;
          return [...Array<string>(now).fill(`60 s from ${from}`), ...Array<string>(now).fill("60 s over")];
        }).flat(),
      );
      const status = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
      expect(status.runningStatus?.code).toBe("Completed");
      expect(status.runningStatus?.lastAction).toBe("Start");
      expect(status.progress).toEqual({
        successfulInstanceCount: instances,
        failedInstanceCount: 0,
        inProgressInstanceCount: 0,
        pendingInstanceCount: 0,
      });
      // Nothing happened to the instances (the spec: "Instances which are already running the latest available OS
      // version are not affected").
      expect((await listVms(client)).map((vm) => vm.etag)).toEqual(etags);
    },
  );

  // A client's rolling upgrade on a Manual set is accepted and rolls the stale instances: recorded for the extension
  // one (azure-cli_test_vmss_extension.yaml #36 GET shows `upgradePolicy.mode: Manual`, #37 POST extensionRollingUpgrade
  // 202, #58 Succeeded); assumed for the OS one (`az vmss rolling-upgrade start`: no source found that refuses it on a
  // Manual set, README "Assumptions").
  it.each(["startOSUpgrade", "startExtensionUpgrade"] as const)(
    "a Manual set's %s is accepted and rolls its stale instances",
    async (start) => {
      const { client } = await setup({});
      await setVersion(client, NEW_VERSION);
      expect(await latest(client)).toEqual([false, false, false, false]);
      await client.virtualMachineScaleSetRollingUpgrades[start](RG, VMSS, FAST_POLL);
      const status = await client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS);
      expect(status.runningStatus?.code).toBe("Completed");
      expect(await latest(client)).toEqual([true, true, true, true]);
    },
  );

  it("refuses to cancel when no rolling upgrade runs, and has no latest before the first one", async () => {
    const { client } = await setup(rolling({}));
    await expect(client.virtualMachineScaleSetRollingUpgrades.getLatest(RG, VMSS)).rejects.toMatchObject({
      statusCode: 404,
      code: "NotFound",
    });
    await expect(client.virtualMachineScaleSetRollingUpgrades.cancel(RG, VMSS, FAST_POLL)).rejects.toMatchObject({
      statusCode: 409,
      code: "OperationNotAllowed",
      message: "There is no ongoing Rolling Upgrade to cancel.",
    });
  });
});
