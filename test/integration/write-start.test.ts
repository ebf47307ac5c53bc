// What the engine tells main at its first write (RolloutDeps.onWriteStart), which main hands the GitHub deployment:
// the model the run replaces and the change it writes. For `rollback: true` there are no change inputs: the change is
// the values the rollout record restores, so the deployment says what the rollback went back to.

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
