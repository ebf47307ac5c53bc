// Annotations: what shows on the run's page without opening the log. Plain text (core escapes workflow-command
// data itself), redacted like everything else.

import { FAILURE_OUTCOMES, type FailureOutcome, type InstanceRecord, type RolloutRecord } from "../domain/record.ts";
import { explainError } from "./error-help.ts";
import { truncate } from "./escape.ts";
import { redactText } from "../shared/redact.ts";
import { headline } from "./headline.ts";
import { idRanges } from "../domain/ids.ts";
import { failureHelp, modelMayBeRestored, OUTCOME_LABEL, plural, sortById } from "./instances.ts";

export interface Annotation {
  readonly level: "error" | "warning" | "notice";
  readonly title: string;
  readonly message: string;
}

/**
 * GitHub shows at most 10 error annotations per step: 8 instances, one line for the rest, and one left for the
 * run's own failure (core.setFailed).
 */
export const MAX_INSTANCE_ERRORS = 8;

/** One error per failed instance (capped), a warning for protected instances, a notice with the headline on success. */
export function annotationsFor(record: RolloutRecord): Annotation[] {
  const annotations: Annotation[] = [];
  const failed = FAILURE_OUTCOMES.flatMap((outcome) =>
    sortById(record.instances.filter((i) => i.outcome === outcome)).map((instance) => ({ instance, outcome })),
  );
  for (const { instance, outcome } of failed.slice(0, MAX_INSTANCE_ERRORS))
    annotations.push(instanceError(instance, outcome, modelMayBeRestored(record)));
  const rest = failed.slice(MAX_INSTANCE_ERRORS);
  if (rest.length > 0) {
    annotations.push({
      level: "error",
      title: `${plural(rest.length, "more instance")} failed`,
      message: `Instances ${plain(idRanges(rest.map((r) => r.instance.instanceId)), 2000)}: see the job summary for each one.`,
    });
  }
  if (record.stoppedByError !== undefined)
    annotations.push({
      level: "warning",
      title: "An error stopped the run; the final check found the rollout done",
      message: `${plain(record.stoppedByError, 1000)} The final check found the whole change in the model and every instance this run was to bring onto it there and healthy.`,
    });
  if (record.rollback?.stoppedByError !== undefined)
    annotations.push({
      level: "warning",
      title: "An error stopped the rollback; the final check found it done",
      message: `${plain(record.rollback.stoppedByError, 1000).replace(/[^.!?]$/, "$&.")} The final check found the previous model restored and every instance the rollback was to bring back on it and healthy.`,
    });
  // Of unknown state: sent an upgrade no listing since shows, or whose model could not be told (their extensions'
  // read refused). Counted in the headline; said here too, as failed ones are.
  const unknown = sortById(record.instances.filter((i) => i.outcome === "unknown"));
  if (unknown.length > 0) {
    annotations.push({
      level: "warning",
      title: `${plural(unknown.length, "instance")} in an unknown state`,
      message:
        `${unknown.length === 1 ? "Instance" : "Instances"} ${plain(idRanges(unknown.map((i) => i.instanceId)), 2000)}: ` +
        `the run could not tell at its end where ${unknown.length === 1 ? "it stands" : "they stand"} (see the job summary); check before a re-run or a rollback.`,
    });
  }
  // Only those behind: a protected instance already on the model (a re-run, say) keeps no old model.
  const skipped = record.instances.filter((i) => i.outcome === "skipped-protected" && !i.latestModelAfter);
  if (skipped.length > 0) {
    annotations.push({
      level: "warning",
      title: `${plural(skipped.length, "instance")} skipped (protected from scale-set actions)`,
      message:
        `${skipped.length === 1 ? "Instance" : "Instances"} ${plain(idRanges(skipped.map((i) => i.instanceId)), 2000)} ` +
        `${skipped.length === 1 ? "keeps" : "keep"} the old model: remove the protection, then re-run to upgrade.`,
    });
  }
  const own = record.instances.filter((i) => i.outcome === "skipped-own-model");
  if (own.length > 0) {
    annotations.push({
      level: "warning",
      title: `${plural(own.length, "VM")} skipped (attached with a profile of its own)`,
      message:
        `${own.length === 1 ? "VM" : "VMs"} ${plain(idRanges(own.map((i) => i.instanceId)), 2000)} ` +
        `${own.length === 1 ? "is" : "are"} not on the scale set's model and cannot be upgraded to it: change ${own.length === 1 ? "it" : "them"} as standalone VMs.`,
    });
  }
  if (record.result === "succeeded" || record.result === "unchanged" || record.result === "planned") {
    annotations.push({ level: "notice", title: "VMSS rollout", message: headline(record) });
  }
  return annotations;
}

function instanceError(instance: InstanceRecord, outcome: FailureOutcome, modelRestored: boolean): Annotation {
  const error = instance.error;
  const code = error ? `: ${plain(error.code, 120)}` : "";
  const help = error && explainError(error);
  const states = [
    instance.provisioningState && `provisioning ${instance.provisioningState}`,
    instance.powerState && `power ${instance.powerState}`,
    instance.health && `health ${instance.health}`,
  ].filter(Boolean);
  const lines = [
    `${plain(instance.name, 120)}: ${failureHelp(instance, outcome, modelRestored).happened}${states.length > 0 ? ` (${plain(states.join(", "), 200)})` : ""}`,
    help ? `${help.happened} Check: ${help.check}` : `Check ${failureHelp(instance, outcome, modelRestored).check}`,
    error ? `${help?.own === true ? "Why" : "Azure"}: ${plain(error.code, 120)}: ${plain(error.message, 1000)}` : "",
  ];
  return {
    level: "error",
    title: `Instance ${plain(instance.instanceId, 60)} ${OUTCOME_LABEL[instance.outcome]}${code}`,
    message: lines.filter((line) => line !== "").join("\n"),
  };
}

/** Azure text for an annotation: redacted, on one line, not too long. */
function plain(text: string, max: number): string {
  return truncate(redactText(text).replace(/\s+/g, " ").trim(), max);
}
