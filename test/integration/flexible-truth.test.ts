// What a Flexible scale set's VMs really are, whatever Azure's lists leave out or answer: a VM whose own profile
// names `latest` under a pinned model, a manualupgrade 404 naming a VM deleted since the listing, a VM one listing
// left out. Over every orchestration mode where the case applies (Uniform shows the expected behaviour).

import { describe, expect, it } from "vitest";
import { AzureApiError } from "../../src/domain/scale-set.ts";
import {
  NEW_VERSION,
  ORCHESTRATIONS,
  adapterFor,
  configFor,
  count,
  instanceIds,
  outcomes,
  percent,
  rollout,
  upgrade,
  useEmulator,
  writesOf,
} from "./harness.ts";

const emulator = useEmulator();
const LATEST = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" };
const pinnedModel = {
  patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: NEW_VERSION } } } } },
};

describe.each(ORCHESTRATIONS)(
  "VMs whose own profile names latest, under a model pinned to a version ($mode)",
  ({ seed }) => {
    // `latest` resolves to NEW_VERSION in the emulator: the VMs run the pinned version, but their profile floats.
    it("the model already holds the version (an earlier run wrote it): the VMs are upgraded, not called current", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, image: LATEST, ...seed }] });
      const ids = instanceIds(emu);
      emu.faults.concurrentWrite(pinnedModel);
      await adapterFor(configFor(emu)).getScaleSet(); // the write above lands on this request
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: percent(100) } }));
      expect(record.result).toBe("succeeded");
      expect(outcomes(record)).toEqual({ updated: ids });
      expect(writesOf(emu)).toEqual([upgrade(...ids)]);
    });

    it("a manualupgrade refused once (409): sent again, not taken for reached, nor blamed on another writer", async () => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 3, image: LATEST, ...seed }] });
      const ids = instanceIds(emu);
      emu.faults.conflict({ operation: "VirtualMachineScaleSets.UpdateInstances" });
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: percent(100) } }));
      expect(record.result).toBe("succeeded");
      expect(outcomes(record)).toEqual({ updated: ids });
      expect(emu.state("vmss1").instances.every((i) => i.imageReference["version"] === NEW_VERSION)).toBe(true);
    });
  },
);

describe.each(ORCHESTRATIONS)("instances a listing does not show ($mode)", ({ mode, seed }) => {
  it("a manualupgrade 404 naming an instance deleted since the listing: sent again without it; the scale set is not called deleted", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
    const [a = "", b = "", c = "", d = ""] = instanceIds(emu);
    let sends = 0;
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      wrap: (api) => ({
        ...api,
        startUpgradeInstances: async (ids, signal) => {
          if (++sends === 2) {
            emu.deleteInstance("vmss1", c);
            // As a Flexible set may answer for a VM deleted since (assumed: the emulator answers 400 InvalidParameter).
            throw new AzureApiError(
              "ResourceNotFound",
              `The Resource 'Microsoft.Compute/virtualMachines/${c}' under resource group 'rg-demo' was not found.`,
              404,
            );
          }
          return api.startUpgradeInstances(ids, signal);
        },
      }),
    });
    expect(record.scaleSetDeleted).toBeUndefined();
    expect(record.result).toBe("succeeded");
    expect(outcomes(record)).toEqual({ updated: [a, b, d], removed: [c] });
    expect(writesOf(emu).filter((w) => w.startsWith("POST"))).toEqual([upgrade(a, b), upgrade(d)]);
  });

  it.each([
    { read: "answered", readFails: false },
    { read: "refused with a 500", readFails: true },
  ])(
    "a manualupgrade 404 while every instance is there, the scale set's read $read: not called deleted, the run stops on it",
    async ({ readFails }) => {
      const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
      let sends = 0;
      let failedRead = false;
      let refusedAt: number | undefined;
      const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2), rollbackOnFailure: true } }), {
        wrap: (api) => ({
          ...api,
          startUpgradeInstances: async (ids, signal) => {
            if (++sends === 2) {
              refusedAt = Date.now();
              throw new AzureApiError(
                "ResourceNotFound",
                "The Resource 'Microsoft.Compute/disks/x' was not found.",
                404,
              );
            }
            return api.startUpgradeInstances(ids, signal);
          },
          getScaleSet: async (signal) => {
            if (readFails && refusedAt !== undefined && !failedRead) {
              failedRead = true;
              throw new AzureApiError("InternalServerError", "An internal error occurred.", 500);
            }
            return api.getScaleSet(signal);
          },
        }),
      });
      expect(record.scaleSetDeleted).toBeUndefined();
      expect(record.result).toBe("rolled-back");
      expect(record.reason).not.toContain("may have been deleted");
      if (!readFails) expect(record.reason).toContain("the scale set is there (read just now)");
      // The lease was released: the tags of a live scale set hold no lease of this run.
      expect(Object.keys(emu.state("vmss1").model["tags"] as Record<string, string>)).not.toContain(
        "vmss-rollout.lease",
      );
    },
  );

  it("an instance one listing left out and the next shows again: not reported removed while it is there", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4, ...seed }] });
    const ids = instanceIds(emu);
    const left = ids[3] ?? "";
    let lists = 0;
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }), {
      wrap: (api) => ({
        ...api,
        listInstances: async (signal, filter) => {
          const all = await api.listInstances(signal, filter);
          return ++lists === 2 && filter === undefined ? all.filter((i) => i.instanceId !== left) : all;
        },
      }),
    });
    // Whatever the run did with it, the report says what the scale set holds: the instance is there, on its model.
    const real = emu.state("vmss1").instances.find((i) => i.instanceId === left);
    expect(real).toBeDefined();
    const reported = record.instances.find((i) => i.instanceId === left);
    expect(reported?.outcome).not.toBe("removed");
    if (mode.startsWith("Flexible")) {
      // Its batch lists once more before leaving anyone out (the Flexible listing joins two lists): it is upgraded.
      expect(record.result).toBe("succeeded");
      expect(reported?.outcome).toBe("updated");
    }
    // Either way a succeeded run has it on the new model, as the scale set does.
    if (record.result === "succeeded") {
      expect(reported?.latestModelAfter).toBe(true);
      expect(real?.imageReference["version"]).toBe(NEW_VERSION);
    }
  });
});
