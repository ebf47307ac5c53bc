import { describe, expect, it } from "vitest";
import { annotationsFor } from "../../../src/report/index.ts";
import { MAX_INSTANCE_ERRORS } from "../../../src/report/annotations.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { MODEL_CHANGED_SINCE_UPGRADE } from "../../../src/domain/verdict.ts";
import {
  cancelled,
  dryRun,
  failureWithStragglers,
  instance,
  range,
  rolledBack,
  success,
  thousandInstances,
  unchanged,
} from "./fixtures.ts";

describe("annotationsFor", () => {
  it.each([
    { name: "success", record: success(), levels: ["warning", "notice"] },
    { name: "unchanged", record: unchanged(), levels: ["notice"] },
    { name: "dry run", record: dryRun(), levels: ["notice"] },
    { name: "stragglers", record: failureWithStragglers(), levels: ["error", "error", "error", "error", "error"] },
    { name: "cancelled", record: cancelled(), levels: ["error", "error", "error", "error", "error"] },
    { name: "rolled back", record: rolledBack(), levels: [] },
  ])("$name: levels", ({ record, levels }) => {
    expect(annotationsFor(record).map((a) => a.level)).toEqual(levels);
  });

  it("gives one notice with the headline on success", () => {
    expect(annotationsFor(success()).at(-1)).toEqual({
      level: "notice",
      title: "VMSS rollout",
      message: "Rollout succeeded: 49/49 targeted instances on the new model, 1 skipped (protected)",
    });
  });

  it("titles each failed instance and explains its Azure error", () => {
    const [first] = annotationsFor(failureWithStragglers());
    expect(first?.title).toBe("Instance 11 failed: VMExtensionProvisioningError");
    expect(first?.message).toContain(
      "vmss-web_11: The upgrade failed. (provisioning Failed, power running, health healthy)",
    );
    expect(first?.message).toContain("An extension failed on the instance.");
    expect(first?.message).toContain("Azure: VMExtensionProvisioningError: VM has reported a failure");
  });

  it("explains a failure outcome that has no Azure error", () => {
    const straggler = annotationsFor(failureWithStragglers()).find((a) => a.title === "Instance 27 unfinished");
    expect(straggler?.message).toBe(
      "vmss-web_27: Still not on the latest model when the run ended; Azure may still finish it. " +
        "(provisioning Updating, power running, health initializing)\n" +
        "Check the provisioning state in the portal, then re-run: it waits for unfinished instances and upgrades the rest.",
    );
  });

  it("an unfinished instance the model moved away from after its upgrade reads as that, not as Azure still at it", () => {
    const record = failureWithStragglers();
    const moved = {
      ...record,
      instances: record.instances.map((i) =>
        i.instanceId === "27" ? { ...i, provisioningState: "Succeeded", error: MODEL_CHANGED_SINCE_UPGRADE } : i,
      ),
    };
    const straggler = annotationsFor(moved).find((a) => a.title?.startsWith("Instance 27 unfinished"));
    expect(straggler?.message).toContain("Upgraded to this run's model, then left behind");
    expect(straggler?.message).not.toContain("Azure may still finish it");
    // The action's own finding, not an error Azure returned.
    expect(straggler?.message).toContain("Why: ModelChangedSinceUpgrade:");
    expect(straggler?.message).not.toContain("Azure: ModelChangedSinceUpgrade");
  });

  it(`caps instance errors at ${MAX_INSTANCE_ERRORS} plus one counting the rest, leaving room for the run's own error`, () => {
    const errors = annotationsFor(thousandInstances()).filter((a) => a.level === "error");
    expect(errors).toHaveLength(MAX_INSTANCE_ERRORS + 1);
    expect(errors.at(-1)?.title).toBe("32 more instances failed");
    // The rest: failed 417…967 and every unhealthy one, in one numeric list.
    expect(errors.at(-1)?.message).toMatch(
      /^Instances 31, 81, 131, .*, 417, 431, .*, 981: see the job summary for each one\.$/,
    );
  });

  it("puts failed before unhealthy before unfinished, each by instance ID", () => {
    const record: RolloutRecord = {
      ...success(),
      result: "failed",
      instances: [instance(10, "straggler"), instance(2, "unhealthy"), instance(9, "failed"), instance(1, "failed")],
    };
    expect(annotationsFor(record).map((a) => a.title)).toEqual([
      "Instance 1 failed",
      "Instance 9 failed",
      "Instance 2 unhealthy",
      "Instance 10 unfinished",
    ]);
  });

  it.each([
    {
      ids: [3],
      title: "1 instance in an unknown state",
      says: "Instance 3: the run could not tell at its end where it stands",
    },
    {
      ids: [3, 4, 5],
      title: "3 instances in an unknown state",
      says: "Instances 3–5: the run could not tell at its end where they stand",
    },
  ])("warns once about instances in an unknown state ($title)", ({ ids, title, says }) => {
    // Counted in the headline, and before (a fuzz run, 2026-12-07) nowhere else on the run's page.
    const record: RolloutRecord = {
      ...cancelled(),
      instances: [...range(0, 3).map((i) => instance(i, "updated")), ...ids.map((i) => instance(i, "unknown"))],
    };
    const warnings = annotationsFor(record).filter((a) => a.level === "warning");
    expect(warnings.map((a) => a.title)).toEqual([title]);
    expect(warnings[0]?.message).toContain(says);
  });

  it("warns once about protected instances", () => {
    const record: RolloutRecord = { ...success(), instances: range(0, 4).map((i) => instance(i, "skipped-protected")) };
    expect(annotationsFor(record)[0]).toEqual({
      level: "warning",
      title: "4 instances skipped (protected from scale-set actions)",
      message: "Instances 0–3 keep the old model: remove the protection, then re-run to upgrade.",
    });
  });
});
