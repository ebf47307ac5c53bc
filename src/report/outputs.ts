// The action's outputs (action.yml `outputs:`), as strings for core.setOutput.

import type { InstanceOutcome, RolloutRecord } from "../domain/record.ts";
import { neutraliseCommands } from "../shared/gate.ts";
import { redactText } from "../shared/redact.ts";
import { FAILED_OUTCOMES, idsWithOutcome } from "./instances.ts";

const UPDATED: ReadonlySet<InstanceOutcome> = new Set(["updated"]);
const SKIPPED: ReadonlySet<InstanceOutcome> = new Set(["skipped-protected", "skipped-own-model"]);
const PENDING: ReadonlySet<InstanceOutcome> = new Set(["not-started"]);
const UNKNOWN: ReadonlySet<InstanceOutcome> = new Set(["unknown"]);

/**
 * `result`; `updated-instances`, `failed-instances`, `skipped-instances`, `pending-instances`, `unknown-instances` as JSON arrays of instance ID strings in
 * numeric order; `previous-model` as JSON (`null` when the run has none (see action.yml)); `summary-json`, the whole
 * record as JSON; `deployment-id`, the GitHub deployment's ID ("" when none was recorded).
 */
export function buildOutputs(record: RolloutRecord): Record<string, string> {
  return {
    result: record.result,
    "updated-instances": instanceIds(record, UPDATED),
    "failed-instances": instanceIds(record, FAILED_OUTCOMES),
    "skipped-instances": instanceIds(record, SKIPPED),
    "pending-instances": instanceIds(record, PENDING),
    "unknown-instances": instanceIds(record, UNKNOWN),
    "previous-model": JSON.stringify(redactStrings(record.previousModel ?? null)),
    "summary-json": JSON.stringify(redactRecord(record)),
    "deployment-id": record.deployment?.id?.toString() ?? "",
  };
}

/** The IDs of the instances with one of `outcomes`, as JSON: IDs as Azure lists them, so redacted as the rest. */
function instanceIds(record: RolloutRecord, outcomes: ReadonlySet<InstanceOutcome>): string {
  return JSON.stringify(redactStrings(idsWithOutcome(record.instances, outcomes)));
}

/**
 * The record with SAS query strings removed from every string, again: the engine already redacts, but an output
 * lives on in logs and later steps. The portal link keeps its `#` fragment (the link, not a secret), but not a command:
 * it is built from the scale set's ID as Azure gave it (an audit, 2026-12-06: `##[stop-commands]` in it).
 */
function redactRecord(record: RolloutRecord): RolloutRecord {
  const redacted = redactStrings(record);
  return { ...redacted, target: { ...redacted.target, portalUrl: neutraliseCommands(record.target.portalUrl) } };
}

/**
 * And workflow-command syntax in Azure's words made inert (`##[` → `## [`, a line-initial `::` → `: :`), as in the log:
 * the runner does not read an output, but a later step that prints a value of it (`jq -r .reason`) writes it to the
 * log as a line of its own (an audit, 2026-12-06). Text without such a pattern is kept byte for byte.
 */
function redactStrings<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
    typeof v === "string" ? neutraliseCommands(redactText(v)) : v,
  ) as T;
}
