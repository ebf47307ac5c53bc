// The summary and annotations say what is true of each instance in endings where an easy reading would be wrong:
// protected instances already on the model, VMs with a profile of their own, a scale set deleted during a re-run, a
// dry run where Azure would roll the change itself.
import { describe, expect, it } from "vitest";
import { annotationsFor } from "../../../src/report/annotations.ts";
import { rollbackInputs } from "../../../src/report/rollback.ts";
import { headline } from "../../../src/report/headline.ts";
import { renderSummary } from "../../../src/report/summary.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { dryRun, instance, range, success, TAG_CHANGE, unchanged } from "./fixtures.ts";

/** A re-run whose model already held the change: nothing written, instances brought onto it. */
function resumed(fields: Partial<RolloutRecord> = {}): RolloutRecord {
  return { ...success(), changes: [], modelUpdated: false, ...fields };
}

describe("endings the summary must not misread", () => {
  it.each([
    {
      name: "a protected instance already on the model keeps no old model (re-run)",
      record: resumed({
        instances: [instance(0, "updated"), instance(1, "skipped-protected", { latestModelAfter: true })],
      }),
      absent: [/keeps? (its|their|the) old model/],
      present: ["Every instance runs the new model"],
    },
    {
      name: "a protected instance behind the model is still named",
      record: resumed({ instances: [instance(0, "updated"), instance(1, "skipped-protected")] }),
      absent: [],
      present: [/Protected instance.*1.*keeps its old model/],
    },
    {
      name: "VMs with a profile of their own are not called on the new model",
      record: { ...success(), instances: [instance(0, "updated"), instance(1, "skipped-own-model")] },
      absent: ["Every instance runs the new model"],
      present: ["the VMs with a profile of their own are not on it"],
    },
    {
      name: "unchanged, with a VM of its own",
      record: { ...unchanged(), instances: [instance(0, "already-current"), instance(1, "skipped-own-model")] },
      absent: ["the scale set and its instances already hold"],
      present: ["the VMs with a profile of their own are not on the model"],
    },
    {
      name: "a scale set deleted during a re-run is not 'as it was'",
      record: resumed({ result: "failed", reason: "Deleted.", scaleSetDeleted: true, instances: [], batches: [] }),
      absent: ["Nothing was written to Azure", "as they were"],
      present: ["the scale set was deleted during the run", "The scale set no longer exists"],
    },
    {
      name: "a dry run in Rolling mode plans no batches: Azure would roll",
      record: { ...dryRun(), upgradeMode: "Rolling" as const, batches: [] },
      absent: ["0 batches", "with this plan"],
      present: ["Azure would roll 20 of 20 instances (Rolling upgrade mode)", "Azure then rolls it out itself"],
    },
    {
      name: "a dry run in Manual mode names its batches",
      record: dryRun(),
      absent: [],
      present: ["would upgrade 20 of 20 instances in 4 batches", "with this plan"],
    },
  ])("$name", ({ record, absent, present }) => {
    const text = [
      headline(record),
      renderSummary(record),
      ...annotationsFor(record).map((a) => `${a.title ?? ""} ${a.message}`),
    ].join("\n");
    for (const p of present) expect(text).toMatch(p);
    for (const a of absent) expect(text).not.toMatch(a);
  });

  it("the protected-instance warning names only those behind the model", () => {
    const record = resumed({
      instances: [
        ...range(0, 3).map((i) => instance(i, "updated")),
        instance(3, "skipped-protected", { latestModelAfter: true }),
        instance(4, "skipped-protected"),
      ],
    });
    const warnings = annotationsFor(record).filter((a) => a.level === "warning");
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^Instance 4 keeps the old model/)]);
  });
});

describe("why no rollback was done, and the way back offered", () => {
  const NO_ROLLBACK =
    "No rollback was done: the model's image is now 9.9.9, so another writer changed it since this run's write; the rollback does not overwrite that change. The instances upgraded by this run stay as they are.";
  const failedWith = (fields: Partial<RolloutRecord>): RolloutRecord => ({ ...success(), result: "failed", ...fields });

  it("is a line of its own, whole, however long the reason before it", () => {
    const long = `${"Instance 3 failed: Enable failed: a long extension error. ".repeat(40)}`;
    const summary = renderSummary(
      failedWith({ reason: `${long} ${NO_ROLLBACK}`, noRollback: { reason: NO_ROLLBACK, otherWriter: true } }),
    );
    // Whole (inline() writes the apostrophes as entities).
    expect(summary).toMatch(
      /> \*\*No rollback:\*\* No rollback was done: the model.{1,6}s image is now 9\.9\.9.*stay as they are\./,
    );
    // And the inputs offered say they would overwrite that writer's change.
    expect(summary).toMatch(/Another writer changed the model since this run's write.*would overwrite that change/);
  });

  it.each([
    {
      name: "a forceUpdateTag that had no value: nothing to offer, not a bare extension-name",
      changes: [{ ...TAG_CHANGE, before: "(none)" }],
      extension: { name: "customScript", fileUris: ["https://a/install-1.0.sh"] },
      expected: [],
    },
    {
      name: "a forceUpdateTag change: only the tag, not the unchanged file URIs",
      changes: [TAG_CHANGE],
      extension: { name: "customScript", fileUris: ["https://a/install-1.0.sh"], forceUpdateTag: "v41" },
      expected: [
        { input: "extension-name", value: "customScript" },
        { input: "force-update-tag", value: "v41" },
      ],
    },
  ])("rollback inputs: $name", ({ changes, extension, expected }) => {
    const record: RolloutRecord = {
      ...success(),
      changes,
      previousModel: { imageReference: { version: "1.0.0" }, extension },
    };
    expect(rollbackInputs(record)).toEqual(expected);
  });

  const IMAGE_CHANGE = { property: "storageProfile.imageReference.version", before: "1.0.0", after: "2.0.0" };
  const GALLERY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app";
  it.each([
    {
      name: "a fixed version: offered",
      image: { version: "1.0.0" },
      expected: [{ input: "image-version", value: "1.0.0" }],
    },
    // Azure resolves `latest` (a gallery image without a version) to the newest version: maybe the one rolled out. The
    // run's record says so (imageNotRestorable, from the change planned), and nothing is offered.
    { name: "version latest: no way back", image: { version: "latest" }, notRestorable: "latest", expected: [] },
    {
      name: "a gallery image without a version: no way back",
      image: { id: GALLERY },
      notRestorable: "newest",
      expected: [],
    },
    // Without the mark (another gallery image's newest is not this run's; a rollback run going forward again): offered.
    {
      name: "a gallery image without a version, not marked: offered",
      image: { id: GALLERY },
      expected: [{ input: "image-id", value: GALLERY }],
    },
    {
      name: "version latest, not marked",
      image: { version: "latest" },
      expected: [{ input: "image-version", value: "latest" }],
    },
    // One Azure would refuse now (deprecated): nothing, not even the extension's values alone.
    {
      name: "a fixed version Azure would refuse, next to an extension change",
      image: { version: "1.0.0" },
      notRestorable: "deprecated",
      extension: { name: "customScript", forceUpdateTag: "v41" },
      expected: [],
    },
    {
      name: "a gallery image version: offered",
      image: { id: `${GALLERY}/versions/1.0.0` },
      expected: [{ input: "image-id", value: `${GALLERY}/versions/1.0.0` }],
    },
    {
      name: "a managed image: offered",
      image: { id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/app-1" },
      expected: [
        { input: "image-id", value: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/app-1" },
      ],
    },
  ])("rollback inputs for the image: $name", ({ image, expected, ...rest }) => {
    const { notRestorable, extension } = rest as {
      notRestorable?: string;
      extension?: { name: string; forceUpdateTag: string };
    };
    const record: RolloutRecord = {
      ...success(),
      changes: extension ? [IMAGE_CHANGE, TAG_CHANGE] : [IMAGE_CHANGE],
      previousModel: { imageReference: image, ...(extension && { extension }) },
      ...(notRestorable !== undefined && { imageNotRestorable: notRestorable }),
    };
    expect(rollbackInputs(record)).toEqual(expected);
  });
});

describe("a rollback that put the model back but did not bring every instance back", () => {
  it("does not call the instances left over 'on the new model', and counts them", () => {
    const record: RolloutRecord = {
      ...success(),
      result: "failed",
      reason: "Stopped.",
      instances: [
        ...range(0, 2).map((i) => instance(i, "rolled-back")),
        ...range(2, 6).map((i) => instance(i, "updated")),
      ],
      rollback: { succeeded: false, instanceIds: ["0", "1"], notBack: ["2", "3", "4", "5"], model: "restored" },
    };
    expect(headline(record)).toBe(
      "Rollout failed: 4/6 instances on the rolled-out model, 2 rolled back; the rollback failed, 4 instances not brought back",
    );
    const summary = renderSummary(record);
    expect(summary).toContain("not brought back (4): 2–5");
    expect(summary).toContain("66% · 4/6 instances on the rolled-out model");
  });
});
