// Issue #12: the headline counts only what the run saw — a scale set deleted mid-run, instances never listed, and
// instances whose state the run lost track of.
import { describe, expect, it } from "vitest";
import { headline } from "../../../src/report/headline.ts";
import { buildOutputs } from "../../../src/report/outputs.ts";
import { renderSummary } from "../../../src/report/summary.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { instance, range, success } from "./fixtures.ts";

function failed(fields: Partial<RolloutRecord>): RolloutRecord {
  return { ...success(), result: "failed", reason: "Stopped.", ...fields };
}

describe("headline under lost knowledge", () => {
  it.each([
    {
      name: "scale set deleted: no instance counts",
      record: failed({ scaleSetDeleted: true, instances: [], batches: [] }),
      expected: "Rollout failed: the scale set was deleted during the run",
    },
    {
      name: "instances never listed",
      record: failed({ instancesListed: false, instances: [] }),
      expected: "Rollout failed: the instances could not be read",
    },
    {
      name: "instances whose state is unknown are counted apart, never on the new model",
      record: failed({
        instances: [
          ...range(0, 3).map((i) => instance(i, "updated")),
          ...range(3, 6).map((i) => instance(i, "unknown")),
          ...range(6, 9).map((i) => instance(i, "not-started")),
        ],
      }),
      expected: "Rollout failed: 3/9 instances on the new model, 3 not started, 3 in an unknown state",
    },
    {
      // The model write failed before any instance took the new model (a fuzz seed): not "0 instances back on the
      // previous model", which reads as if none were on it.
      name: "rolled back before any instance was upgraded: the model is back, nothing to bring back",
      record: {
        ...success(),
        result: "rolled-back" as const,
        reason: "The model update failed: InternalExecutionError: An internal execution error occurred.",
        instances: range(0, 3).map((i) => instance(i, "already-current")),
        batches: [],
        rollback: { succeeded: true, instanceIds: [] },
      },
      expected: "Rollout rolled back: the previous model is back, no instance had to be brought back",
    },
    {
      // Another writer's change during the rollback fails it (a fuzz seed): not the release's doing, nor the rollback's.
      name: "a rollback that another writer's change during it failed: said so at a glance",
      record: failed({
        instances: [...range(0, 2).map((i) => instance(i, "rolled-back")), instance(2, "not-started")],
        rollback: { succeeded: false, instanceIds: ["0", "1"], model: "changed-by-another-writer" },
      }),
      expected:
        "Rollout failed: 0/3 instances on the new model, 1 not started, 2 rolled back; the rollback failed: another writer changed the model during it",
    },
  ])("$name", ({ record, expected }) => {
    expect(headline(record)).toBe(expected);
    expect(renderSummary(record).split("\n")[0]).toContain(expected);
  });

  it("unknown instances are in no output list of a definite outcome", () => {
    const outputs = buildOutputs(failed({ instances: [instance(0, "updated"), instance(1, "unknown")] }));
    for (const name of ["updated-instances", "failed-instances", "skipped-instances", "pending-instances"])
      expect(JSON.parse(outputs[name] ?? "[]")).not.toContain("1");
  });
});

describe("summary of a scale set deleted mid-run", () => {
  it("offers neither resume nor rollback", () => {
    const summary = renderSummary(failed({ scaleSetDeleted: true, instances: [], batches: [] }));
    expect(summary).toContain("The scale set no longer exists");
    expect(summary).not.toMatch(/Resume|To roll back/);
  });
});
