// What the engine tells main once Azure accepted its first write (RolloutDeps.onWriteStart), which main hands the GitHub
// deployment: the model the run replaces and the change it writes. For `rollback: true` there are no change inputs: the
// change is the values the rollout record restores, so the deployment says what the rollback went back to.

import { describe, expect, it } from "vitest";
import type { ChangeRequest } from "../../src/config/types.ts";
import type { PreviousModel } from "../../src/domain/record.ts";
import { configFor, NEW_VERSION, OLD_VERSION, rollout, useEmulator } from "./harness.ts";

const emulator = useEmulator();

describe("the first write tells what it replaces and what it writes", () => {
  it("a rollout: its change inputs; then rollback: true: the recorded previous values, once each run", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    const seen: [PreviousModel | undefined, ChangeRequest][] = [];
    const onWriteStart = (previous: PreviousModel | undefined, change: ChangeRequest): void =>
      void seen.push([previous, change]);

    const first = await rollout(configFor(emu), { onWriteStart });
    expect(first.record.result).toBe("succeeded");
    expect(seen).toEqual([
      [{ imageReference: expect.objectContaining({ version: OLD_VERSION }) }, { imageVersion: NEW_VERSION }],
    ]);

    const back = await rollout({ ...configFor(emu, { change: {} }), rollback: true }, { onWriteStart });
    expect(back.record.result).toBe("reverted");
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual([
      { imageReference: expect.objectContaining({ version: NEW_VERSION }) },
      { imageVersion: OLD_VERSION },
    ]);
  });
});

// A review (faults, 2026-12): the deployment was told the model read before the image PATCH as the one this run
// replaces, before Azure answered it. When the PATCH then met 412 because another writer had set the very image the
// run asks for (9d9c477: not this run's write, no previous model, no rollback), the deployment's payload still named
// the image before that writer's as this run's previous model: a rollback by it would put back what this run never
// changed, over the other writer's image. The engine now tells the first write once Azure accepted it, with the
// previous model the record ends with.
describe("the first write is told once Azure accepted it, with the record's previous model", () => {
  const IMAGE = "VirtualMachineScaleSets.Update";
  const otherSets = (version: string) => ({
    patch: { properties: { virtualMachineProfile: { storageProfile: { imageReference: { version } } } } },
  });

  it.each([
    // Another writer set the requested image: this run writes none, and has no previous model.
    { what: "the requested image: none", theirs: NEW_VERSION, previous: undefined },
    // Another writer set another image: this run's PATCH, planned again, replaces that writer's, not the one read first.
    { what: "another image: theirs", theirs: "24.04.202410020", previous: "24.04.202410020" },
  ])("the image PATCH meets 412, another writer set $what", async ({ theirs, previous }) => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.concurrentWrite(otherSets(theirs), { operation: IMAGE, when: "before" });
    const seen: [PreviousModel | undefined, ChangeRequest][] = [];
    const { record } = await rollout(configFor(emu), {
      onWriteStart: (prev, change) => void seen.push([prev, change]),
    });
    expect(record.result).toBe("succeeded");
    expect(record.previousModel?.imageReference.version).toBe(previous);
    expect(seen).toEqual([[record.previousModel, { imageVersion: NEW_VERSION }]]);
  });
});
