// The one sentence that says whether the release reached every instance: the summary's title, the success notice.

import { protectedLeftWords, protectedOnlyNotBack, protectedRollbackParts } from "../domain/record.ts";
import type { RolloutRecord, RolloutResult } from "../domain/record.ts";
import { countOutcomes, plural, type OutcomeCounts } from "./instances.ts";

const RESULT_LABEL: Readonly<Record<RolloutResult, string>> = {
  succeeded: "Rollout succeeded",
  reverted: "Rollback succeeded",
  failed: "Rollout failed",
  "rolled-back": "Rollout rolled back",
  cancelled: "Rollout cancelled",
  unchanged: "Nothing to change",
  planned: "Dry run",
};

/**
 * How far a run that failed or was cancelled got before it stopped:
 * - `before-read`: it never read the scale set (sign-in, a wrong name, no permission): no model, no instances;
 * - `before-write`: it read the scale set but wrote nothing to Azure: no model write, no batch, no platform rollout;
 * - `wrote`: anything else, including every run that did not fail.
 */
export type Stage = "before-read" | "before-write" | "wrote";

export function stageOf(record: RolloutRecord): Stage {
  if (record.result !== "failed" && record.result !== "cancelled") return "wrote";
  if (record.previousModel === undefined && record.instances.length === 0 && record.upgradeMode === undefined)
    return "before-read";
  // Deleted during the run: "as they were" is false whatever was written, and what the run knew of its batches went
  // with the scale set (the record keeps none), so they cannot tell.
  if (record.scaleSetDeleted === true) return "wrote";
  const wroteSomething =
    record.modelUpdated ||
    record.modelWriteUnknown !== undefined ||
    record.modelWriteCutOff !== undefined ||
    record.batches.some((b) => b.startedAt !== undefined) ||
    record.rolling !== undefined ||
    // It judged instances (on the latest model already, failed there): not a run that stopped before its work.
    record.instances.some((i) => i.outcome === "failed" || i.outcome === "unhealthy") ||
    record.rollback !== undefined;
  return wroteSomething ? "wrote" : "before-write";
}

/**
 * e.g. `Rollout succeeded: 47/50 instances on the new model, 2 failed, 1 unfinished`. Instances protected from
 * scale-set actions are not counted against the run: `7/7 targeted instances on the new model, 1 skipped (protected)`.
 */
export function headline(record: RolloutRecord): string {
  const label = RESULT_LABEL[record.result];
  switch (stageOf(record)) {
    case "before-read":
      return `${label} before it reached the scale set`;
    case "before-write":
      return `${label} before it wrote anything to the scale set`;
    case "wrote":
      break;
  }
  // A deleted scale set has no instances to speak of: what the run knew of them is gone with it.
  if (record.scaleSetDeleted === true) return `${label}: the scale set was deleted during the run`;
  // A write cut off in flight and never read back: neither "nothing written" nor "model updated" would be the truth.
  if (!record.modelUpdated && record.modelWriteUnknown !== undefined)
    return `${label} while writing the model: whether Azure applied the change is unknown`;
  // No answer (cut off in flight, or lost) and not in the model when read: Azure may still apply what it had received.
  if (!record.modelUpdated && record.modelWriteCutOff !== undefined)
    return `${label} while writing the model: the write got no answer, and the model did not hold it when read`;
  const counts = countOutcomes(record.instances);
  const rollback = record.rollback;
  // A rollback that brought back everything but instances protected since their upgrade: how far it got, and which
  // are left on the new model (the run still fails: a mixed state is no success).
  const held = protectedOnlyNotBack(rollback);
  if (rollback !== undefined && held !== undefined) {
    const others = joinParts(problems(counts, { rolledBack: false }));
    const one = held.length === 1;
    // Named when few and plain (the headline is also an annotation and the deployment's description, unescaped).
    const named = held.length <= 3 && held.every((id) => /^[A-Za-z0-9._-]{1,80}$/.test(id));
    const who = named ? `${one ? "instance" : "instances"} ${held.join(", ")}` : plural(held.length, "instance");
    const left = protectedLeftWords(who, held.length);
    return `${label}: ${protectedRollbackParts(rollback, held).done}; ${left}${others === "" ? "" : ` (${others})`}`;
  }
  const notBack = rollback?.notBack?.length ?? 0;
  // Another writer's change to the model during a run that stopped, or after it: why instances are not on this run's
  // model may be that change, not the release (the reason and the table say which).
  const tail =
    rollback && !rollback.succeeded
      ? `; the rollback failed${notBack > 0 ? `, ${plural(notBack, "instance")} not brought back` : ""}` +
        // Not the release's doing, nor the rollback's: said at a glance (the reason says what that writer changed).
        (rollback.model === "changed-by-another-writer" ? ": another writer changed the model during it" : "")
      : rollback?.changedSince !== undefined
        ? "; another writer changed the model since"
        : rollback === undefined && record.modelChangedByAnother !== undefined && record.result !== "succeeded"
          ? "; another writer changed the model during the run"
          : "";
  // Never listed: say so, rather than count what was not seen.
  if (record.instancesListed === false && counts.total === 0) return `${label}: the instances could not be read${tail}`;
  switch (record.result) {
    case "planned":
      return `${label}: ${planned(record, counts)}; nothing was changed`;
    case "unchanged":
      return `${label}: ${joinParts([onModel(counts, "already on the requested model"), ...problems(counts)])}`;
    case "reverted":
      return `${label}: ${joinParts([onModel(counts, "on the restored model"), ...problems(counts)])}`;
    case "rolled-back": {
      // None brought back (the run failed before any instance took the new model): "0 instances back" would read as if
      // none were on the previous model.
      const broughtBack = counts.byOutcome["rolled-back"];
      const back =
        broughtBack > 0
          ? `${plural(broughtBack, "instance")} back on the previous model`
          : rollback?.changedSince === undefined
            ? "the previous model is back, no instance had to be brought back"
            : "no instance had to be brought back";
      return `${label}: ${joinParts([back, ...problems(counts, { rolledBack: false })])}${tail}`;
    }
    default:
      return `${label}: ${joinParts([onModel(counts, onNewModelWords(record)), ...problems(counts)])}${tail}`;
  }
}

/**
 * Where the instances a run brought over stand: `on the new model`, or `on the rolled-out model` after a rollback that
 * put the previous model back but did not bring every instance back (the new model is no longer the scale set's).
 */
export function onNewModelWords(record: RolloutRecord): string {
  const rollback = record.rollback;
  const restored =
    rollback?.succeeded === false && (rollback.model === "restored" || rollback.model === "partly-restored");
  return restored ? "on the rolled-out model" : "on the new model";
}

/**
 * `25/30 instances on the new model`, or `7/7 targeted instances on the new model` when protected instances were
 * left out of the run (they are counted separately, as skipped).
 */
export function onModel(counts: OutcomeCounts, where: string): string {
  if (counts.total === 0) return "the scale set has no instances";
  if (counts.targeted === 0) return "no instance to upgrade";
  const noun =
    counts.byOutcome["skipped-protected"] + counts.byOutcome["skipped-own-model"] > 0
      ? "targeted instance"
      : "instance";
  return `${counts.onNewModel}/${plural(counts.targeted, noun)} ${where}`;
}

/** Everything that is not on the new model, largest concern first; zero counts left out. */
function problems(counts: OutcomeCounts, options: { rolledBack: boolean } = { rolledBack: true }): string[] {
  const n = counts.byOutcome;
  return [
    n.failed > 0 ? `${n.failed} failed` : "",
    n.unhealthy > 0 ? `${n.unhealthy} unhealthy` : "",
    n.straggler > 0 ? `${n.straggler} unfinished` : "",
    n["not-started"] > 0 ? `${n["not-started"]} not started` : "",
    n.unknown > 0 ? `${n.unknown} in an unknown state` : "",
    n["skipped-protected"] > 0 ? `${n["skipped-protected"]} skipped (protected)` : "",
    n["skipped-own-model"] > 0 ? `${n["skipped-own-model"]} skipped (own model)` : "",
    n.removed > 0 ? `${n.removed} left the scale set` : "",
    options.rolledBack && n["rolled-back"] > 0 ? `${n["rolled-back"]} rolled back` : "",
  ];
}

function planned(record: RolloutRecord, counts: OutcomeCounts): string {
  const toUpgrade = counts.byOutcome["not-started"];
  const batches = plural(record.batches.length, "batch", "batches");
  // In Automatic and Rolling modes Azure rolls the change itself: the action plans no batches there. Not when the
  // model already holds the change (a resumed run): nothing is written, Azure rolls nothing, and the run's own batches
  // would upgrade them (platformResumeWarning; a review, 2026-12-07).
  const platform =
    (record.upgradeMode === "Automatic" || record.upgradeMode === "Rolling") && record.changes.length > 0;
  const parts = [
    toUpgrade === 0
      ? "no instance to upgrade"
      : platform
        ? `Azure would roll ${toUpgrade} of ${plural(counts.total, "instance")} (${record.upgradeMode} upgrade mode)`
        : `would upgrade ${toUpgrade} of ${plural(counts.total, "instance")} in ${batches}`,
    counts.byOutcome["already-current"] > 0 ? `${counts.byOutcome["already-current"]} already current` : "",
    counts.byOutcome["skipped-protected"] > 0 ? `${counts.byOutcome["skipped-protected"]} skipped (protected)` : "",
    counts.byOutcome["skipped-own-model"] > 0 ? `${counts.byOutcome["skipped-own-model"]} skipped (own model)` : "",
  ];
  return joinParts(parts);
}

function joinParts(parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join(", ");
}
