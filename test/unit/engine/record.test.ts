import { describe, expect, it } from "vitest";
import {
  buildRecord,
  describeAll,
  describeTarget,
  failureReason,
  imageLabel,
  instanceRecords,
  rolloutReason,
  stateSummary,
  type RolloutState,
} from "../../../src/engine/record.ts";
import { parseConfig } from "../../../src/config/inputs.ts";
import { renderSummary } from "../../../src/report/index.ts";
import type { ModelChange } from "../../../src/domain/change.ts";
import type { InstanceState, ScaleSetModel } from "../../../src/domain/scale-set.ts";
import type { Assessment } from "../../../src/domain/verdict.ts";

const T0 = Date.parse("2025-11-26T12:00:00.000Z");

const SUB = "11111111-2222-3333-4444-555555555555";
const INPUTS: Readonly<Record<string, string>> = {
  "subscription-id": SUB,
  "resource-group": "rg",
  "scale-set": "vmss1",
  "image-version": "2.0.0",
};
const config = parseConfig((name) => INPUTS[name] ?? "", {});

const model: ScaleSetModel = {
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1`,
  name: "vmss1",
  orchestrationMode: "Uniform",
  upgradeMode: "Manual",
  imageReference: { publisher: "p", offer: "o", sku: "s", version: "1.0.0" },
  extensions: [],
  hasHealthSignal: true,
};

const change: ModelChange = {
  ok: true,
  scaleSetPatch: { imageReference: { version: "2.0.0" } },
  changes: [{ property: "storageProfile.imageReference.version", before: "1.0.0", after: "2.0.0" }],
  previousModel: { imageReference: model.imageReference },
  rollback: { scaleSetPatch: { imageReference: { version: "1.0.0" } } },
};

function instance(instanceId: string, fields: Partial<InstanceState> = {}): InstanceState {
  return {
    instanceId,
    name: `vmss1_${instanceId}`,
    latestModelApplied: true,
    protectedFromScaleSetActions: false,
    provisioningState: "Succeeded",
    powerState: "running",
    health: "healthy",
    imageReference: { version: "2.0.0", exactVersion: "2.0.0" },
    ...fields,
  };
}

function state(fields: Partial<RolloutState> = {}): RolloutState {
  return {
    config,
    startedAt: T0,
    model,
    change,
    modelUpdated: true,
    written: { image: true, extension: false },
    rolling: undefined,
    instances: new Map(),
    before: new Map(),
    protected: new Set(),
    targets: new Set(),
    removed: new Set(),
    started: new Set(),
    notReached: new Set(),
    assessments: new Map(),
    batchOf: new Map(),
    names: new Map(),
    listedAt: T0,
    wroteAt: Number.NEGATIVE_INFINITY,
    unseen: new Set(),
    deleted: false,
    previousModel: undefined,
    batches: [],
    rolledBack: new Set(),
    sentBackNotBack: new Set(),
    rollback: undefined,
    noRollback: undefined,
    stop: undefined,
    ...fields,
  };
}

/** Instances 0-2 targeted and started in batch 1; 0 and 1 done, 2 failed; 3 already current. */
function mixed(fields: Partial<RolloutState> = {}): RolloutState {
  const error = {
    code: "VMExtensionProvisioningError",
    message: "exit 1 on https://a.blob.core.windows.net/c/x.sh?sig=SECRET",
  };
  return state({
    instances: new Map([
      ["0", instance("0")],
      ["1", instance("1")],
      ["2", instance("2", { provisioningState: "Failed", health: "unhealthy", error })],
      ["3", instance("3")],
    ]),
    before: new Map([
      ["0", false],
      ["1", false],
      ["2", false],
      ["3", true],
    ]),
    targets: new Set(["0", "1", "2"]),
    started: new Set(["0", "1", "2"]),
    assessments: new Map([
      ["0", { kind: "done" }],
      ["1", { kind: "done" }],
      ["2", { kind: "failed", error }],
    ]),
    batchOf: new Map([
      ["0", 1],
      ["1", 1],
      ["2", 1],
    ]),
    batches: [{ index: 1, canary: false, instanceIds: ["0", "1", "2"], result: "failed" }],
    ...fields,
  });
}

describe("instanceRecords", () => {
  it("gives every listed or targeted instance its outcome, in instance-ID order, errors redacted", () => {
    const records = instanceRecords(mixed({ targets: new Set(["0", "1", "2", "10"]), removed: new Set(["10"]) }));
    expect(records.map((r) => [r.instanceId, r.outcome])).toEqual([
      ["0", "updated"],
      ["1", "updated"],
      ["2", "failed"],
      ["3", "already-current"],
      ["10", "removed"],
    ]);
    expect(records[0]).toEqual({
      instanceId: "0",
      name: "vmss1_0",
      latestModelBefore: false,
      latestModelAfter: true,
      outcome: "updated",
      batch: 1,
      provisioningState: "Succeeded",
      powerState: "running",
      health: "healthy",
      image: "2.0.0",
    });
    expect(records[2]?.error?.message).toBe("exit 1 on https://a.blob.core.windows.net/c/x.sh?[query removed]");
    expect(records[4]).toEqual({
      instanceId: "10",
      name: "10",
      latestModelBefore: false,
      latestModelAfter: false,
      outcome: "removed",
    });
  });

  // A report review (2026-12-06): an instance that left the scale set lost the name its row showed before.
  it("an instance that left the scale set keeps the name an earlier listing gave it", () => {
    const records = instanceRecords(
      mixed({ targets: new Set(["0", "10"]), removed: new Set(["10"]), names: new Map([["10", "vmss1_10"]]) }),
    );
    expect(records.find((r) => r.instanceId === "10")).toMatchObject({ name: "vmss1_10", outcome: "removed" });
  });

  it("takes the error of a failed assessment when the instance shows none", () => {
    const [record] = instanceRecords(
      state({
        instances: new Map([["0", instance("0", { latestModelApplied: false })]]),
        targets: new Set(["0"]),
        started: new Set(["0"]),
        assessments: new Map([["0", { kind: "failed", error: { code: "OperationFailed", message: "boom" } }]]),
      }),
    );
    expect(record?.error).toEqual({ code: "OperationFailed", message: "boom" });
  });
});

describe("failureReason", () => {
  it("is undefined when nothing stopped the run and every instance made it", () => {
    expect(
      failureReason(
        mixed({
          assessments: new Map([
            ["0", { kind: "done" }],
            ["1", { kind: "done" }],
            ["2", { kind: "done" }],
          ]),
        }),
      ),
    ).toBeUndefined();
  });

  it.each([
    { name: "found after the last listing", otherWriter: { kind: "extension", name: "agent", beyond: true } as const },
    { name: "found, then taken back, after the last listing", otherWriter: undefined },
  ])("another writer's change $name, with every instance done on it: the run is not a success", ({ otherWriter }) => {
    const done = { assessments: new Map([["0", { kind: "done" } as const]]) };
    const s = state({
      instances: new Map([["0", instance("0")]]),
      targets: new Set(["0"]),
      started: new Set(["0"]),
      ...done,
      otherWriter,
      movedSinceListing: true,
    });
    expect(failureReason(s)).toMatch(
      /^The scale set's model was changed by another writer after the instances were last listed \(.+\), so whether they run this run's model is not known/,
    );
    if (otherWriter !== undefined) expect(failureReason(s)).toContain("extension 'agent' changed");
    expect(buildRecord(s, failureReason(s), T0).result).toBe("failed");
    // Listed since: judged on that listing.
    expect(failureReason({ ...s, movedSinceListing: false })).toBeUndefined();
  });

  it("leads with another writer's change when it moved instances, and tells them from those that failed on their own", () => {
    // 0 runs this run's model, left behind by the change; 1 failed on its own; 2 is done. Before, the reason opened
    // on "2 of 3 instance(s) did not end on the new model and healthy" (a fuzz run, 2026-12-07).
    const health = { name: "health", settings: { port: 80 } };
    const s = state({
      instances: new Map([
        ["0", instance("0", { latestModelApplied: false, extensions: [health] })],
        ["1", instance("1", { provisioningState: "Failed" })],
        ["2", instance("2")],
      ]),
      targets: new Set(["0", "1", "2"]),
      started: new Set(["0", "1", "2"]),
      expectedImage: { imageVersion: "2.0.0" },
      expectedExtensions: [health],
      assessments: new Map<string, Assessment>([
        ["0", { kind: "pending", waitingFor: "the new model" }],
        ["1", { kind: "failed" }],
        ["2", { kind: "done" }],
      ]),
      otherWriter: { kind: "extension", name: "agent", beyond: true },
    });
    const reason = failureReason(s) ?? "";
    expect(reason).toMatch(
      /^The scale set's model was changed by another writer during the run \(extension 'agent' changed[^)]*\)\. 1 instance\(s\) upgraded before that change run this run's model but are no longer on the latest model: 0\. 1 instance\(s\) did not end on the new model and healthy on their own account: 1 \(vmss1_1\): provisioning Failed/,
    );
    expect(reason).toContain("In all 2 of 3 instance(s) are not on this run's model or not healthy.");
    // Without another writer's change found, the plain count.
    expect(failureReason({ ...s, otherWriter: undefined })).toMatch(
      /^2 of 3 instance\(s\) did not end on the new model/,
    );
  });

  it("counts a target still there that was never sent, in a run that went through every batch", () => {
    // A listing missed it when its batch was sent, and the last one shows it again, on the old model.
    const s = state({
      instances: new Map([
        ["0", instance("0")],
        ["1", instance("1", { latestModelApplied: false, imageReference: { version: "1.0.0" } })],
      ]),
      targets: new Set(["0", "1"]),
      started: new Set(["0"]),
      assessments: new Map([["0", { kind: "done" }]]),
    });
    expect(failureReason(s)).toMatch(/^1 of 2 instance\(s\) did not end on the new model and healthy: 1 \(vmss1_1\)/);
    expect(buildRecord(s, failureReason(s), T0).result).toBe("failed");
  });

  it("does not count a target never sent that is on the new model all the same (another writer upgraded it)", () => {
    const s = state({
      instances: new Map([
        ["0", instance("0")],
        ["1", instance("1")],
      ]),
      targets: new Set(["0", "1"]),
      started: new Set(["0"]),
      assessments: new Map([["0", { kind: "done" }]]),
    });
    expect(failureReason(s)).toBeUndefined();
  });

  it("counts a target never sent that is on the new model but unhealthy there", () => {
    const s = state({
      instances: new Map([
        ["0", instance("0")],
        ["1", instance("1", { health: "unhealthy" })],
      ]),
      targets: new Set(["0", "1"]),
      started: new Set(["0"]),
      assessments: new Map([["0", { kind: "done" }]]),
    });
    expect(failureReason(s)).toMatch(/^1 of 2 instance\(s\) did not end on the new model and healthy/);
  });

  it("counts the instances that did not make it, of every instance judged (the targets and the ones already current)", () => {
    expect(failureReason(mixed())).toMatch(
      /^1 of 4 instance\(s\) did not end on the new model and healthy: 2 \(vmss1_2\): provisioning Failed/,
    );
  });

  it("is the stop's reason for a failure, with the instances' states for a timeout or cancel", () => {
    expect(failureReason(mixed({ stop: { kind: "failed", reason: "Stopped after batch 1 of 1." } }))).toBe(
      "Stopped after batch 1 of 1.",
    );
    const timeout = failureReason(mixed({ stop: { kind: "timeout", reason: "Timed out." } }));
    expect(timeout).toMatch(/^Timed out\. Updated: 0, 1\. Not on the new model or unhealthy: 2 \(vmss1_2\)/);
    expect(failureReason(mixed({ stop: { kind: "timeout", reason: "Timed out." }, model: undefined }))).toBe(
      "Timed out.",
    );
  });
});

describe("instanceRecords: instances the run did not target, and instances a failed rollback sent back", () => {
  const failedHere: Partial<InstanceState> = { provisioningState: "Failed" };
  const unhealthyHere: Partial<InstanceState> = { health: "unhealthy" };
  const dryRun = { ...config, rollout: { ...config.rollout, dryRun: true } };
  const healthOff = { ...config, rollout: { ...config.rollout, health: "off" as const } };
  it.each<{ name: string; fields: Partial<InstanceState>; st?: Partial<RolloutState>; outcome: string }>([
    { name: "current and fine", fields: {}, outcome: "already-current" },
    { name: "current, provisioning failed", fields: failedHere, outcome: "failed" },
    { name: "current, unhealthy since the plan", fields: unhealthyHere, outcome: "unhealthy" },
    {
      name: "current, unhealthy, created during the run (not in the plan's listing)",
      fields: unhealthyHere,
      st: { before: new Map() },
      outcome: "already-current",
    },
    {
      name: "current, unhealthy, deallocated",
      fields: { ...unhealthyHere, powerState: "deallocated" },
      outcome: "already-current",
    },
    {
      name: "current, unhealthy, health: off",
      fields: unhealthyHere,
      st: { config: healthOff },
      outcome: "already-current",
    },
    { name: "current, failed, in a dry run", fields: failedHere, st: { config: dryRun }, outcome: "already-current" },
    // Provisioning Failed is a fact of the listing, said by a run that stopped too (an audit, 2026-12-07: it was
    // "already current", counted on the new model); health is judged only by a run that went through.
    {
      name: "current, failed, in a run that stopped",
      fields: failedHere,
      st: { stop: { kind: "failed", reason: "Stopped." } },
      outcome: "failed",
    },
    {
      name: "current, unhealthy since the plan, in a run that stopped",
      fields: unhealthyHere,
      st: { stop: { kind: "failed", reason: "Stopped." } },
      outcome: "already-current",
    },
  ])("$name: $outcome", ({ fields, st, outcome }) => {
    const s = state({ instances: new Map([["0", instance("0", fields)]]), before: new Map([["0", true]]), ...st });
    expect(instanceRecords(s).map((r) => r.outcome)).toEqual([outcome]);
  });

  it.each<{ name: string; fields: Partial<InstanceState>; forward: "done" | "unhealthy"; outcome: string }>([
    { name: "its way back failed", fields: failedHere, forward: "done", outcome: "failed" },
    { name: "still on its way back", fields: { provisioningState: "Updating" }, forward: "done", outcome: "straggler" },
    { name: "not reached (the rollback's request refused)", fields: {}, forward: "done", outcome: "updated" },
    { name: "unhealthy on the way there already", fields: failedHere, forward: "unhealthy", outcome: "unhealthy" },
  ])("sent back, not back, $name: $outcome", ({ fields, forward, outcome }) => {
    const s = state({
      instances: new Map([["0", instance("0", fields)]]),
      before: new Map([["0", false]]),
      targets: new Set(["0"]),
      started: new Set(["0"]),
      assessments: new Map([["0", forward === "done" ? { kind: "done" } : { kind: "unhealthy", detail: "x" }]]),
      sentBackNotBack: new Set(["0"]),
    });
    expect(instanceRecords(s).map((r) => r.outcome)).toEqual([outcome]);
  });
});

describe("stateSummary", () => {
  it("lists updated, failed, not started and removed instances", () => {
    const s = mixed({ targets: new Set(["0", "1", "2", "4", "5"]), removed: new Set(["5"]) });
    expect(stateSummary(s, instanceRecords(s))).toMatch(
      /^Updated: 0, 1\. Not on the new model or unhealthy: 2 .*\. Not started: 4\. Left the scale set: 5\.$/,
    );
    expect(stateSummary(state(), [])).toBe("No instance was updated.");
  });
});

describe("rolloutReason", () => {
  it("is undefined for succeeded and unchanged runs", () => {
    expect(rolloutReason(mixed(), "succeeded", undefined)).toBeUndefined();
    expect(rolloutReason(mixed(), "unchanged", undefined)).toBeUndefined();
  });

  it("sums up a dry run", () => {
    expect(rolloutReason(mixed(), "planned", undefined)).toBe(
      "Dry run: 1 model change(s) and 3 instance(s) to upgrade in 1 batch(es); nothing was written.",
    );
    expect(rolloutReason(state({ change: undefined }), "planned", undefined)).toBe(
      "Dry run: 0 model change(s) and 0 instance(s) to upgrade; nothing was written.",
    );
  });

  it.each([
    {
      name: "the rollback's error says another writer changed the model: said once",
      error:
        "the model's image is now X, not the previous one the rollback put back: another writer changed it during the rollback, so the instances may run that writer's model; the rollback does not overwrite that change",
      repeated: false,
    },
    {
      name: "an error that does not say it (a write cut off, then a read showed the change): the model's sentence says it",
      error: "the extension PATCH got no answer",
      repeated: true,
    },
  ])("a rollback failed by another writer's change: $name", ({ error, repeated }) => {
    // A fuzz seed (2026-12-07): the reason said the change twice, once in the error and once in the model's sentence.
    const reason = rolloutReason(
      mixed({ rollback: { succeeded: false, instanceIds: [], model: "changed-by-another-writer", error } }),
      "failed",
      "It failed.",
    );
    expect(reason).toBe(
      `It failed. The rollback failed too: ${error}.` +
        (repeated ? " Another writer changed the model during the rollback: check the scale set's model." : ""),
    );
  });

  it("adds what the rollback did, or why there was none", () => {
    expect(
      rolloutReason(
        mixed({ rollback: { succeeded: true, instanceIds: ["0", "1", "2"] } }),
        "rolled-back",
        "It failed.",
      ),
    ).toBe("It failed. Rolled back: the previous model is restored and instances 0-2 run it again.");
    expect(
      rolloutReason(mixed({ rollback: { succeeded: true, instanceIds: ["4"] } }), "rolled-back", "It failed."),
    ).toBe("It failed. Rolled back: the previous model is restored and instance 4 runs it again.");
    expect(rolloutReason(mixed({ rollback: { succeeded: true, instanceIds: [] } }), "rolled-back", "It failed.")).toBe(
      "It failed. Rolled back: the previous model is restored.",
    );
    // An audit (2026-12-06): a forceUpdateTag the extension did not have before stays (a PATCH cannot remove one).
    const tagged: ModelChange = {
      ...change,
      extensionPatch: { name: "customScript", settings: { fileUris: ["https://a/v2.sh"] }, forceUpdateTag: "r2" },
      rollback: {
        ...change.rollback,
        extensionPatch: { name: "customScript", settings: { fileUris: ["https://a/v1.sh"] } },
      },
    };
    const both = { image: true, extension: true };
    expect(
      rolloutReason(
        mixed({ change: tagged, written: both, rollback: { succeeded: true, instanceIds: [] } }),
        "rolled-back",
        "It failed.",
      ),
    ).toBe(
      "It failed. Rolled back: the previous model is restored. Extension 'customScript' keeps this run's " +
        'forceUpdateTag "r2": it had none before, and a PATCH cannot remove one.',
    );
    // The tag restored (it had one), or the extension part not written: nothing more to say.
    for (const [c, written] of [
      [
        { ...tagged, rollback: { ...tagged.rollback, extensionPatch: { name: "customScript", forceUpdateTag: "r1" } } },
        both,
      ],
      [tagged, { image: true, extension: false }],
    ] as const)
      expect(
        rolloutReason(
          mixed({ change: c, written, rollback: { succeeded: true, instanceIds: [] } }),
          "rolled-back",
          "x",
        ),
      ).toBe("x Rolled back: the previous model is restored.");
    expect(
      rolloutReason(
        mixed({ rollback: { succeeded: false, instanceIds: [], error: "409 Conflict" } }),
        "failed",
        "It failed.",
      ),
    ).toBe("It failed. The rollback failed too: 409 Conflict.");
    expect(rolloutReason(mixed({ noRollback: { reason: "No rollback was done." } }), "failed", "It failed.")).toBe(
      "It failed. No rollback was done.",
    );
  });
});

describe("buildRecord", () => {
  it("records a failed run", () => {
    const s = mixed();
    const record = buildRecord(s, failureReason(s), T0 + 90_000);
    expect(record).toMatchObject({
      target: {
        subscriptionId: SUB,
        resourceGroup: "rg",
        scaleSet: "vmss1",
        resourceId: model.id,
        portalUrl: `https://portal.azure.com/#resource${model.id}/overview`,
      },
      cloud: "AzureCloud",
      upgradeMode: "Manual",
      dryRun: false,
      startedAt: "2025-11-26T12:00:00.000Z",
      finishedAt: "2025-11-26T12:01:30.000Z",
      durationMs: 90_000,
      result: "failed",
      changes: change.changes,
      modelUpdated: true,
      previousModel: change.previousModel,
      batches: s.batches,
    });
    expect(record.reason).toContain("https://a.blob.core.windows.net/c/x.sh?[query removed]");
    expect(record.reason).not.toContain("SECRET");
    expect(record.instances).toHaveLength(4);
  });

  it("builds the resource ID from the target when the scale set was never read", () => {
    const record = buildRecord(
      state({
        model: undefined,
        change: undefined,
        modelUpdated: false,
        stop: { kind: "failed", reason: "Not found." },
      }),
      "Not found.",
      T0,
    );
    expect(record.target.resourceId).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1`,
    );
    expect(record).not.toHaveProperty("upgradeMode");
    expect(record).not.toHaveProperty("previousModel");
    expect(record).toMatchObject({ result: "failed", reason: "Not found.", changes: [], modelUpdated: false });
  });

  it.each([
    { written: { image: true, extension: false }, part: "image", rows: ["| yes |", "| no: not written |"] },
    { written: { image: true, extension: true }, part: undefined, rows: [] },
  ])("an image and extension change with $written written: partWritten $part, and the summary says so", (t) => {
    const both: ModelChange = {
      ...change,
      extensionPatch: { name: "cse", forceUpdateTag: "b" },
      changes: [...change.changes, { property: "extensions[cse].forceUpdateTag", before: "a", after: "b" }],
    };
    const record = buildRecord(state({ change: both, written: t.written }), "Stopped.", T0);
    expect(record.partWritten).toBe(t.part);
    const summary = renderSummary(record);
    expect(summary.includes("### The change (partly applied)")).toBe(t.part !== undefined);
    for (const row of t.rows) expect(summary).toContain(row);
  });

  it("says planned for a dry run without failure, unchanged when nothing was to do", () => {
    const dry = state({ config: { ...config, rollout: { ...config.rollout, dryRun: true } }, modelUpdated: false });
    expect(buildRecord(dry, undefined, T0).result).toBe("planned");
    expect(buildRecord(state({ modelUpdated: false }), undefined, T0)).toMatchObject({ result: "unchanged" });
    expect(buildRecord(state({ modelUpdated: false }), undefined, T0)).not.toHaveProperty("reason");
  });

  it("is cancelled or rolled back as the state says, and redacts the rolling and rollback errors", () => {
    const cancelled = mixed({ stop: { kind: "cancelled", reason: "The job was cancelled." } });
    expect(buildRecord(cancelled, failureReason(cancelled), T0).result).toBe("cancelled");
    const secret = "https://a.blob.core.windows.net/c/x.sh?sig=SECRET";
    const rolledBack = mixed({
      rollback: { succeeded: true, instanceIds: ["0"], error: `odd ${secret}` },
      rolling: {
        code: "Faulted",
        successfulInstanceCount: 0,
        failedInstanceCount: 1,
        inProgressInstanceCount: 0,
        pendingInstanceCount: 0,
        error: { code: "Faulted", message: secret },
      },
    });
    const record = buildRecord(rolledBack, "It failed.", T0);
    expect(record.result).toBe("rolled-back");
    expect(JSON.stringify(record)).not.toContain("SECRET");
    expect(record.rolling?.error?.message).toBe("https://a.blob.core.windows.net/c/x.sh?[query removed]");
  });
});

describe("describeTarget / describeAll", () => {
  it("adds why an instance is unhealthy or what it waits for", () => {
    const s = state({
      instances: new Map([
        ["0", instance("0", { health: "unhealthy" })],
        ["1", instance("1", { latestModelApplied: false })],
      ]),
      assessments: new Map([
        ["0", { kind: "unhealthy", detail: "reports unhealthy" }],
        ["1", { kind: "pending", waitingFor: "the new model" }],
      ]),
    });
    expect(describeTarget(s, "0")).toBe(
      "0 (vmss1_0): provisioning Succeeded, power running, health unhealthy (reports unhealthy)",
    );
    expect(describeTarget(s, "1")).toMatch(/not on the latest model \(waiting for the new model\)$/);
    expect(describeTarget(s, "9")).toBe("9: no longer in the scale set");
    expect(describeAll(s, ["0", "1"])).toBe(
      "0 (vmss1_0): provisioning Succeeded, power running, health unhealthy (reports unhealthy); " +
        "1 (vmss1_1): provisioning Succeeded, power running, health healthy, not on the latest model (waiting for the new model)",
    );
  });
});

describe("imageLabel", () => {
  it("prefers an ID, then the exact version, then the version", () => {
    expect(imageLabel({ id: "/subscriptions/s/images/i", exactVersion: "1" })).toBe("/subscriptions/s/images/i");
    expect(imageLabel({ sharedGalleryImageId: "/sharedGalleries/g" })).toBe("/sharedGalleries/g");
    expect(imageLabel({ version: "latest", exactVersion: "1.2.3" })).toBe("1.2.3");
    expect(imageLabel({ version: "1.2.3" })).toBe("1.2.3");
  });
});

describe("instanceRecords: an unfinished instance the model moved away from after its upgrade", () => {
  // Instance 0, upgraded by this run (batch 1), runs the run's image and the model's extension as the run left it,
  // and is not on the latest model: another writer changed the model after its upgrade.
  const health = { name: "health", settings: { port: 80 } };
  const left = instance("0", { latestModelApplied: false, extensions: [health] });
  const base = {
    targets: new Set(["0"]),
    started: new Set(["0"]),
    batchOf: new Map([["0", 1]]),
    expectedImage: { imageVersion: "2.0.0" },
    expectedExtensions: [health],
    assessments: new Map([["0", { kind: "pending", waitingFor: "the new model" } as const]]),
  } satisfies Partial<RolloutState>;
  const monitorError = { code: "1", message: "Extension 'monitor': exit 1", extension: "monitor" };
  it.each([
    { name: "runs the run's model: the label", fields: {}, instance: left, code: "ModelChangedSinceUpgrade" },
    {
      name: "an unrelated extension's error: the label still explains why it is unfinished",
      fields: {},
      instance: { ...left, error: monitorError, errors: [monitorError] },
      code: "ModelChangedSinceUpgrade",
    },
    {
      name: "reports unhealthy on the run's model: unhealthy there, not unfinished",
      fields: {},
      instance: { ...left, health: "unhealthy" as const },
      code: "UnhealthyOnRolledOutModel",
      outcome: "unhealthy",
    },
    {
      name: "unhealthy when last seen running, now deallocated (no health to judge): the label",
      fields: {},
      instance: { ...left, health: "unhealthy" as const, powerState: "deallocated" },
      code: "ModelChangedSinceUpgrade",
    },
    {
      name: "runs the image before (its upgrade did not reach it yet): no label",
      fields: {},
      instance: { ...left, imageReference: { version: "1.0.0" } },
      code: undefined,
    },
    {
      name: "Azure is still upgrading it: no label",
      fields: {},
      instance: { ...left, provisioningState: "Updating" },
      code: undefined,
    },
    {
      name: "its extensions not shown: no label",
      fields: {},
      instance: { ...left, extensions: undefined },
      code: undefined,
    },
    {
      name: "the run's own rollback put a part of the model back: no other writer to name",
      fields: {
        rollback: { succeeded: false, instanceIds: [], model: "changed-by-another-writer" as const },
        rollbackWrote: true,
      },
      instance: left,
      code: undefined,
    },
    {
      name: "a rollback that wrote nothing (another writer's change stopped it): the label",
      fields: {
        rollback: { succeeded: false, instanceIds: [], model: "changed-by-another-writer" as const },
        rollbackWrote: false,
      },
      instance: left,
      code: "ModelChangedSinceUpgrade",
    },
    {
      name: "never sent: no label",
      fields: { started: new Set<string>() },
      instance: left,
      code: undefined,
      outcome: "not-started",
    },
  ])("$name", ({ fields, instance: listed, code, outcome }) => {
    const s = state({ ...base, ...fields, instances: new Map([["0", listed]]) });
    // Stop reasons name it as the record does.
    expect(describeTarget(s, "0").includes("which another writer changed since its upgrade")).toBe(code !== undefined);
    const [record] = instanceRecords(s);
    expect(record?.outcome).toBe(outcome ?? "straggler");
    expect(record?.error?.code).toBe(code);
  });
});
