// The summary's next steps, checked by doing what they say (or warn against) on the emulator: a step a person follows
// must do what it promises, and one that would do harm must not be offered without a word.

import { describe, expect, it } from "vitest";
import { renderSummary } from "../../src/report/summary.ts";
import { configFor, count, rollout, useEmulator, writesOf } from "./harness.ts";

const emulator = useEmulator();
const UPGRADE = "VirtualMachineScaleSets.UpdateInstances";

describe("next steps after a failed rollout", () => {
  it("an instance that failed on the new model: a re-run does not upgrade it again, and the step says to repair it first", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    const config = configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 50 } });
    const first = await rollout(config);

    expect(first.record.result).toBe("failed");
    const summary = renderSummary(first.record);
    expect(summary).toContain(
      "Instance 2 is on the new model but failed or unhealthy there: a re-run does not upgrade it again, so reimage or repair it first",
    );

    // What the step says: re-run as it is, and instance 2 is neither sent again nor any better.
    const before = writesOf(emu).length;
    const again = await rollout(config);
    expect(again.record.result).toBe("failed");
    expect(writesOf(emu).slice(before)).toEqual([]);
    expect(again.record.instances.find((i) => i.instanceId === "2")?.outcome).toBe("failed");
  });

  it("a rollback that failed: no 'Resume' that would write the change again, the rollback to finish instead", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    emu.faults.failUpgrade("0", { scaleSet: "vmss1" });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    // The rollback's first batch (the third manualupgrade) fails too.
    emu.faults.onRequest({ operation: UPGRADE, after: 2, when: "before" }, () =>
      emu.faults.failUpgrade("1", { scaleSet: "vmss1", times: 5 }),
    );
    const { record } = await rollout(
      configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 50, rollbackOnFailure: true } }),
    );

    expect(record.rollback?.succeeded).toBe(false);
    const summary = renderSummary(record);
    expect(summary).not.toContain("**Resume:**");
    expect(summary).toContain("**Do not re-run this job yet:** the rollback did not complete");
    expect(summary).toContain("**Roll back:** run the action");
  });

  it("another writer's image after the first batch: the rollback offered warns, and rollback: true indeed refuses", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 6 }] });
    const otherImage = "24.04.202502000";
    emu.faults.concurrentWrite(
      {
        patch: {
          properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: otherImage } } } },
        },
      },
      { operation: UPGRADE, after: 0 },
    );
    const { record } = await rollout(configFor(emu, { rollout: { batchSize: count(2) } }));

    expect(record.result).toBe("failed");
    expect(record.modelChangedByAnother).toEqual({ change: expect.stringContaining(otherImage), overwritten: true });
    const summary = renderSummary(record);
    expect(summary).toMatch(
      /\*\*Another writer changed the model since this run's write\*\* \(its image is now [^)]*24\.04\.202502000\): `rollback: true` refuses to overwrite that change, and the values below would overwrite it/,
    );

    // So `rollback: true` is not offered; the previous values are, with that warning before them.
    expect(summary).not.toMatch(/with:\n\s+rollback: true/);
    expect(summary).toContain('image-version: "24.04.202409120"');

    // As warned: the rollback from the record writes nothing over that writer's image.
    const before = writesOf(emu).length;
    const back = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(back.record.result).toBe("failed");
    expect(back.record.reason).toMatch(/another writer/i);
    expect(writesOf(emu).slice(before)).toEqual([]);
  });
});
