// The engine through the real SDK adapter against the emulator: a platform image version the scale set's region does
// not offer is refused before anything is written (the lease and the record included), naming the newest there are.
import { describe, expect, it } from "vitest";
import { configFor, NEW_VERSION, OLD_VERSION, outcomes, PATCH_SET, rollout, useEmulator, writesOf } from "./harness.ts";

const emulator = useEmulator();

const IMAGE = "Canonical:ubuntu-24_04-lts:server";
const NEWER = "24.04.202502010";

describe("image-version the region does not offer", () => {
  it.each([
    { run: "a rollout", dryRun: false },
    { run: "a dry run", dryRun: true },
  ])("$run is refused before any write, naming the newest versions there", async ({ dryRun }) => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [OLD_VERSION, NEWER] },
    });
    const { record } = await rollout(configFor(emu, { rollout: { dryRun } }));
    expect(emu.writes()).toEqual([]);
    expect(record.result).toBe("failed");
    expect(record.modelUpdated).toBe(false);
    expect(record.reason).toBe(
      `image-version '${NEW_VERSION}' does not exist: Azure offers no such version of ${IMAGE} in westeurope; its newest there: ${NEWER}, ${OLD_VERSION}. Nothing was written.`,
    );
  });

  it("a region that lists no version of the image at all: the check is left to the model write, which Azure refuses", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }], platformImages: { [IMAGE]: [] } });
    const { record, log } = await rollout(configFor(emu));
    expect(log.text()).toContain(`Azure lists no version of ${IMAGE} in westeurope, which the scale set runs`);
    expect(record.result).toBe("failed");
    expect(record.modelUpdated).toBe(false);
    expect(record.reason).toContain("PlatformImageNotFound");
  });

  it("a version the region offers is rolled out", async () => {
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [OLD_VERSION, NEW_VERSION] },
    });
    const { record } = await rollout(configFor(emu));
    expect(record.result).toBe("succeeded");
    expect(writesOf(emu)[0]).toBe(PATCH_SET);
    expect(emu.requests.filter((r) => r.operation === "VirtualMachineImages.Get")).toHaveLength(1);
  });

  it("a lookup Azure refuses (no right to read the catalog) leaves the check to the model write", async () => {
    const emu = await emulator({ scaleSets: [{ name: "vmss1", instances: 2 }] });
    emu.faults.authorizationFailed({ operation: "VirtualMachineImages.Get" });
    const { record, log } = await rollout(configFor(emu));
    expect(record.result).toBe("succeeded");
    expect(outcomes(record)).toEqual({ updated: ["0", "1"] });
    expect(log.text()).toContain(`Could not check that ${IMAGE} has version '${NEW_VERSION}' in westeurope`);
  });

  it("rollback: true to a version no longer offered is refused before any write", async () => {
    // The rollout's own version is offered; the one before it is not (any more).
    const emu = await emulator({
      scaleSets: [{ name: "vmss1", instances: 2 }],
      platformImages: { [IMAGE]: [NEW_VERSION] },
    });
    const forward = await rollout(configFor(emu));
    expect(forward.record.result).toBe("succeeded");
    const writes = emu.writes().length;
    const { record } = await rollout({ ...configFor(emu, { change: {} }), rollback: true });
    expect(emu.writes()).toHaveLength(writes);
    expect(record.result).toBe("failed");
    expect(record.reason).toBe(
      `The image version the rollback would put back, '${OLD_VERSION}', is no longer offered: Azure offers no such version of ${IMAGE} in westeurope; its newest there: ${NEW_VERSION}. Nothing was written.`,
    );
  });
});
