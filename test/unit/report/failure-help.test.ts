// Which help an instance's failure outcome reads with (report/instances.ts failureHelp): each says what happened to
// that instance, not to another kind (a review, 2026-12-07).
import { describe, expect, it } from "vitest";
import type { InstanceRecord } from "../../../src/domain/record.ts";
import {
  FAILURE_HELP,
  failureHelp,
  HEALTH_PENDING_HELP,
  LEFT_BEHIND_HELP,
  UNTOUCHED_HELP,
} from "../../../src/report/instances.ts";

function instance(fields: Partial<InstanceRecord>): InstanceRecord {
  return {
    instanceId: "1",
    name: "vmss1_1",
    latestModelBefore: false,
    latestModelAfter: false,
    outcome: "straggler",
    ...fields,
  };
}

describe("failureHelp", () => {
  it.each([
    {
      row: "unfinished, still being upgraded",
      record: instance({ batch: 1, provisioningState: "Updating" }),
      help: FAILURE_HELP.straggler,
    },
    {
      row: "unfinished, idle off the latest model after its batch's manualupgrade ended",
      record: instance({ batch: 1, provisioningState: "Succeeded" }),
      help: LEFT_BEHIND_HELP,
    },
    {
      row: "unfinished, idle off the latest model, left to the platform's roll (no batch): Azure may still reach it",
      record: instance({ provisioningState: "Succeeded" }),
      help: FAILURE_HELP.straggler,
    },
    {
      row: "unfinished on the latest model: its health was still waited for",
      record: instance({ batch: 1, latestModelAfter: true, provisioningState: "Succeeded", health: "unhealthy" }),
      help: HEALTH_PENDING_HELP,
    },
    {
      row: "unfinished, idle off the latest model, after a rollback put the previous model back: not told apart",
      record: instance({ batch: 1, provisioningState: "Succeeded" }),
      restored: true,
      help: FAILURE_HELP.straggler,
    },
    {
      row: "unfinished on the latest model after a rollback put the previous model back: not its health",
      record: instance({ batch: 1, latestModelAfter: true, provisioningState: "Succeeded", health: "unhealthy" }),
      restored: true,
      help: FAILURE_HELP.straggler,
    },
    {
      row: "unfinished on the latest model and healthy (not a health wait)",
      record: instance({ batch: 1, latestModelAfter: true, provisioningState: "Succeeded", health: "healthy" }),
      help: FAILURE_HELP.straggler,
    },
    {
      row: "unhealthy, upgraded by Azure's roll (no batch)",
      record: instance({ outcome: "unhealthy", latestModelAfter: true, health: "unhealthy" }),
      help: FAILURE_HELP.unhealthy,
    },
    {
      row: "unhealthy, on the latest model before the run",
      record: instance({ outcome: "unhealthy", latestModelBefore: true, latestModelAfter: true }),
      help: UNTOUCHED_HELP.unhealthy,
    },
  ] as { row: string; record: InstanceRecord; restored?: boolean; help: unknown }[])(
    "$row",
    ({ record, restored, help }) => {
      expect(failureHelp(record, record.outcome as "straggler" | "unhealthy", restored)).toBe(help);
    },
  );
});
