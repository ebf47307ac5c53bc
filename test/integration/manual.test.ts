// The engine through the real SDK adapter against the emulator: Manual upgrade mode (the action's batches).
import { describe, expect, it } from "vitest";
import type { RolloutEvent } from "../../src/engine/events.ts";
import { listIds } from "../../src/domain/ids.ts";
import type { Emulator } from "../../emulator/index.ts";
import { buildOutputs } from "../../src/report/outputs.ts";
import type { RolloutRecord } from "../../src/domain/record.ts";
import { renderSummary } from "../../src/report/summary.ts";
import { headline } from "../../src/report/headline.ts";
import {
  TAGS,
  modelWrites,
  adapterFor,
  configFor,
  count,
  extensionAdded,
  instanceIds,
  NEW_VERSION,
  OLD_VERSION,
  ORCHESTRATIONS,
  outcomes,
  PATCH_EXTENSION,
  PATCH_SET,
  percent,
  rollout,
  runningVersions,
  upgrade,
  useEmulator,
  writesOf,
} from "./harness.ts";

const emulator = useEmulator();

/**
 * Instances a rollback batch sent back that ended on `version` (the previous image, or another writer's) while the model
 * moved: failed with what they run, in no output as updated, and not counted on the new model by the headline.
 */
function expectSentBackElsewhere(record: RolloutRecord, ids: readonly string[], version: string): void {
  for (const id of ids)
    expect(record.instances.find((i) => i.instanceId === id)).toMatchObject({
      outcome: "failed",
      error: { code: "ModelChangedByAnotherWriter", message: expect.stringContaining(version) },
    });
  const outputs = buildOutputs(record);
  expect(JSON.parse(outputs["updated-instances"]!)).toEqual(expect.not.arrayContaining([...ids]));
  expect(JSON.parse(outputs["failed-instances"]!)).toEqual(expect.arrayContaining([...ids]));
  expect(renderSummary(record).split("\n")[0]).not.toMatch(/[34]\/4 instances on the/);
}

describe.each(ORCHESTRATIONS)("Manual mode: image-version latest from a pinned version ($mode)", ({ seed }) => {
  it.each([
    { when: "the run writes it", modelOnLatest: false },
    // Another run (or a person) set the model to `latest` and upgraded nothing: this run's plan is on the listing alone.
    { when: "the model already holds it", modelOnLatest: true },
  ])("$when: the instances still on their own version are stale, and are upgraded", async ({ modelOnLatest }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, ...seed }] });
    const ids = instanceIds(emu);
    if (modelOnLatest)
      emu.faults.concurrentWrite({
        patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: "latest" } } } } },
      });
    if (modelOnLatest) await adapterFor(configFor(emu)).getScaleSet(); // the write above lands on this request
    // Before, a Flexible VM whose latestModelApplied Azure leaves out counted as on a `latest` model whatever version
    // it ran: a run on such a model upgraded nothing and called every VM already current.
    const { record } = await rollout(
      configFor(emu, { change: { imageVersion: "latest" }, rollout: { batchSize: percent(100) } }),
    );
    expect(record.result).toBe("succeeded");
    expect(outcomes(record)).toEqual({ updated: ids });
    expect(writesOf(emu)).toEqual([...(modelOnLatest ? [] : [PATCH_SET]), upgrade(...ids)]);
    expect(emu.state("vmss1").instances.every((i) => String(i.imageReference["version"]) === "latest")).toBe(true);
  });
});

describe.each(ORCHESTRATIONS)("Manual mode: a pinned version over a model on latest ($mode)", ({ seed }) => {
  // The model names `latest`, which the emulator (as Azure) resolves to the newest version: NEW_VERSION, the very one
  // this run pins. Before, rollback-on-failure put `latest` back and upgraded the instances onto NEW_VERSION again,
  // calling them rolled back.
  it("rollback-on-failure cannot undo it: said before the write, no rollback onto the same version, no way back offered", async () => {
    const emu = await emulator({
      scaleSets: [
        {
          name: "vmss1",
          instances: 3,
          image: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
          ...seed,
        },
      ],
    });
    emu.faults.failUpgrade(instanceIds(emu)[0]!, { scaleSet: "vmss1" });
    const { record, log } = await rollout(
      configFor(emu, { rollout: { batchSize: count(1), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(log.lines.filter((l) => l.startsWith("warning: rollback-on-failure cannot undo this change"))).toEqual([
      expect.stringContaining("the model named image version 'latest' before") as unknown,
    ]);
    expect(record.result).toBe("failed");
    expect(record.rollback).toBeUndefined();
    expect(record.noRollback?.reason).toContain("the model named image version 'latest' before");
    expect(writesOf(emu).filter((w) => w === PATCH_SET)).toHaveLength(1);
    const summary = renderSummary(record);
    expect(summary).not.toContain('image-version: "latest"');
  });

  it("the image PATCH applied and its answer lost: the change is still one with no way back", async () => {
    const emu = await emulator({
      scaleSets: [
        {
          name: "vmss1",
          instances: 3,
          image: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" },
          ...seed,
        },
      ],
    });
    // Applied, its answer lost: the SDK's resend meets 412, and the run finds its write in the model.
    emu.faults.dropConnection({ operation: "VirtualMachineScaleSets.Update", afterProcessing: true });
    emu.faults.failUpgrade(instanceIds(emu)[0]!, { scaleSet: "vmss1" });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(1), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(record.modelUpdated).toBe(true);
    expect(record.result).toBe("failed");
    expect(record.rollback).toBeUndefined();
    expect(record.noRollback?.reason).toContain("the model named image version 'latest' before");
  });
});

const NEW_SCRIPT = "https://stvmssdemo.blob.core.windows.net/scripts/install-v2.sh";

// The standalone VM list has been reported to show a VM's extensions by ID only (EmulatorOptions.vmListExtensionsById).
// A Flexible VM whose latestModelApplied Azure leaves out is then compared on its extensions as read one by one; before,
// it never compared as on the model, and an extension change waited for it until health-timeout.
describe("Manual mode: an extension change on a Flexible set whose VM list shows extensions by ID only", () => {
  it.each([
    { latestModelApplied: "absent" as const, byId: true, readsThem: true },
    { latestModelApplied: "absent" as const, byId: false, readsThem: false },
    { latestModelApplied: "reported" as const, byId: true, readsThem: false },
  ])(
    "latestModelApplied $latestModelApplied, extensions by ID only: $byId",
    async ({ latestModelApplied, byId, readsThem }) => {
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 4, orchestrationMode: "Flexible", latestModelApplied }],
        vmListExtensionsById: byId,
      });
      const ids = instanceIds(emu);
      const { record } = await rollout(
        configFor(emu, {
          change: { extension: { name: "customScript", fileUris: [NEW_SCRIPT] } },
          rollout: { batchSize: count(2) },
        }),
      );
      expect(record.result).toBe("succeeded");
      expect(outcomes(record)).toEqual({ updated: ids });
      expect(writesOf(emu)).toEqual([PATCH_EXTENSION, upgrade(...ids.slice(0, 2)), upgrade(...ids.slice(2))]);
      const reads = emu.requests.filter((r) => r.operation === "VirtualMachineExtensions.List");
      expect(reads.length > 0).toBe(readsThem);
      // A VM is read again only once something changed it (its provisioning state went Updating, then Succeeded), not
      // on every poll: at most three times each, however many polls the gates made.
      const perVm = ids.map((id) => reads.filter((r) => r.path.includes(`/${id}/`)).length);
      for (const n of perVm) expect(n).toBeLessThanOrEqual(3);
      // A VM seen on the model is not read again: none of the first batch's once the second batch is sent.
      const secondBatch = emu.requests.filter((r) => r.operation === "VirtualMachineScaleSets.UpdateInstances")[1];
      const firstBatchReadLater = reads.filter(
        (r) => (secondBatch?.seq ?? 0) < r.seq && ids.slice(0, 2).some((id) => r.path.includes(`/${id}/`)),
      );
      expect(firstBatchReadLater).toEqual([]);
    },
  );

  it("a VM scaled in between the list and the read of its extensions is reported removed, the scale set is not", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 4, orchestrationMode: "Flexible", latestModelApplied: "absent" }],
      vmListExtensionsById: true,
    });
    const ids = instanceIds(emu);
    emu.faults.scaleIn(ids[3] ?? "", { scaleSet: "vmss1", operation: "VirtualMachineExtensions.List" });
    const { record } = await rollout(
      configFor(emu, {
        change: { extension: { name: "customScript", fileUris: [NEW_SCRIPT] } },
        rollout: { batchSize: count(2) },
      }),
    );
    // Before, the read's 404 failed the whole listing, and the run took it for the scale set's deletion.
    expect(record.reason ?? "").not.toMatch(/scale set was deleted/);
    expect(record.result).toBe("succeeded");
    expect(outcomes(record)).toEqual({ updated: ids.slice(0, 3), removed: [ids[3]] });
  });

  it.each([{ refusal: "403 AuthorizationFailed", code: "AuthorizationFailed" }])(
    "one VM's extension read refused ($refusal): that VM's state is unknown, named with the reason; the others go on; the job fails",
    async ({ code }) => {
      // A review (2026-12-07): the refusal of one VM's read failed the whole listing, so the run stopped at its first
      // gate with every later batch unsent, for one VM whose extensions could not be read.
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 4, orchestrationMode: "Flexible", latestModelApplied: "absent" }],
        vmListExtensionsById: true,
      });
      const ids = instanceIds(emu);
      const [a = "", b = "", c = "", d = ""] = ids;
      const match = { operation: "VirtualMachineExtensions.List", path: `/virtualMachines/${b}/`, times: 1_000 };
      emu.faults.authorizationFailed(match);
      const { record } = await rollout(
        configFor(emu, {
          change: { extension: { name: "customScript", fileUris: [NEW_SCRIPT] } },
          rollout: { batchSize: count(2), maxUnhealthyPercent: 0 },
        }),
      );

      // Every batch was sent: b's too (its upgrade is harmless whatever it runs), and the run went on to the end.
      expect(writesOf(emu)).toEqual([PATCH_EXTENSION, upgrade(a, b), upgrade(c, d)]);
      // It is on the new model in fact, but the run could not tell: not called updated, and the job fails.
      expect(emu.state("vmss1").instances.every((i) => i.latestModelApplied)).toBe(true);
      expect(record.result).toBe("failed");
      expect(outcomes(record)).toEqual({ updated: [a, c, d], unknown: [b] });
      const unknown = record.instances.find((i) => i.instanceId === b);
      expect(unknown?.error?.code).toBe(code);
      expect(record.reason).toContain(b);
      expect(record.reason).toMatch(/is not known: Azure refused the read of its extensions/);
      const outputs = buildOutputs(record);
      expect(JSON.parse(outputs["updated-instances"] ?? "")).toEqual([a, c, d]);
      const summary = renderSummary(record);
      expect(summary).toContain("Rollout failed: 3/4 instances on the new model, 1 in an unknown state");
      expect(summary).toContain(`${b.replace(/_/g, "&#95;")}</code> | ❔ state unknown`);
      expect(summary).toContain(code);
    },
    30_000,
  );

  it("one VM's extension read refused once after its upgrade (a passing 403): read again, the VM updated, the job succeeds", async () => {
    // A review (2026-12-07): the refusal was kept with the VM's state, and nothing changes a VM after its upgrade, so
    // it was never read again: the VM stayed "unknown" to the end and the job failed, though it ran the new model.
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 4, orchestrationMode: "Flexible", latestModelApplied: "absent" }],
      vmListExtensionsById: true,
    });
    const ids = instanceIds(emu);
    const b = ids[1] ?? "";
    const LIST = "VirtualMachineExtensions.List";
    let refused = false;
    // Before each extension read: once b is upgraded and its upgrade over, its next read meets one 403.
    const watch = (): void =>
      emu.faults.onRequest({ operation: LIST, when: "before" }, () => {
        const vm = emu.state("vmss1").instances.find((i) => i.instanceId === b);
        if (vm?.latestModelApplied === true && vm.provisioningState === "Succeeded") {
          refused = true;
          emu.faults.authorizationFailed({ operation: LIST, path: `/virtualMachines/${b}/`, times: 1 });
        } else queueMicrotask(watch);
      });
    watch();
    const { record } = await rollout(
      configFor(emu, {
        change: { extension: { name: "customScript", fileUris: [NEW_SCRIPT] } },
        rollout: { batchSize: count(2), maxUnhealthyPercent: 0 },
      }),
    );
    expect(refused).toBe(true);
    expect(emu.state("vmss1").instances.every((i) => i.latestModelApplied)).toBe(true);
    expect(outcomes(record)).toEqual({ updated: ids });
    expect(record.result).toBe("succeeded");
  }, 30_000);
});

describe.each(ORCHESTRATIONS)("Manual mode: batches ($mode)", ({ seed }) => {
  it.each([
    {
      name: "20% of 6 (rounded up to 2)",
      instances: 6,
      batchSize: percent(20),
      batches: [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    },
    {
      name: "50% of 5 (rounded up to 3)",
      instances: 5,
      batchSize: percent(50),
      batches: [
        [0, 1, 2],
        [3, 4],
      ],
    },
    {
      name: "count 4 of 6",
      instances: 6,
      batchSize: count(4),
      batches: [
        [0, 1, 2, 3],
        [4, 5],
      ],
    },
    { name: "100%", instances: 4, batchSize: percent(100), batches: [[0, 1, 2, 3]] },
  ])("$name: PATCH once, then one manualupgrade per batch", async ({ instances, batchSize, batches: at }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances, ...seed }] });
    const all = instanceIds(emu);
    const batches = at.map((b) => b.map((i) => all[i]!));
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize } }));

    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([PATCH_SET, ...batches.map((ids) => upgrade(...ids))]);
    expect(record.batches.map((b) => [b.instanceIds, b.result])).toEqual(batches.map((ids) => [ids, "succeeded"]));
    expect(Object.values(runningVersions(emu))).toEqual(Array(instances).fill(NEW_VERSION));
    expect(outcomes(record)).toEqual({ updated: all });
    expect(record.instances.map((i) => i.name)).toEqual(all.map((id) => (seed.orchestrationMode ? id : `vmss1_${id}`)));
    expect(record.changes).toEqual([
      { property: "storageProfile.imageReference.version", before: OLD_VERSION, after: NEW_VERSION },
    ]);
    expect(record.previousModel?.imageReference.version).toBe(OLD_VERSION);
    // The PATCH carries only the image version, guarded by the etag read.
    const patch = modelWrites(emu)[0]!;
    expect(patch.body).toEqual({
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: NEW_VERSION } } } },
    });
    expect(patch.headers["if-match"]).toBe('"2"'); // "1" as read, "2" once the lease was taken
    // Instance state is read with list calls, never per instance: every instance to plan after the model update; when
    // each batch's operation has ended (every instance settled at once here), the instances on the latest model (the
    // batch's and the earlier batches', all the gate judges); after the last batch every instance, in one list, which
    // the verdict reuses. A Flexible scale set is listed whole, once a poll (whether Azure honours the filter there is
    // not documented): the scale-set VM list and the standalone VM list, each once.
    const lists = emu.requests
      .filter((r) => r.operation === "VirtualMachineScaleSetVMs.List")
      .map((r) => r.query["$filter"] ?? "every instance");
    const listings = 1 + batches.length;
    expect(lists).toEqual(
      seed.orchestrationMode
        ? Array<string>(listings).fill("every instance")
        : ["every instance", ...batches.slice(1).map(() => "properties/latestModelApplied eq true"), "every instance"],
    );
    expect(emu.counters()["VirtualMachines.List"] ?? 0).toBe(seed.orchestrationMode ? listings : 0);
    expect(emu.counters()["VirtualMachineScaleSetVMs.Get"] ?? 0).toBe(0);
    expect(emu.counters()["VirtualMachines.Get"] ?? 0).toBe(0);
    expect(emu.counters()["VirtualMachineScaleSetVMs.GetInstanceView"] ?? 0).toBe(0);
    expect(log.lines).toContain(`::group::Batch 1/${batches.length}: ${batches[0]!.join(", ")}`);
    expect(log.text()).toMatch(/\[batch 1 of \d\] \d+\/\d+ done, .* · rollout \d+\/\d+ \(\d+%\) · .* elapsed/);
  });

  it("reads every page of the instance list", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, ...seed }], pageSize: 2 });
    const all = instanceIds(emu);
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: percent(100) } }));
    expect(record.result).toBe("succeeded");
    expect(record.instances.map((i) => i.instanceId)).toEqual(all);
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(...all)]);
  });

  it.each([
    { name: "an image change", change: undefined, writes: [PATCH_SET] },
    {
      name: "an image and an extension change",
      change: { imageVersion: NEW_VERSION, extension: { name: "customScript", forceUpdateTag: "run-2" } },
      writes: [PATCH_SET, PATCH_EXTENSION],
    },
  ])(
    "$name: the instances are listed for the batch plan while the last model write's operation runs (issue #18)",
    async ({ change, writes }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, ...seed }] });
      const { record } = await rollout(configFor(emu, { ...(change && { change }) }));
      expect(record.result).toBe("succeeded");
      const sequence = emu.requests.map((r) => `${r.method} ${r.operation}`);
      const lastModelWrite = Math.max(...writes.map((w) => sequence.lastIndexOf(w)));
      const firstList = sequence.indexOf("GET VirtualMachineScaleSetVMs.List");
      // After the last model write (every instance stale by then), before the record's tag write that follows it.
      const recordWrite = sequence.indexOf(`PATCH ${TAGS}`, lastModelWrite);
      expect(writesOf(emu).slice(0, writes.length)).toEqual(writes);
      expect(firstList).toBeGreaterThan(lastModelWrite);
      expect(firstList).toBeLessThan(recordWrite);
    },
  );

  it("a stop between the batch plan and the first gate lists the instances again: the early listing predates the model update's end", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, ...seed }] });
    emu.faults.authorizationFailed({ operation: "VirtualMachineScaleSets.UpdateInstances" });
    const { record } = await rollout(configFor(emu, {}));
    expect(record.result).toBe("failed");
    const sequence = emu.requests.map((r) => `${r.method} ${r.operation}`);
    const refused = sequence.indexOf("POST VirtualMachineScaleSets.UpdateInstances");
    expect(sequence.indexOf("GET VirtualMachineScaleSetVMs.List", refused)).toBeGreaterThan(refused);
    expect(outcomes(record)).toEqual({ "not-started": instanceIds(emu) });
    expect(record.instances.map((i) => i.latestModelAfter)).toEqual([false, false]);
    // The model holds the change though no instance was upgraded; the summary says so (a review, 2026-12-07: "0/2 on
    // the new model … Azure touched none of its instances" read as if nothing had changed).
    expect(renderSummary(record)).toContain("The scale set's model holds this change now");
  });

  it("another writer's image after the first batch: the summary does not say the model holds this run's change", async () => {
    // A review (2026-12-07): it did, while the model held that writer's image.
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
    const other = "24.04.202503030";
    emu.faults.concurrentWrite(
      { patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: other } } } } } },
      { operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" },
    );
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("failed");
    expect(renderSummary(record)).not.toContain("The scale set's model holds this change now");
  });

  it("takes the canary from healthy instances, and upgrades an unhealthy one first after it", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, healthExtension: true, ...seed }] });
    const [a = "", b = "", c = "", d = ""] = instanceIds(emu);
    emu.setInstance("vmss1", a, { health: "unhealthy" });
    const { record } = await rollout(configFor(emu, { rollout: { canary: count(1), batchSize: count(2) } }));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(b), upgrade(a, c), upgrade(d)]);
    expect(record.batches.map((x) => [x.canary, x.instanceIds])).toEqual([
      [true, [b]],
      [false, [a, c]],
      [false, [d]],
    ]);
  });

  it("skips protected instances and reports them", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
    const [a = "", b = "", c = "", d = ""] = instanceIds(emu);
    emu.setInstance("vmss1", b, { protected: true });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(a, c), upgrade(d)]);
    expect(outcomes(record)).toEqual({ updated: [a, c, d], "skipped-protected": [b] });
    expect(runningVersions(emu)[b]).toBe(OLD_VERSION);
  });

  // Another writer sets protectFromScaleSetActions on a targeted instance after the plan: Azure accepts the
  // manualupgrade naming it and skips it. It is neither skipped by the run nor on the new model: reported failed
  // (naming the protection), counted by the gate, and the run fails, whatever max-unhealthy allows.
  it.each([
    { maxUnhealthyPercent: 100, stopped: false },
    { maxUnhealthyPercent: 20, stopped: true },
  ])(
    "a targeted instance protected by another writer after the plan fails the run (max-unhealthy $maxUnhealthyPercent%)",
    async ({ maxUnhealthyPercent, stopped }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
      const [a = "", b = "", c = "", d = ""] = instanceIds(emu);
      emu.faults.onRequest({ operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" }, () =>
        emu.setInstance("vmss1", d, { protected: true }),
      );
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent } }));
      expect(record.result).toBe("failed");
      expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(a, b), upgrade(c, d)]);
      expect(outcomes(record)).toEqual({ updated: [a, b, c], failed: [d] });
      expect(record.instances.find((i) => i.instanceId === d)).toMatchObject({
        latestModelAfter: false,
        error: { code: "ProtectedFromScaleSetActions" },
      });
      expect(record.batches.map((x) => x.result)).toEqual(["succeeded", "failed"]);
      expect(record.reason).toContain("ProtectedFromScaleSetActions");
      if (stopped) expect(record.reason).toMatch(/^Stopped after batch 2 of 2/);
      expect(runningVersions(emu)[d]).toBe(OLD_VERSION);
    },
  );

  it("stops on an upgrade that succeeds without taking the new image, and never counts that instance upgraded", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
    const [a = "", b = ""] = instanceIds(emu);
    emu.faults.keepOldImage(b, { scaleSet: "vmss1" });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), healthTimeoutMs: 300, maxUnhealthyPercent: 0 } }),
    );
    expect(record.result).toBe("failed");
    expect(runningVersions(emu)[b]).toBe(OLD_VERSION);
    expect(outcomes(record)).toMatchObject({ updated: [a] });
    expect(record.instances.find((i) => i.instanceId === b)?.outcome).not.toBe("updated");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(a, b)]);
    // A review (2026-12-07): the batch read "⚠️ unhealthy" and the instance's help "Azure may still finish it",
    // though it reported healthy and Azure's upgrade had ended, leaving it idle on its old image.
    expect(record.batches[0]?.result).toBe("unfinished");
    expect(record.reason).toMatch(
      /^Stopped after batch 1 of 2: 1 of 2 upgraded instance\(s\) failed, are unhealthy or were not on the new model and healthy within health-timeout /,
    );
    const summary = renderSummary(record);
    expect(summary).toContain("⚠️ unfinished");
    expect(summary).toContain("Its upgrade ended without bringing it onto the latest model");
    expect(summary).not.toContain("Azure may still finish it");
  });
});

describe.each(ORCHESTRATIONS.filter((o) => o.seed.orchestrationMode === "Flexible"))(
  "Flexible only: VMs attached with a profile of their own ($mode)",
  ({ seed }) => {
    it("reports them as skipped (own model), never upgrades them nor counts them as upgraded", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, attachedVms: 1, ...seed }] });
      const own = "vmss1_attached0";
      const members = instanceIds(emu).filter((id) => id !== own);
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: percent(100) } }));
      expect(record.result).toBe("succeeded");
      expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(...members)]);
      expect(outcomes(record)).toEqual({ updated: members, "skipped-own-model": [own] });
      expect(runningVersions(emu)[own]).toBe(OLD_VERSION);
    });
  },
);

describe("Manual mode: the model change", () => {
  it.each(ORCHESTRATIONS)(
    "changes extension fileUris through the extension resource, keeping its other settings, without SAS in the record ($mode)",
    async ({ seed }) => {
      const emu = await emulator({
        scaleSets: [
          {
            name: "vmss1",
            instances: 2,
            ...seed,
            extensions: [
              {
                name: "customScript",
                publisher: "Microsoft.Azure.Extensions",
                type: "CustomScript",
                typeHandlerVersion: "2.1",
                settings: {
                  fileUris: ["https://st.blob.core.windows.net/s/v1.sh?sv=1&sig=OLDSECRET"],
                  commandToExecute: "bash v1.sh",
                },
                protectedSettings: { storageAccountKey: "KEY" },
              },
            ],
          },
        ],
      });
      const newUri = "https://st.blob.core.windows.net/s/v2.sh?sv=1&sig=NEWSECRET";
      const { record, log } = await rollout(
        configFor(emu, {
          change: { extension: { name: "customScript", fileUris: [newUri], forceUpdateTag: "run-2" } },
          rollout: { batchSize: percent(100) },
        }),
      );

      expect(record.result).toBe("succeeded");
      expect(writesOf(emu)).toEqual(["PATCH VirtualMachineScaleSetExtensions.Update", upgrade(...instanceIds(emu))]);
      // The full settings object (settings are replaced as a unit), no protectedSettings (Azure keeps them).
      expect(modelWrites(emu)[0]!.body).toEqual({
        properties: { settings: { fileUris: [newUri], commandToExecute: "bash v1.sh" }, forceUpdateTag: "run-2" },
      });
      for (const instance of emu.state("vmss1").instances) {
        expect(instance.extensions["customScript"]).toEqual({
          settings: { fileUris: [newUri], commandToExecute: "bash v1.sh" },
          forceUpdateTag: "run-2",
        });
      }
      expect(record.changes).toEqual([
        {
          property: "extensions[customScript].settings.fileUris",
          before: "https://st.blob.core.windows.net/s/v1.sh?[query removed]",
          after: "https://st.blob.core.windows.net/s/v2.sh?[query removed]",
        },
        { property: "extensions[customScript].forceUpdateTag", before: "(none)", after: "run-2" },
      ]);
      expect(record.previousModel?.extension).toEqual({
        name: "customScript",
        fileUris: ["https://st.blob.core.windows.net/s/v1.sh?[query removed]"],
      });
      expect(JSON.stringify(record) + log.text()).not.toMatch(/OLDSECRET|NEWSECRET|KEY"/);
    },
  );

  it("writes nothing when the model already holds the values, and reports unchanged", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3 }] });
    const { record } = await rollout(configFor(emu, { change: { imageVersion: OLD_VERSION } }));
    expect(record.result).toBe("unchanged");
    expect(record.reason).toBeUndefined();
    expect(record.modelUpdated).toBe(false);
    expect(record.changes).toEqual([]);
    expect(writesOf(emu)).toEqual([]);
    expect(outcomes(record)).toEqual({ "already-current": ["0", "1", "2"] });
  });

  it("a re-run after a stopped rollout writes no model and upgrades the instances left behind", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const first = await rollout(configFor(emu, { rollout: { canary: count(1), batchSize: count(2) } }));
    expect(first.record.result).toBe("failed");
    emu.resetLog();

    const second = await rollout(
      configFor(emu, { rollout: { canary: count(1), batchSize: count(2), rollbackOnFailure: true } }),
    );
    expect(second.record.modelUpdated).toBe(false);
    // rollback-on-failure cannot act on a run that writes no model: said once, as a warning.
    expect(second.log.lines.filter((l) => l.startsWith("warning: rollback-on-failure will not act"))).toHaveLength(1);
    expect(second.record.changes).toEqual([]);
    expect(writesOf(emu)).toEqual([upgrade("1"), upgrade("2", "3")]);
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(NEW_VERSION));
    expect(outcomes(second.record)).toMatchObject({ updated: ["1", "2", "3"] });
    // It has no previous model of its own: the model it read is the new one. Nothing offers the new values as a way back.
    expect(second.record.previousModel).toBeUndefined();
    expect(buildOutputs(second.record)["previous-model"]).toBe("null");
    const summary = renderSummary(second.record);
    expect(summary).not.toContain("To roll back");
    expect(summary).toContain("**To undo the change**, run the action with `rollback: true`");
  });

  it("a re-run: another writer's image during pause-between-batches stops it before the next batch", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    await rollout(configFor(emu, { rollout: { canary: count(1), batchSize: count(2) } }));
    emu.resetLog();

    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), pauseBetweenBatchesMs: 1_000 } }),
      { events: otherImageAfterBatch1(emu, OTHER) },
    );
    expect(record.modelUpdated).toBe(false);
    expect(writesOf(emu)).toHaveLength(1);
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      /^Stopped before batch 2 of 3: the scale set's model was changed by another writer after this run's plan/,
    );
  });

  it("a re-run: another writer's extension change right before its manualupgrade; the instances that took it are not updated", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    await rollout(configFor(emu, { rollout: { canary: count(1), batchSize: count(4) } }));
    emu.resetLog();
    emu.faults.concurrentWrite(
      { extension: { name: "customScript", properties: { settings: { commandToExecute: "by someone else" } } } },
      { operation: "VirtualMachineScaleSets.UpdateInstances", when: "before" },
    );

    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(4) } }));
    expect(record.modelUpdated).toBe(false);
    expect(record.result).toBe("failed");
    // 1, 2 and 3 were left behind by the first run and took the other writer's extension with this run's upgrade.
    expect(outcomes(record)).toMatchObject({ failed: ["1", "2", "3"] });
    expect(record.reason).toMatch(/extension 'customScript' changed, which this run did not write/);
  });

  it("a re-run that waits for an operation in progress, during which another writer changes an extension, plans on that model and goes on", async () => {
    const uris = {
      extension: { name: "customScript", fileUris: ["https://stvmssdemo.blob.core.windows.net/scripts/v2.sh"] },
    };
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, healthExtension: true }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    await rollout(configFor(emu, { change: uris, rollout: { canary: count(1), batchSize: count(4) } }));
    emu.resetLog();
    // While the re-run waits (its first read shows the set Updating), another writer changes the health extension.
    emu.faults.concurrentWrite(
      {
        extension: {
          name: "healthExtension",
          properties: { settings: { protocol: "http", port: 8080, requestPath: "/h" } },
        },
      },
      { operation: "VirtualMachineScaleSets.Get", after: 1, when: "before" },
    );
    let gets = 0;
    const { record } = await rollout(configFor(emu, { change: uris, rollout: { batchSize: count(4) } }), {
      wrap: (api) => ({
        ...api,
        getScaleSet: async (signal) => {
          const model = await api.getScaleSet(signal);
          return ++gets === 1 ? { ...model, provisioningState: "Updating" } : model;
        },
      }),
    });
    expect(record.modelUpdated).toBe(false);
    expect(record.reason ?? "").not.toMatch(/changed by another writer/);
    // The instances left behind by the first run are upgraded onto the model the re-run planned on.
    expect(writesOf(emu)).toEqual([upgrade("0", "1", "2", "3")]);
    expect(outcomes(record).updated).toEqual(expect.arrayContaining(["1", "2", "3"]));
  });

  it("a re-run that fails with rollback-on-failure says, in the record and the summary, why no rollback was done", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    await rollout(configFor(emu, { rollout: { canary: count(1), batchSize: count(2) } }));
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });

    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(record.result).toBe("failed");
    expect(record.rollback).toBeUndefined();
    expect(record.noRollback?.reason).toMatch(/^No rollback was done: this run wrote no model/);
    expect(renderSummary(record)).toMatch(/> \*\*No rollback:\*\* No rollback was done: this run wrote no model/);
    // Instance 0, failed on the latest model by the run before, is failed, not "already current" (an audit,
    // 2026-12-07: a stopped run judged no instance it left alone, and counted it on the new model).
    expect(record.instances.find((i) => i.instanceId === "0")).toMatchObject({
      outcome: "failed",
      provisioningState: "Failed",
    });
    expect(JSON.parse(buildOutputs(record)["failed-instances"]!)).toEqual(expect.arrayContaining(["0", "2"]));
  });

  it.each([
    {
      name: "a platform image switched to an image ID",
      seed: {},
      change: {
        imageId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app/versions/2.0.0",
      },
      reason: /Cannot set image-id .*runs the platform image 'Canonical:ubuntu-24_04-lts:server:24.04.202409120'/,
    },
    {
      name: "an extension that does not exist",
      seed: {},
      change: { extension: { name: "health", forceUpdateTag: "x" } },
      reason:
        /extension-name 'health' does not exist on scale set 'vmss1' \(it has 'customScript'\).*set extension-name to one of those/,
    },
    {
      name: "fileUris for the health extension, which takes none",
      seed: { healthExtension: true },
      change: { extension: { name: "healthExtension", fileUris: ["https://a.example/x.sh"] } },
      reason:
        /extension-name 'healthExtension' is an extension of type ApplicationHealthLinux, which takes no fileUris.*\(the scale set also has 'customScript'\)/,
    },
  ])("refuses $name before any write", async ({ seed, change, reason }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, ...seed }] });
    const { record } = await rollout(configFor(emu, { change }));
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(reason);
    expect(writesOf(emu)).toEqual([]);
  });

  it.each(ORCHESTRATIONS)(
    "dry run: records the change and the batch plan, writes nothing ($mode)",
    async ({ seed }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, ...seed }] });
      const [a = "", b = "", c = "", d = "", e = ""] = instanceIds(emu);
      emu.setInstance("vmss1", e, { protected: true });
      const { record, log } = await rollout(
        configFor(emu, { rollout: { dryRun: true, canary: count(1), batchSize: percent(50) } }),
      );
      expect(record.result).toBe("planned");
      expect(record.dryRun).toBe(true);
      expect(writesOf(emu)).toEqual([]);
      expect(record.changes).toHaveLength(1);
      expect(record.batches.map((x) => [x.index, x.canary, x.instanceIds, x.result])).toEqual([
        [1, true, [a], "planned"],
        [2, false, [b, c], "planned"],
        [3, false, [d], "planned"],
      ]);
      expect(outcomes(record)).toEqual({ "not-started": [a, b, c, d], "skipped-protected": [e] });
      expect(record.reason).toBe(
        "Dry run: 1 model change(s) and 4 instance(s) to upgrade in 3 batch(es); nothing was written.",
      );
      expect(log.text()).toContain("Dry run: nothing is written.");
    },
  );
});

describe.each(ORCHESTRATIONS)(
  "Manual mode: an application that starts slowly after its upgrade ($mode)",
  ({ seed }) => {
    // A review (2026-12-07): with the Application Health extension's binary health states there is no Initializing, so
    // an instance whose application is still starting reports Unhealthy, and the gate failed it at once: every canary of
    // a slow-starting application failed, and with rollback-on-failure was rolled back. It is waited for until
    // health-timeout (2 s in these tests) now, as Initializing is; the application here answers 300 ms after its upgrade.
    const slowApp = { healthExtension: true, healthStates: "binary", appStartSeconds: 300 } as const;

    it("binary health states: unhealthy while the application starts, then healthy: the rollout succeeds", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed, ...slowApp }] });
      const ids = instanceIds(emu);
      const { record } = await rollout(configFor(emu, { rollout: { canary: count(1), batchSize: count(2) } }));

      expect(record.result).toBe("succeeded");
      expect(outcomes(record)).toEqual({ updated: ids });
      expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "succeeded", "succeeded"]);
    });

    it("an application that never answers: unhealthy once health-timeout is spent, and the canary stops the rollout", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed, ...slowApp }] });
      const [first = "", ...rest] = instanceIds(emu);
      emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: [first] });
      const { record } = await rollout(configFor(emu, { rollout: { canary: count(1), batchSize: count(2) } }));

      expect(record.result).toBe("failed");
      expect(outcomes(record)).toEqual({ unhealthy: [first], "not-started": rest });
      expect(record.instances.find((i) => i.instanceId === first)?.health).toBe("unhealthy");
      expect(renderSummary(record)).toContain("Upgraded, but not healthy when `health-timeout` ended");
    });

    // Session 33: a gate went on waiting out health-timeout for an instance still starting when the instances already
    // failed broke max-unhealthy whatever it became: the stop (and a rollback) came a health-timeout late, and the
    // instance was then reported unhealthy for a wait it had not been given. The gate now ends once the stop is
    // certain; an instance it was still waiting for is reported as such (straggler, on the new model, health not in).
    it.each([
      { name: "a canary of 2, one failed", instances: 4, failing: 1, starting: 1, canary: 2, max: 100, stops: true },
      {
        name: "a batch of 4, two failed, max-unhealthy 25%",
        instances: 4,
        failing: 2,
        starting: 2,
        canary: 0,
        max: 25,
        stops: true,
      },
      {
        name: "a batch of 4, one failed, max-unhealthy 50%",
        instances: 4,
        failing: 1,
        starting: 2,
        canary: 0,
        max: 50,
        stops: false,
      },
    ])(
      "$name, the others still starting: the gate ends at once only when the stop is certain",
      async ({ instances, failing, starting, canary, max, stops }) => {
        const emu = await emulator({ scaleSets: [{ name: "vmss1", instances, ...seed, ...slowApp }] });
        const ids = instanceIds(emu);
        const failed = ids.slice(0, failing);
        const slow = ids.slice(failing, failing + starting);
        for (const id of failed) emu.faults.failUpgrade(id, { scaleSet: "vmss1" });
        emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: slow });
        const { record } = await rollout(
          configFor(emu, {
            rollout: {
              ...(canary > 0 ? { canary: count(canary) } : {}),
              batchSize: count(instances),
              maxUnhealthyPercent: max,
            },
          }),
        );

        expect(record.result).toBe("failed");
        const rest = ids.slice(failing + starting);
        const expected: Record<string, string[]> = { failed };
        // Not waited for further when the stop was certain: their health is not known, and the report says so.
        if (stops) expected["straggler"] = slow;
        else expected["unhealthy"] = slow;
        const healthy = canary > 0 ? [] : rest;
        if (healthy.length > 0) expected["updated"] = healthy;
        if (canary > 0 && rest.length > 0) expected["not-started"] = rest;
        expect(outcomes(record)).toEqual(expected);
        const summary = renderSummary(record);
        if (stops) {
          expect(record.reason).toContain("Still waited for when the stop was certain, and not waited for further: ");
          expect(record.reason).toContain("(waiting for health (unhealthy so far))");
          expect(summary).toContain("before it reported healthy and before its `health-timeout` was over");
        } else {
          expect(record.reason).not.toContain("not waited for further");
          expect(summary).toContain("Upgraded, but not healthy when `health-timeout` ended");
        }
      },
    );

    // A review (session 33): the early end counted an earlier batch's instance reporting Unhealthy as certain, but health
    // flaps: the rollout stopped although every instance ended healthy. Only failed instances make the stop certain.
    it("an earlier batch's instance unhealthy for a moment while this batch starts: no early stop, the rollout succeeds", async () => {
      const emu = await emulator({
        scaleSets: [{ name: "vmss1", instances: 4, ...seed, healthExtension: true, appStartSeconds: 300 }],
      });
      const [a = ""] = instanceIds(emu);
      emu.faults.onRequest({ operation: "VirtualMachineScaleSets.UpdateInstances", after: 1, when: "before" }, () => {
        emu.setInstance("vmss1", a, { health: "unhealthy" });
        setTimeout(() => emu.setInstance("vmss1", a, { health: "healthy" }), 100);
      });
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 20 } }));

      expect(record.result).toBe("succeeded");
      expect(outcomes(record)).toEqual({ updated: instanceIds(emu) });
    });

    it("a canary of 2, one failed, the other never healthy on the previous model after the rollback: unhealthy there", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed, ...slowApp }] });
      const [failed = "", slow = ""] = instanceIds(emu);
      emu.faults.failUpgrade(failed, { scaleSet: "vmss1" });
      emu.faults.unhealthyAfterUpgrade(OLD_VERSION, { scaleSet: "vmss1", instanceIds: [slow] });
      const { record } = await rollout(
        configFor(emu, {
          rollout: { canary: count(2), batchSize: count(2), rollbackOnFailure: true, healthTimeoutMs: 1_500 },
        }),
      );

      expect(runningVersions(emu)[slow]).toBe(OLD_VERSION);
      expect(record.instances.find((i) => i.instanceId === slow)).toMatchObject({
        outcome: "unhealthy",
        error: { code: "UnhealthyOnPreviousModel" },
      });
    });

    it("a canary of 2, one failed, the other still starting, with rollback-on-failure: both are brought back", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed, ...slowApp }] });
      const [failed = "", slow = "", ...rest] = instanceIds(emu);
      emu.faults.failUpgrade(failed, { scaleSet: "vmss1" });
      emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: [slow] });
      const { record } = await rollout(
        configFor(emu, { rollout: { canary: count(2), batchSize: count(2), rollbackOnFailure: true } }),
      );

      expect(record.result).toBe("rolled-back");
      expect(outcomes(record)).toEqual({ "rolled-back": [failed, slow], "not-started": rest });
      expect(record.reason).toContain("not waited for further");
    });
  },
);

describe("Manual mode: health gates and stops", () => {
  it("a failed canary stops the rollout before the second batch", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record } = await rollout(
      configFor(emu, { rollout: { canary: count(1), batchSize: count(2), maxUnhealthyPercent: 50 } }),
    );

    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0")]);
    expect(record.batches.map((b) => b.result)).toEqual(["failed", "not-started", "not-started", "not-started"]);
    expect(record.batches[0]!.error?.code).toBe("VMExtensionProvisioningError");
    expect(outcomes(record)).toEqual({ failed: ["0"], "not-started": ["1", "2", "3", "4", "5"] });
    expect(record.reason).toMatch(
      /^Stopped after batch 1 of 4: 1 of 1 upgraded instance\(s\) failed or are unhealthy \(the canary batch tolerates no failure\): 0 \(vmss1_0\): provisioning Failed, power running, .*VMExtensionProvisioningError: .*Not started: 1-5\.$/,
    );
    expect(record.instances[0]!.error?.code).toBe("VMExtensionProvisioningError");
  });

  it("removes SAS tokens from Azure's error texts in the record and the log", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.failUpgrade("0", {
      scaleSet: "vmss1",
      message: "Failed to download https://st.blob.core.windows.net/s/v2.sh?sv=1&sig=SECRETSIG: 403",
    });
    const { record, log } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));
    expect(record.result).toBe("failed");
    expect(record.batches[0]!.error?.message).toBe(
      "Failed to download https://st.blob.core.windows.net/s/v2.sh?[query removed] 403",
    );
    expect(JSON.stringify(record) + log.text()).not.toContain("SECRETSIG");
  });

  it("instances turning unhealthy beyond max-unhealthy stop the rollout", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6, healthExtension: true }] });
    emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: ["2", "3"] });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 20 } }));

    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3")]);
    expect(record.batches.map((b) => b.result)).toEqual(["succeeded", "unhealthy", "not-started"]);
    expect(outcomes(record)).toEqual({ updated: ["0", "1"], unhealthy: ["2", "3"], "not-started": ["4", "5"] });
    expect(record.reason).toMatch(
      /Stopped after batch 2 of 3: 2 of 4 upgraded instance\(s\) failed or are unhealthy \(50% of the upgraded instances, more than max-unhealthy 20% allows \(at most 0 of 4\)\)/,
    );
    expect(record.reason).toMatch(
      /2 \(vmss1_2\): provisioning Succeeded, power running, health unhealthy .*reports unhealthy/,
    );
    expect(record.reason).toMatch(/Not started: 4, 5\.$/);
  });

  it.each([
    { name: "its upgrade failed", fault: "failed" as const },
    { name: "it turned unhealthy", fault: "unhealthy" as const },
  ])(
    "a re-run after a run that failed because $name: that instance, on the new model, still fails the job",
    async ({ fault }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, healthExtension: true }] });
      if (fault === "failed") emu.faults.failUpgrade("1", { scaleSet: "vmss1" });
      else emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: ["1"] });
      const config = configFor(emu, { rollout: { batchSize: count(3) } });
      const first = await rollout(config);
      expect(first.record.result).toBe("failed");
      expect(outcomes(first.record)).toEqual({ updated: ["0", "2"], [fault]: ["1"] });

      // The same job again: the model already holds the change and every instance runs it; nothing is sent.
      const writes = emu.writes().length;
      const { record } = await rollout(config);
      expect(
        emu
          .writes()
          .slice(writes)
          .filter((w) => w.operation !== TAGS),
      ).toEqual([]);
      expect(record.result).toBe("failed");
      expect(outcomes(record)).toEqual({ "already-current": ["0", "2"], [fault]: ["1"] });
      expect(buildOutputs(record)["failed-instances"]).toBe('["1"]');
      expect(record.reason).toMatch(/^1 of 3 instance\(s\) did not end on the new model and healthy: 1 \(vmss1_1\)/);
      const summary = renderSummary(record);
      expect(summary).not.toContain("Every instance runs the new model");
      expect(summary).not.toContain("before it wrote anything");
      // Without an Azure error of its own, its help says so; a failed one is explained by its error code instead.
      if (fault === "unhealthy") expect(summary).toContain("this run did not upgrade it");
      else expect(summary).toContain("VMExtensionProvisioningError");
    },
  );

  it("health: off: an instance unhealthy on the new model does not fail a re-run, as it did not fail the run", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, healthExtension: true }] });
    emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: ["1"] });
    const config = configFor(emu, { rollout: { batchSize: count(3), health: "off" } });
    expect((await rollout(config)).record.result).toBe("succeeded");
    const { record } = await rollout(config);
    expect(record.result).toBe("unchanged");
    expect(outcomes(record)).toEqual({ "already-current": ["0", "1", "2"] });
  });

  it("an unhealthy instance within max-unhealthy lets the rollout finish, and the job still fails", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 5, healthExtension: true }] });
    emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: ["4"] });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(1), maxUnhealthyPercent: 20 } }));
    expect(writesOf(emu)).toHaveLength(6);
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/^1 of 5 instance\(s\) did not end on the new model and healthy: 4 \(vmss1_4\)/);
  });

  it.each([
    {
      name: "health auto waits through Initializing until healthy",
      health: "auto" as const,
      turns: "healthy" as const,
      healthTimeoutMs: 3_000,
      result: "succeeded",
      waited: true,
    },
    {
      name: "health auto: still Initializing after health-timeout is unhealthy",
      health: "auto" as const,
      turns: undefined,
      healthTimeoutMs: 300,
      result: "failed",
      waited: true,
    },
    {
      name: "health off does not wait",
      health: "off" as const,
      turns: undefined,
      healthTimeoutMs: 300,
      result: "succeeded",
      waited: false,
    },
  ])("$name", async ({ health, turns, healthTimeoutMs, result, waited }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, healthExtension: true }] });
    // Right after the upgrade, the application is still starting: vmHealth Initializing for a while.
    // It turns `turns` once the gate has seen it Initializing.
    const waitedFor: string[] = [];
    const events = (event: RolloutEvent): void => {
      if (event.type === "upgrade-ended" && event.outcome?.status === "Succeeded")
        for (const id of ["0", "1"]) emu.setInstance("vmss1", id, { health: "initializing" });
      if (event.type === "poll") {
        waitedFor.push(...event.waitingFor);
        if (turns && event.pending > 0) ["0", "1"].forEach((id) => emu.setInstance("vmss1", id, { health: turns }));
      }
    };
    const { record } = await rollout(
      configFor(emu, { rollout: { health, healthTimeoutMs, batchSize: percent(100) } }),
      { events },
    );

    expect(record.result).toBe(result);
    expect(waitedFor.includes("health (initializing)")).toBe(waited);
    if (result === "failed") {
      expect(outcomes(record)).toEqual({ unhealthy: ["0", "1"] });
      expect(record.reason).toMatch(/not healthy within health-timeout \(last: initializing\)/);
    }
  });
});

describe("Manual mode: the verdict judges every instance, to the end", () => {
  it("another writer changing the model between batches fails the run: the first batch is no longer on the latest model", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    const other = adapterFor(configFor(emu));
    let sent = 0;
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      wrap: (api) => ({
        ...api,
        startUpgradeInstances: async (ids, signal) => {
          if (++sent === 2) await other.patchExtension({ name: "customScript", forceUpdateTag: "someone-else" });
          return api.startUpgradeInstances(ids, signal);
        },
      }),
    });
    expect(emu.state("vmss1").instances.map((i) => i.latestModelApplied)).toEqual([false, false, true, true]);
    expect(record.result).toBe("failed");
    // The second batch took that writer's forceUpdateTag along with this run's image: not updated by this run.
    expect(outcomes(record)).toEqual({ straggler: ["0", "1"], failed: ["2", "3"] });
    expect(record.instances.map((i) => i.latestModelAfter)).toEqual([false, false, true, true]);
    // The first batch runs this run's model, which the other writer's change left behind: said so, not "Azure may
    // still finish it".
    expect(record.instances.map((i) => i.error?.code)).toEqual([
      "ModelChangedSinceUpgrade",
      "ModelChangedSinceUpgrade",
      "ModelChangedByAnotherWriter",
      "ModelChangedByAnotherWriter",
    ]);
    const summary = renderSummary(record);
    expect(summary).toContain("another writer changed the scale set&#39;s model after its upgrade");
    // The reason leads with that change and names them the same way: they wait for nothing of this run's. Before, it
    // opened on "4 of 4 upgraded instance(s) failed or are unhealthy", which reads as a broken release.
    expect(record.reason).toMatch(
      /^Stopped after batch 2 of 2: the scale set's model was changed by another writer during the rollout \(extension 'customScript'/,
    );
    expect(record.reason).toContain(
      "2 instance(s) upgraded before that change run this run's model but are no longer on the latest model: 0, 1.",
    );
    expect(record.reason).toContain("2 instance(s) were upgraded onto that writer's model, not this run's: 2, 3.");
    expect(record.reason).not.toContain("failed or are unhealthy");
    expect(record.reason).not.toContain("waiting for the new model");
    // What to do next: not "re-run" alone, which would roll that writer's model out.
    expect(summary).toMatch(/First, look at the other writer's change.*a re-run upgrades 4 instances/);
  });

  it("an instance of an earlier batch turning unhealthy counts against max-unhealthy on a later batch's poll", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6, healthExtension: true }] });
    const events = (event: RolloutEvent): void => {
      if (event.type === "batch-started" && event.batch === 2) emu.setInstance("vmss1", "0", { health: "unhealthy" });
    };
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 20 } }), {
      events,
    });
    expect(record.result).toBe("failed");
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3")]);
    expect(outcomes(record)).toEqual({ unhealthy: ["0"], updated: ["1", "2", "3"], "not-started": ["4", "5"] });
    expect(record.reason).toMatch(
      /^Stopped after batch 2 of 3: 1 of 4 upgraded instance\(s\) failed or are unhealthy \(25% .*\): 0 \(vmss1_0\): .*health unhealthy .*Not started: 4, 5\.$/,
    );
  });

  it.each([
    {
      name: "an unrelated extension's Error status on an instance provisioned fine is information",
      change: { imageVersion: NEW_VERSION },
      result: "succeeded",
      outcome: "updated",
    },
    {
      name: "an Error status of the extension the rollout changed fails the instance",
      change: { extension: { name: "monitoringAgent", forceUpdateTag: "run-2" } },
      result: "failed",
      outcome: "failed",
    },
  ])("$name", async ({ change, result, outcome }) => {
    const monitoring = {
      name: "monitoringAgent",
      publisher: "Microsoft.Azure.Monitor",
      type: "AzureMonitorLinuxAgent",
      typeHandlerVersion: "1.0",
      settings: {},
    };
    const script = {
      name: "customScript",
      publisher: "Microsoft.Azure.Extensions",
      type: "CustomScript",
      typeHandlerVersion: "2.1",
      settings: { commandToExecute: "true" },
    };
    // The monitoring agent on 0 reports Error throughout, but the instance is provisioned fine (as with suppressFailures)
    // and its upgrades succeed.
    const emu = await emulator({
      scaleSets: [
        {
          name: "vmss1",
          instances: 2,
          extensions: [monitoring, script],
          extensionStatuses: { "0": { monitoringAgent: "failed" } },
        },
      ],
    });
    const { record } = await rollout(
      configFor(emu, { change, rollout: { batchSize: percent(100), maxUnhealthyPercent: 100 } }),
    );
    expect(record.result).toBe(result);
    expect(
      emu
        .state("vmss1")
        .operations.filter((o) => o.operation !== TAGS)
        .map((o) => o.status),
    ).toEqual(["Succeeded", "Succeeded"]);
    expect(record.instances[0]).toMatchObject({ outcome, provisioningState: "Succeeded" });
    expect(record.instances[1]).toMatchObject({ outcome: "updated", provisioningState: "Succeeded" });
    // Kept in the record either way.
    expect(record.instances[0]!.error?.message).toMatch(/^Extension 'monitoringAgent': Enable failed/);
  });

  it("does not wait for health from an instance that is not running (deallocated instances report none)", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2, healthExtension: true }] });
    const events = (event: RolloutEvent): void => {
      // Someone deallocates 1 once it is upgraded: its instance view then has no vmHealth at all.
      if (event.type === "upgrade-ended" && event.outcome?.status === "Succeeded")
        emu.setInstance("vmss1", "1", { powerState: "deallocated" });
    };
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: percent(100), healthTimeoutMs: 300 } }), {
      events,
    });
    expect(emu.state("vmss1").instances[1]).not.toHaveProperty("health");
    expect(record.result).toBe("succeeded");
    expect(record.instances[1]).toMatchObject({ outcome: "updated", powerState: "deallocated" });
    expect(record.instances[1]!.health).toBeUndefined();
    expect(record.instances[0]).toMatchObject({ outcome: "updated", powerState: "running", health: "healthy" });
  });
});

describe("Manual mode: rollback", () => {
  it("an instance created on the new model during the run (scale-out) is brought back too", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    // Autoscale adds an instance once batch 1 is sent: Azure creates it on the model, this run's new one.
    emu.faults.concurrentWrite(
      { patch: { sku: { capacity: 5 } } },
      { operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" },
    );
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    const added = instanceIds(emu).find((id) => !["0", "1", "2", "3"].includes(id)) ?? "";
    expect(added).not.toBe("");
    expect(record.result).toBe("rolled-back");
    expect(record.rollback?.instanceIds).toContain(added);
    expect(runningVersions(emu)[added]).toBe(OLD_VERSION);
    expect(record.instances.find((i) => i.instanceId === added)?.outcome).toBe("rolled-back");
  });

  it("a model update whose operation fails: the image is put back, the reason ends its sentence, the headline says no instance had to be brought back", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3 }] });
    // Azure applied the PATCH, then its operation failed (its message ends with no period, as Azure's often do).
    emu.faults.failOperation({
      operation: "VirtualMachineScaleSets.Update",
      running: false,
      message: "An internal execution error occurred. Please retry later",
    });
    const { record } = await rollout(configFor(emu, { rollout: { rollbackOnFailure: true } }));
    expect(record.result).toBe("rolled-back");
    expect(writesOf(emu)).toHaveLength(2);
    expect(Object.values(runningVersions(emu))).toEqual(Array(3).fill(OLD_VERSION));
    expect(record.reason).toContain(
      "The model update failed: InternalExecutionError: An internal execution error occurred. Please retry later. Rolled back:",
    );
    expect(headline(record)).toBe(
      "Rollout rolled back: the previous model is back, no instance had to be brought back",
    );
  });

  it("a rollback PATCH Azure accepted whose status could not be read: the model is read, not assumed unchanged", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    // Once Azure has taken the rollback's PATCH (the second), the next read of an operation's status is refused.
    emu.faults.onRequest({ operation: "VirtualMachineScaleSets.Update", after: 1, when: "after" }, () =>
      emu.faults.authorizationFailed({ operation: "Operations.Get", times: 1 }),
    );
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(emu.state("vmss1").model).toMatchObject({
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OLD_VERSION } } } },
    });
    expect(record.result).toBe("rolled-back");
    expect(record.rollback?.succeeded).toBe(true);
  });

  it("a cancel during the rollback is said as such, not as an error of the rollback", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    const cancel = new AbortController();
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
      { signal: cancel.signal, events: (event) => event.type === "rollback-started" && cancel.abort() },
    );
    expect(record.rollback?.succeeded).toBe(false);
    expect(record.rollback?.error).toMatch(/^cancelled: the job was cancelled during the rollback/);
    expect(record.reason).toContain("The rollback failed too: cancelled: the job was cancelled during the rollback");
  });

  it.each(ORCHESTRATIONS)(
    "puts the previous model back and re-upgrades exactly the instances upgraded so far ($mode)",
    async ({ seed }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6, ...seed }] });
      const [i0 = "", i1 = "", i2 = "", i3 = "", i4 = "", i5 = ""] = instanceIds(emu);
      emu.faults.failUpgrade(i2, { scaleSet: "vmss1" });
      const { record } = await rollout(
        configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
      );

      expect(record.result).toBe("rolled-back");
      expect(writesOf(emu)).toEqual([
        PATCH_SET,
        upgrade(i0, i1),
        upgrade(i2, i3),
        PATCH_SET,
        // In batches no larger than the rollout's, each behind a health gate (issue #12).
        upgrade(i0, i1),
        upgrade(i2, i3),
      ]);
      // The rollback PATCH restores the version read, guarded by the etag of a fresh read.
      const rollbackPatch = modelWrites(emu)[3]!;
      expect(rollbackPatch.body).toEqual({
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OLD_VERSION } } } },
      });
      // Read "1", the lease with the rollout record as planned "2", the new model "3" (the record, unchanged by the
      // write, is not written again).
      expect(rollbackPatch.headers["if-match"]).toBe('"3"');
      expect(emu.state("vmss1").model).toMatchObject({
        properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OLD_VERSION } } } },
      });
      expect(Object.values(runningVersions(emu))).toEqual(Array(6).fill(OLD_VERSION));
      expect(emu.state("vmss1").instances.every((i) => i.latestModelApplied)).toBe(true);
      expect(record.rollback).toEqual({ succeeded: true, instanceIds: [i0, i1, i2, i3] });
      expect(outcomes(record)).toEqual({ "rolled-back": [i0, i1, i2, i3], "not-started": [i4, i5] });
      // The instance that failed its upgrade keeps that error in the report, back on the previous model or not.
      expect(record.instances.find((i) => i.instanceId === i2)?.error?.code).toBe("VMExtensionProvisioningError");
      expect(record.reason).toMatch(
        /^Stopped after batch 2 of 3: .* Rolled back: the previous model is restored and instances /,
      );
      expect(record.reason).toContain(`instances ${listIds([i0, i1, i2, i3])} run it again.`);
    },
  );

  it("a rollback that does not complete: the instances it brought back are rolled back, the others reported as they are, with where the model stands", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    // Instance 2 fails its upgrade both ways: forward (the run stops after batch 2) and back (rollback batch 2 fails).
    emu.faults.failUpgrade("2", { scaleSet: "vmss1", times: 2 });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(writesOf(emu)).toEqual([
      PATCH_SET,
      upgrade("0", "1"),
      upgrade("2", "3"),
      PATCH_SET,
      upgrade("0", "1"),
      upgrade("2", "3"),
    ]);
    expect(record.result).toBe("failed");
    expect(record.rollback).toMatchObject({
      succeeded: false,
      instanceIds: ["0", "1", "3"],
      notBack: ["2"],
      model: "restored",
    });
    // Every instance runs the previous model again (2 failed on it): none is reported on the new one.
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(OLD_VERSION));
    expect(outcomes(record)).toEqual({ "rolled-back": ["0", "1", "3"], failed: ["2"] });
    expect(record.reason).toContain("The rollback failed too: ");
    expect(record.reason).toContain("The previous model is restored. Brought back: 0, 1, 3. Not brought back: 2.");
  });

  it("another writer changing the model during the rollback: no further instance is sent back onto it, and the rollback says so", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    // Right after the rollback's first manualupgrade (the third in all): another writer sets an image of its own.
    emu.faults.concurrentWrite(
      { patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } } } },
      { operation: "VirtualMachineScaleSets.UpdateInstances", after: 2, when: "after" },
    );
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    // Rollback batch 2 is not sent: it would bring 2 and 3 onto the other writer's image. Batch 1's instances run the
    // previous image, but Azure never shows them on the model (it is the other writer's now): not counted back.
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3"), PATCH_SET, upgrade("0", "1")]);
    expect(emu.state("vmss1").model).toMatchObject({
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } },
    });
    expect(record.result).toBe("failed");
    expect(record.rollback).toMatchObject({
      succeeded: false,
      instanceIds: [],
      notBack: ["0", "1", "2", "3"],
      model: "changed-by-another-writer",
    });
    expect(record.rollback?.error).toContain(`the model's image is now Canonical:ubuntu-24_04-lts:server:${OTHER}`);
    expect(record.rollback?.error).toContain("another writer changed it during the rollback");
    expect(runningVersions(emu)).toEqual({ "0": OLD_VERSION, "1": OLD_VERSION, "2": NEW_VERSION, "3": NEW_VERSION });
    // Said once (the model's sentence no longer repeats the rollback's error).
    expect(record.reason?.match(/another writer changed (it|the model) during the rollback/gi)).toHaveLength(1);
    // 0 and 1 run the previous image: not "updated" (on the new model) in the outputs and the headline (an audit,
    // 2026-12-07), but failed, with what they run.
    expectSentBackElsewhere(record, ["0", "1"], OLD_VERSION);
  });

  it("another writer's model reached by a rollback batch: its instances are not counted back", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    // Just before the rollback's first manualupgrade is handled, another writer sets an image of its own: batch 1's
    // instances go onto it and show on the (now other) model.
    emu.faults.concurrentWrite(
      { patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } } } },
      { operation: "VirtualMachineScaleSets.UpdateInstances", after: 2, when: "before" },
    );
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3"), PATCH_SET, upgrade("0", "1")]);
    expect(runningVersions(emu)).toMatchObject({ "0": OTHER, "1": OTHER });
    expect(record.rollback).toMatchObject({
      succeeded: false,
      instanceIds: [],
      notBack: ["0", "1", "2", "3"],
      model: "changed-by-another-writer",
    });
    expectSentBackElsewhere(record, ["0", "1"], OTHER);
  });

  it("does not roll back when the previous model cannot be restored (a forceUpdateTag that did not exist), and says why", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record } = await rollout(
      configFor(emu, {
        change: { extension: { name: "customScript", forceUpdateTag: "run-2" } },
        rollout: { canary: count(1), rollbackOnFailure: true },
      }),
    );
    expect(record.result).toBe("failed");
    // No manualupgrade after the canary: it would only have brought instances onto the new model.
    expect(writesOf(emu)).toEqual([PATCH_EXTENSION, upgrade("0")]);
    expect(record.rollback).toBeUndefined();
    expect(record.reason).toMatch(
      / No rollback was done: the previous model cannot be restored \(extension 'customScript' had no forceUpdateTag before the run, and a PATCH cannot remove one\), so the instances stay on the new model\.$/,
    );
    expect(emu.state("vmss1").instances.map((i) => i.extensions["customScript"]?.forceUpdateTag)).toEqual([
      "run-2",
      undefined,
      undefined,
    ]);
  });

  it("does not overwrite an image another writer put in the model during the rollout, and says so", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    // Another writer changes the image right after the first batch's manualupgrade: the batch is not on the latest
    // model any more, the run stops, and rollback-on-failure would put the old image back over the other one.
    emu.faults.concurrentWrite(
      { patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } } } },
      { operation: "VirtualMachineScaleSets.UpdateInstances", when: "after" },
    );
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0, rollbackOnFailure: true } }),
    );
    expect(record.result).toBe("failed");
    // No rollback PATCH and no manualupgrade back: the other writer's image stays in the model.
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1")]);
    expect(emu.state("vmss1").model).toMatchObject({
      properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } },
    });
    expect(record.rollback).toBeUndefined();
    expect(record.reason).toContain(
      `Stopped after batch 1 of 2: the scale set's model was changed by another writer during the rollout (its image is now Canonical:ubuntu-24_04-lts:server:${OTHER})`,
    );
    expect(record.reason).toContain(`No rollback was done: the model's image is now`);
    expect(record.reason).toContain(OTHER);
  });

  it.each(
    ORCHESTRATIONS.flatMap(({ mode, seed }) => [
      { mode, seed, maxUnhealthyPercent: 0, stop: "after batch 1 of 4" },
      // Within max-unhealthy, the gate passes; the next batch is not sent.
      { mode, seed, maxUnhealthyPercent: 100, stop: "before batch 2 of 4" },
    ]),
  )(
    "another writer's extension added right before batch 1's manualupgrade ($mode, max-unhealthy $maxUnhealthyPercent%): stopped $stop, its instance named as on that writer's model",
    async ({ seed, maxUnhealthyPercent, stop }) => {
      // The instance takes that writer's model and is on the latest model: no listing shows the change. Before (a fuzz
      // run, 2026-12-07), every batch went on upgrading instances onto it, and only verification's read found it.
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
      const ids = instanceIds(emu);
      emu.faults.concurrentWrite(extensionAdded(emu), {
        operation: "VirtualMachineScaleSets.UpdateInstances",
        when: "before",
      });
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(1), maxUnhealthyPercent } }));
      expect(writesOf(emu)).toEqual([PATCH_SET, upgrade(ids[0]!)]);
      expect(record.result).toBe("failed");
      expect(record.reason).toMatch(
        new RegExp(
          `^Stopped ${stop}: the scale set's model was changed by another writer .*extension 'otherWritersAgent'`,
        ),
      );
      expect(record.reason).toContain(
        `1 instance(s) were upgraded onto that writer's model, not this run's: ${ids[0]}.`,
      );
      expect(outcomes(record)).toEqual({ failed: [ids[0]], "not-started": ids.slice(1) });
      expect(record.instances[0]?.error?.code).toBe("ModelChangedByAnotherWriter");
    },
  );

  it("another writer's change that moved none of the failed instances: their failure leads, the change is said after", async () => {
    // Instance 0 fails on the release's own image; right after its manualupgrade another writer adds an extension.
    // The reason must not open on the other writer, as if it were to blame (a review, 2026-12-07).
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3 }] });
    const ids = instanceIds(emu);
    emu.faults.failUpgrade(ids[0]!, { scaleSet: "vmss1" });
    emu.faults.concurrentWrite(extensionAdded(emu), {
      operation: "VirtualMachineScaleSets.UpdateInstances",
      when: "after",
    });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(1), maxUnhealthyPercent: 0 } }));
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(
      new RegExp(`^Stopped after batch 1 of 3: 1 of 1 upgraded instance\\(s\\) failed or are unhealthy .*${ids[0]}`),
    );
    expect(record.reason).toContain("Another writer also changed the scale set's model during the rollout (extension");
    expect(record.instances.find((i) => i.instanceId === ids[0])?.outcome).toBe("failed");
  });

  it.each([
    {
      when: "right after batch 1's manualupgrade",
      at: { operation: "VirtualMachineScaleSets.UpdateInstances", after: 0, when: "after" as const },
      unhealthy: [] as number[],
      stoppedAfter: "batch 1 of 2",
      movedOn: [0, 1],
      theirs: [] as number[],
      own: [] as number[],
      notStarted: [2, 3],
    },
    {
      when: "right before batch 2's manualupgrade",
      at: { operation: "VirtualMachineScaleSets.UpdateInstances", after: 1, when: "before" as const },
      unhealthy: [],
      stoppedAfter: "batch 2 of 2",
      movedOn: [0, 1],
      theirs: [2, 3],
      own: [],
      notStarted: [],
    },
    {
      when: "right before batch 2's manualupgrade, with an instance of batch 1 unhealthy on its own",
      at: { operation: "VirtualMachineScaleSets.UpdateInstances", after: 1, when: "before" as const },
      unhealthy: [0],
      stoppedAfter: "batch 2 of 2",
      movedOn: [1],
      theirs: [2, 3],
      own: [0],
      notStarted: [],
    },
  ])(
    "another writer's image $when: the reason leads with that change and tells its instances from failed ones",
    async ({ at, unhealthy, stoppedAfter, movedOn, theirs, own, notStarted }) => {
      // Before, the reason opened on "N of N upgraded instance(s) failed or are unhealthy" when no instance had failed
      // (a fuzz run, 2026-12-07): it read as a broken release. The table and outputs were right; the lead was not.
      const OTHER = "24.04.202503030";
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, healthExtension: true }] });
      const ids = instanceIds(emu);
      const pick = (ks: readonly number[]): string[] => ks.map((k) => ids[k]!);
      if (unhealthy.length > 0)
        emu.faults.unhealthyAfterUpgrade(NEW_VERSION, { scaleSet: "vmss1", instanceIds: pick(unhealthy) });
      emu.faults.concurrentWrite(
        {
          patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } } },
        },
        at,
      );
      const { record } = await rollout(
        configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: unhealthy.length > 0 ? 50 : 0 } }),
      );
      expect(record.result).toBe("failed");
      const reason = record.reason ?? "";
      expect(reason).toMatch(
        new RegExp(
          `^Stopped after ${stoppedAfter}: the scale set's model was changed by another writer during the rollout ` +
            `\\(its image is now Canonical:ubuntu-24_04-lts:server:${OTHER}\\)\\. `,
        ),
      );
      expect(reason).toContain(
        `${movedOn.length} instance(s) upgraded before that change run this run's model but are no longer on the latest model: ${listIds(pick(movedOn))}.`,
      );
      if (theirs.length > 0)
        expect(reason).toContain(
          `${theirs.length} instance(s) were upgraded onto that writer's model, not this run's: ${listIds(pick(theirs))}.`,
        );
      else expect(reason).not.toContain("onto that writer's model, not this run's");
      if (own.length > 0)
        expect(reason).toContain(
          `${own.length} instance(s) failed or are unhealthy on their own account: ${ids[own[0]!]}`,
        );
      else expect(reason).not.toContain("failed or are unhealthy");
      const upgraded = movedOn.length + theirs.length + own.length;
      expect(reason).toContain(
        `In all ${upgraded} of ${upgraded} upgraded instance(s) are not on this run's model or not healthy`,
      );
      // Each instance's outcome: left behind by that change (unfinished, nothing of Azure's to wait for), upgraded
      // onto it (failed: not this run's model), or unhealthy on this run's model (unhealthy, not unfinished).
      const code = (id: string): string | undefined => record.instances.find((i) => i.instanceId === id)?.error?.code;
      expect(outcomes(record)).toEqual({
        straggler: pick(movedOn),
        ...(theirs.length > 0 && { failed: pick(theirs) }),
        ...(own.length > 0 && { unhealthy: pick(own) }),
        ...(notStarted.length > 0 && { "not-started": pick(notStarted) }),
      });
      for (const id of pick(movedOn)) expect(code(id)).toBe("ModelChangedSinceUpgrade");
      for (const id of pick(theirs)) expect(code(id)).toBe("ModelChangedByAnotherWriter");
      for (const id of pick(own)) expect(code(id)).toBe("UnhealthyOnRolledOutModel");
      // What each instance runs, as the reason says it.
      const versions = Object.fromEntries(
        emu.state("vmss1").instances.map((i) => [i.instanceId, String(i.imageReference["version"])]),
      );
      for (const id of pick([...movedOn, ...own])) expect(versions[id]).toBe(NEW_VERSION);
      for (const id of pick(theirs)) expect(versions[id]).toBe(OTHER);
      const summary = renderSummary(record);
      expect(summary.split("\n")[0]).toMatch(/; another writer changed the model during the run$/);
      // Next steps: a re-run would upgrade every instance that change moved, the unhealthy one left behind included.
      const moved = [...movedOn, ...theirs, ...own].length;
      expect(summary).toContain(`a re-run upgrades ${moved} instances (`);
    },
  );

  it.each([
    {
      what: "the image",
      change: undefined,
      theirs: { imageVersion: "24.04.202503030" },
      says: "its image is now Canonical:ubuntu-24_04-lts:server:24.04.202503030",
    },
    {
      what: "the extension",
      change: { extension: { name: "customScript", forceUpdateTag: "ours" } },
      theirs: { extension: { name: "customScript", forceUpdateTag: "theirs" } },
      says: "extension 'customScript' no longer holds this run's values",
    },
  ])(
    "another writer changing $what right after the model write: no batch is sent onto its model",
    async ({ change, theirs, says }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
      const other = adapterFor(configFor(emu));
      const config = configFor(emu, { rollout: { batchSize: count(2) }, ...(change && { change }) });
      // The other write lands once this run's model write has ended, before the read that follows it.
      const afterOurs = async (): Promise<void> => {
        if (theirs.extension) await other.patchExtension(theirs.extension);
        else await other.patchScaleSet({ imageReference: { version: theirs.imageVersion } }, undefined);
      };
      const { record } = await rollout(config, {
        wrap: (api) => ({
          ...api,
          startPatchScaleSet: async (patch, etag, signal) => {
            const pending = await api.startPatchScaleSet(patch, etag, signal);
            return { done: pending.done.then(async (outcome) => (await afterOurs(), outcome)) };
          },
          startPatchExtension: async (patch, signal) => {
            const pending = await api.startPatchExtension(patch, signal);
            return { done: pending.done.then(async (outcome) => (await afterOurs(), outcome)) };
          },
        }),
      });
      expect(record.result).toBe("failed");
      expect(record.modelUpdated).toBe(true);
      // This run's model write, and no manualupgrade: no instance got the other writer's model under this run's name.
      expect(writesOf(emu).filter((w) => w.includes("UpdateInstances"))).toEqual([]);
      expect(outcomes(record)).toEqual({ "not-started": ["0", "1", "2", "3"] });
      expect(record.reason).toMatch(
        /^Stopped before batch 1 of 2: the scale set's model was changed by another writer/,
      );
      expect(record.reason).toContain(says);
    },
  );

  it("another writer changing the image during pause-between-batches: the next batch is not sent onto that writer's model", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), pauseBetweenBatchesMs: 1_000 } }),
      { events: otherImageAfterBatch1(emu, OTHER) },
    );

    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1")]);
    expect(record.result).toBe("failed");
    expect(record.reason).toMatch(/^Stopped before batch 2 of 2: the scale set's model was changed by another writer/);
    expect(record.reason).toContain(`its image is now Canonical:ubuntu-24_04-lts:server:${OTHER}`);
    expect(outcomes(record)["not-started"]).toEqual(["2", "3"]);
  });

  it("another writer changing the image right before a batch's manualupgrade: its instances are not counted as this run's", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    // No read can come between the write and the manualupgrade here: the listing shows where the instances went.
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      events: otherImageAfterBatch1(emu, OTHER),
    });

    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0", "1"), upgrade("2", "3")]);
    expect(record.result).toBe("failed");
    for (const id of ["2", "3"]) {
      const instance = record.instances.find((i) => i.instanceId === id);
      expect(instance?.outcome).toBe("failed");
      expect(instance?.error?.code).toBe("ModelChangedByAnotherWriter");
      expect(instance?.error?.message).toContain(
        `runs image Canonical:ubuntu-24_04-lts:server:${OTHER}, not ${NEW_VERSION}`,
      );
    }
    expect(JSON.stringify(outcomes(record)["updated"] ?? [])).not.toMatch(/"[23]"/);
  });

  it("another writer changing the image between this run's image write and its extension write: the extension is not written", async () => {
    const OTHER = "24.04.202503030";
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const { record } = await rollout(
      configFor(emu, {
        change: { imageVersion: NEW_VERSION, extension: { name: "customScript", forceUpdateTag: "run-2" } },
      }),
      {
        events: (event) => {
          // The next read of the model is the extension write's own, just before it.
          if (event.type === "wrote" && event.what === "image")
            emu.faults.concurrentWrite(
              {
                patch: {
                  properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OTHER } } } },
                },
              },
              { operation: "VirtualMachineScaleSets.Get", when: "before" },
            );
        },
      },
    );
    expect(writesOf(emu)).toEqual([PATCH_SET]);
    expect(record.result).toBe("failed");
    expect(outcomes(record)).toEqual({ "not-started": ["0", "1"] });
    expect(record.reason).toMatch(
      /^Stopped before the extension write: the scale set's model was changed by another writer .*its image is now Canonical:ubuntu-24_04-lts:server:24\.04\.202503030\)\. Nothing more was written, and no instance was upgraded\./,
    );
  });

  it("without rollback-on-failure the new model stays", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(1), maxUnhealthyPercent: 0 } }));
    expect(record.result).toBe("failed");
    expect(record.rollback).toBeUndefined();
    expect(writesOf(emu)).toEqual([PATCH_SET, upgrade("0")]);
  });
});

/** After batch 1's gate: another writer's image lands before the next request Azure handles. */
function otherImageAfterBatch1(emu: Emulator, version: string): (event: RolloutEvent) => void {
  return (event) => {
    if (event.type === "batch-ended" && event.batch === 1)
      emu.faults.concurrentWrite(
        { patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version } } } } } },
        { when: "before" },
      );
  };
}
