// Issue 16 in the report: the one-line way back (`rollback: true`) in every "To roll back" step, or why it cannot be
// used; a rollback run's summary says what it rolled back to and links the run that made the change.
import { describe, expect, it } from "vitest";
import { buildOutputs, headline, renderSummary } from "../../../src/report/index.ts";
import type { RolloutRecord } from "../../../src/domain/record.ts";
import { readable } from "../../e2e/harness.ts";
import { failureWithStragglers, IMAGE_CHANGE, success } from "./fixtures.ts";

const FIRST_RUN = "https://github.com/octo/app/actions/runs/41/attempts/1";

function reverted(finishing = false): RolloutRecord {
  const base = success();
  return {
    ...base,
    result: "reverted",
    // This run's own GitHub server: the recorded run is linked only to its page there.
    release: { repository: "octo/app", runId: "52", links: { repository: "https://github.com/octo/app" } },
    changes: [{ ...IMAGE_CHANGE, before: IMAGE_CHANGE.after, after: IMAGE_CHANGE.before }],
    rollbackOf: {
      run: { repository: "octo/app", runId: "41", attempt: "1", workflow: "deploy", url: FIRST_RUN },
      at: "2025-11-26T11:00:00.000Z",
      outcome: "failed",
      changes: [IMAGE_CHANGE],
      finishing,
    },
    scaleSetRecord: { written: true, undoable: false, note: "this run was a rollback" },
  };
}

describe("the one-line way back in every 'To roll back' step", () => {
  it.each([
    {
      name: "a success with its record written",
      record: { ...success(), scaleSetRecord: { written: true, undoable: true } },
    },
    {
      name: "a failure with its record written",
      record: { ...failureWithStragglers(), scaleSetRecord: { written: true, undoable: true } },
    },
  ])("$name: `rollback: true` first, the inputs after it", ({ record }) => {
    const summary = renderSummary(record);
    const step = summary.slice(summary.indexOf("roll back"));
    expect(step).toContain("`rollback: true`");
    expect(step).toContain("  rollback: true\n");
    expect(step.indexOf("rollback: true")).toBeLessThan(step.indexOf("image-version"));
  });

  it.each([
    {
      status: { written: false, undoable: false, note: "the rollout record was not written: there is no room" },
      why: /no room/,
    },
    {
      status: { written: true, undoable: false, note: "the change cannot be undone from the record: SAS" },
      why: /cannot be undone/,
    },
  ])("says why `rollback: true` cannot be used: $status.note", ({ status, why }) => {
    const summary = renderSummary({ ...success(), scaleSetRecord: status });
    const step = readable(summary.slice(summary.indexOf("To roll back")));
    expect(step).toMatch(/`rollback: true` cannot be used: /);
    expect(step).toMatch(why);
    expect(step).not.toContain("  rollback: true\n");
  });
});

describe("a rollback run's summary", () => {
  it("says it was a rollback, what it rolled back to (before → after), and links the run that made the change", () => {
    const record = reverted();
    const summary = renderSummary(record);
    const text = readable(summary);
    expect(headline(record)).toMatch(/^Rollback succeeded: .* on the restored model/);
    expect(text).toContain(
      `**Rollback** to the previous model: storageProfile.imageReference.version ${IMAGE_CHANGE.after} → ${IMAGE_CHANGE.before}`,
    );
    expect(summary).toContain(`<a href="${FIRST_RUN}">deploy run 41, attempt 1 of octo/app</a>`);
    expect(text).toContain("it ended failed");
    // The way forward again is the inputs: rollback: true never undoes a rollback.
    expect(text).toMatch(/To undo this rollback.*`rollback: true` never undoes a rollback/);
    expect(buildOutputs(record)["result"]).toBe("reverted");
    expect(JSON.parse(buildOutputs(record)["summary-json"] ?? "{}").rollbackOf.run.url).toBe(FIRST_RUN);
  });

  it("a rollback that finishes an earlier one says so", () => {
    const text = readable(renderSummary(reverted(true)));
    expect(text).toMatch(/\*\*Rollback, finished:\*\* the last change on the scale set was a rollback/);
  });
});
