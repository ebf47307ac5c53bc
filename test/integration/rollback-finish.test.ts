// A model already back on the previous values (a rollback-on-failure that put it back and then failed on the
// instances, or a person who reverted it by hand) leaves the record of a failed run whose model holds its "before"
// values. `rollback: true` then finishes the job: no model write (no other writer's change to overwrite), the instances
// still on the new model brought onto the restored one.

import { describe, expect, it } from "vitest";
import {
  configFor,
  count,
  OLD_VERSION,
  PATCH_SET,
  rollout,
  runningVersions,
  upgrade,
  useEmulator,
  writesOf,
} from "./harness.ts";

const emulator = useEmulator();

describe("rollback: true when the model is back on the previous values already", () => {
  it("brings the instances left on the new model onto it, with no model write", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 4 }] });
    emu.faults.failUpgrade("2", { scaleSet: "vmss1" });
    const first = await rollout(configFor(emu, { rollout: { batchSize: count(2), maxUnhealthyPercent: 0 } }));
    expect(first.record.result).toBe("failed");
    const before = writesOf(emu).length;

    // The model is put back before the rollback run reads it; instances 0-3 stay where the failed run left them.
    emu.faults.concurrentWrite(
      {
        patch: {
          properties: { virtualMachineProfile: { storageProfile: { imageReference: { version: OLD_VERSION } } } },
        },
      },
      { operation: "VirtualMachineScaleSets.Get", when: "before" },
    );
    const back = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(back.record.result).toBe("reverted");
    const writes = writesOf(emu).slice(before);
    expect(writes).not.toContain(PATCH_SET);
    // Every instance the failed run touched, in batches (the failed one first, as a rollout takes unhealthy ones).
    expect(writes).toEqual([upgrade("2"), upgrade("0"), upgrade("1"), upgrade("3")]);
    expect(Object.values(runningVersions(emu))).toEqual(Array(4).fill(OLD_VERSION));
    expect(emu.state("vmss1").instances.every((i) => i.latestModelApplied)).toBe(true);
  });
});
