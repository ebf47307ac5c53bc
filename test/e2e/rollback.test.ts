// Issue 16 acceptance (the record and rollback): a rollout to version B leaves a record on the scale set's tags; a later
// run with only `rollback: true` brings the model and every instance back to version A through the same batches and
// gates, says so in `result` and the summary, and links the run that made the change. Refusals (no record, change
// inputs with rollback, a change that cannot be undone, a model another writer changed since) write nothing.
// The rollouts and rollbacks run over every orchestration mode (Flexible VMs named `<set>_<8 hex>`, listed through the
// standalone VM list); the refusals are Uniform-only: they are decided from the record and the model, before any
// instance is read, the same whatever the mode.
import { describe, expect, it } from "vitest";
import type { Emulator } from "../../emulator/types.ts";
import { decodeRecord, encodeRecord, type RolloutTagRecord } from "../../src/domain/rollout-tags.ts";
import { errorLines, readable, runAction } from "./harness.ts";
import {
  emulator,
  expectExit,
  expectNoSecrets,
  FAST,
  instanceIds,
  manualUpgrades,
  ORCHESTRATIONS,
  record,
  requestLog,
  sortedIds,
} from "./fixtures.ts";

const A = "24.04.202409120"; // the emulator's default image version
const B = "24.04.202502210";
const SET = "vmss-web";
const FIRST_RUN = "https://github.com/octo/app/actions/runs/1234567890/attempts/1";
const ROLLBACK_RUN_ENV = { GITHUB_RUN_ID: "1234567899" };

type Json = Record<string, any>;

function imageVersion(emu: Emulator): string {
  return (emu.state(SET).model["properties"] as Json)["virtualMachineProfile"]["storageProfile"]["imageReference"][
    "version"
  ] as string;
}

function tags(emu: Emulator): Record<string, string> {
  return (emu.state(SET).model["tags"] ?? {}) as Record<string, string>;
}

function instanceVersions(emu: Emulator): string[] {
  return emu.state(SET).instances.map((i) => String(i.imageReference["exactVersion"] ?? i.imageReference["version"]));
}

/** A run with only `rollback: true` (batches of two): it ends `reverted`, the model and all four instances on A. */
async function rollBackToA(emu: Emulator): Promise<Awaited<ReturnType<typeof runAction>>> {
  const rollback = await runAction({
    emu,
    scaleSet: SET,
    inputs: { ...FAST, "image-version": undefined, rollback: "true", "batch-size": "2" },
    env: ROLLBACK_RUN_ENV,
  });
  expectExit(rollback, 0);
  expect(rollback.outputs["result"]).toBe("reverted");
  expect(imageVersion(emu)).toBe(A);
  expect(emu.state(SET).instances.every((i) => i.latestModelApplied)).toBe(true);
  expect(instanceVersions(emu)).toEqual([A, A, A, A]);
  return rollback;
}

function seededRecord(record: RolloutTagRecord): Record<string, string> {
  const encoded = encodeRecord(record);
  if (!encoded.ok) throw new Error(encoded.reason);
  return { ...encoded.tags };
}

describe.each(ORCHESTRATIONS)(
  "rollback: true undoes the last change from the record on the scale set ($mode)",
  ({ seed }) => {
    it("a rollout to B, then a run with only rollback: true: the model and every instance on A, in batches", async () => {
      const emu = await emulator({ scaleSets: [{ name: SET, instances: 4, tags: { owner: "ops" }, ...seed }] });
      const rollout = await runAction({
        emu,
        scaleSet: SET,
        inputs: { ...FAST, "image-version": B, "batch-size": "2" },
      });
      expectExit(rollout, 0);
      expect(imageVersion(emu)).toBe(B);

      // The record: the previous and the current value, the run, the outcome; the user's own tag kept.
      expect(tags(emu)["owner"]).toBe("ops");
      const written = decodeRecord(tags(emu));
      expect(written).toMatchObject({
        kind: "record",
        record: {
          outcome: "succeeded",
          run: { repository: "octo/app", runId: "1234567890", attempt: "1", url: FIRST_RUN },
          changes: [{ property: "image-version", before: A, after: B }],
        },
      });
      // Every summary offers the one-line way back.
      expect(rollout.summary).toContain("rollback: true");
      expect(record(rollout).scaleSetRecord).toEqual({ written: true, undoable: true });

      const upgradesBefore = manualUpgrades(emu).length;
      const rollback = await rollBackToA(emu);

      // The same batches and gates as a rollout: two batches of two, each a manualupgrade.
      const upgrades = manualUpgrades(emu).slice(upgradesBefore);
      expect(upgrades, requestLog(emu)).toHaveLength(2);
      const rolled = record(rollback);
      expect(rolled.batches.map((b) => b.instanceIds.length)).toEqual([2, 2]);
      expect(sortedIds(rolled.instances.filter((i) => i.outcome === "updated").map((i) => i.instanceId))).toEqual(
        instanceIds(emu, SET),
      );
      expect(rolled.changes).toEqual([{ property: "storageProfile.imageReference.version", before: B, after: A }]);
      expect(rolled.rollbackOf).toMatchObject({
        run: { url: FIRST_RUN },
        outcome: "succeeded",
        changes: [{ before: A, after: B }],
        finishing: false,
      });

      // What a person reads: it was a rollback, to what, and the run that made the change.
      const text = readable(rollback.summary);
      expect(text).toMatch(/Rollback succeeded/);
      expect(text).toContain(`${B} → ${A}`);
      expect(rollback.summary).toContain(FIRST_RUN);
      expect(errorLines(rollback.stdout)).toEqual([]);
      expectNoSecrets(rollback, emu);

      // The rollback's own record: a rollback of the first run's change.
      expect(decodeRecord(tags(emu))).toMatchObject({
        kind: "record",
        record: {
          outcome: "reverted",
          run: { runId: "1234567899" },
          changes: [{ property: "image-version", before: B, after: A }],
          rollbackOf: { run: { runId: "1234567890" } },
        },
      });

      // rollback: true again never brings B back: the rollback is finished already, nothing to do.
      const again = await runAction({
        emu,
        scaleSet: SET,
        inputs: { ...FAST, "image-version": undefined, rollback: "true" },
      });
      expectExit(again, 0);
      expect(again.outputs["result"]).toBe("unchanged");
      expect(imageVersion(emu)).toBe(A);
    });
  },
);

describe.each(ORCHESTRATIONS)("the record's outcome, also when the rollout fails ($mode)", ({ seed }) => {
  it("a failed rollout records `failed`; rollback: true then brings everything back and says how that run ended", async () => {
    const emu = await emulator({ scaleSets: [{ name: SET, instances: 4, ...seed }] });
    emu.faults.failUpgrade(instanceIds(emu, SET)[3] ?? "", { scaleSet: SET });
    const rollout = await runAction({
      emu,
      scaleSet: SET,
      inputs: { ...FAST, "image-version": B, "batch-size": "2", "max-unhealthy": "100%" },
    });
    expectExit(rollout, 1);
    expect(rollout.outputs["result"]).toBe("failed");
    expect(decodeRecord(tags(emu))).toMatchObject({
      kind: "record",
      record: { outcome: "failed", changes: [{ property: "image-version", before: A, after: B }] },
    });

    const rollback = await rollBackToA(emu);
    expect(readable(rollback.summary)).toContain("it ended failed");
  });
});

describe("rollback: true refused before anything is written", () => {
  const OTHER_WRITER: RolloutTagRecord = {
    at: "2026-12-04T00:00:00.000Z",
    run: { repository: "octo/app", runId: "78" },
    outcome: "succeeded",
    // The record says run 78 wrote B; the model holds A: someone changed it since.
    changes: [{ property: "image-version", before: "24.04.202401010", after: B }],
  };
  it.each([
    { name: "no record on the scale set", seedTags: { owner: "ops" }, inputs: {}, why: /found no rollout record/ },
    {
      name: "a damaged record",
      seedTags: { "vmss-rollout.record.1": "{}" },
      inputs: {},
      why: /cannot use the rollout record.*partial/,
    },
    {
      name: "a model another writer changed since",
      seedTags: seededRecord(OTHER_WRITER),
      inputs: {},
      why: new RegExp(`no longer holds what workflow run 78 of octo/app.*version is ${A}, not ${B}.*Another writer`),
    },
    {
      name: "change inputs given with rollback",
      seedTags: seededRecord(OTHER_WRITER),
      inputs: { "image-version": B, "force-update-tag": "x", "extension-name": "customScript" },
      why: /Input 'rollback': cannot be combined with image-version, extension-name, force-update-tag/,
    },
  ])("$name", async ({ seedTags, inputs, why }) => {
    const emu = await emulator({ scaleSets: [{ name: SET, instances: 2, tags: seedTags }] });
    const result = await runAction({
      emu,
      scaleSet: SET,
      inputs: { ...FAST, "image-version": undefined, rollback: "true", ...inputs },
    });
    expectExit(result, 1);
    expect(errorLines(result.stdout).join("\n")).toMatch(why);
    expect(emu.writes(), requestLog(emu)).toEqual([]);
    expect(tags(emu)).toEqual(seedTags);
    expect(imageVersion(emu)).toBe(A);
  });

  it("a record of a change that cannot be undone: a forceUpdateTag where the extension had none", async () => {
    const emu = await emulator({ scaleSets: [{ name: SET, instances: 2 }] });
    const rollout = await runAction({
      emu,
      scaleSet: SET,
      inputs: { ...FAST, "image-version": undefined, "extension-name": "customScript", "force-update-tag": "rerun-1" },
    });
    expectExit(rollout, 0);
    // Its summary says why rollback: true cannot undo it, and offers no way that cannot work.
    expect(record(rollout).scaleSetRecord).toMatchObject({ written: true, undoable: false });
    const writes = emu.writes().length;
    const tagsBefore = tags(emu);

    const rollback = await runAction({
      emu,
      scaleSet: SET,
      inputs: { ...FAST, "image-version": undefined, rollback: "true" },
    });
    expectExit(rollback, 1);
    expect(errorLines(rollback.stdout).join("\n")).toMatch(
      /cannot be undone from the record: .*forceUpdateTag: extension 'customScript' had no forceUpdateTag before/,
    );
    expect(emu.writes().slice(writes), requestLog(emu)).toEqual([]);
    expect(tags(emu)).toEqual(tagsBefore);
  });
});
