// The one sentence that says whether the release reached every instance: the summary's title, the success notice.

import type { RolloutRecord, RolloutResult } from "../types.ts";
import { countOutcomes, plural, type OutcomeCounts } from "./instances.ts";

const RESULT_LABEL: Readonly<Record<RolloutResult, string>> = {
  succeeded: "Rollout succeeded",
  failed: "Rollout failed",
  "rolled-back": "Rollout rolled back",
  cancelled: "Rollout cancelled",
  unchanged: "Nothing to change",
  planned: "Dry run",
};

/** e.g. `Rollout succeeded: 47/50 instances on the new model, 2 failed, 1 skipped (protected)`. */
export function headline(record: RolloutRecord): string {
  const counts = countOutcomes(record.instances);
  const label = RESULT_LABEL[record.result];
  const tail = record.rollback && !record.rollback.succeeded ? "; the rollback failed" : "";
  const onModel = `${counts.onNewModel}/${plural(counts.total, "instance")}`;
  switch (record.result) {
    case "planned":
      return `${label}: ${planned(record, counts)}; nothing was changed`;
    case "unchanged":
      return `${label}: ${joinParts([`${onModel} already on the requested model`, ...problems(counts)])}`;
    case "rolled-back": {
      const back = `${plural(counts.byOutcome["rolled-back"], "instance")} back on the previous model`;
      return `${label}: ${joinParts([back, ...problems(counts, { rolledBack: false })])}${tail}`;
    }
    default:
      return `${label}: ${joinParts([`${onModel} on the new model`, ...problems(counts)])}${tail}`;
  }
}

/** Everything that is not on the new model, largest concern first; zero counts left out. */
function problems(counts: OutcomeCounts, options: { rolledBack: boolean } = { rolledBack: true }): string[] {
  const n = counts.byOutcome;
  return [
    n.failed > 0 ? `${n.failed} failed` : "",
    n.unhealthy > 0 ? `${n.unhealthy} unhealthy` : "",
    n.straggler > 0 ? `${n.straggler} unfinished` : "",
    n["not-started"] > 0 ? `${n["not-started"]} not started` : "",
    n["skipped-protected"] > 0 ? `${n["skipped-protected"]} skipped (protected)` : "",
    options.rolledBack && n["rolled-back"] > 0 ? `${n["rolled-back"]} rolled back` : "",
  ];
}

function planned(record: RolloutRecord, counts: OutcomeCounts): string {
  const toUpgrade = counts.byOutcome["not-started"];
  const batches = plural(record.batches.length, "batch", "batches");
  const parts = [
    `would upgrade ${toUpgrade} of ${plural(counts.total, "instance")} in ${batches}`,
    counts.byOutcome["already-current"] > 0 ? `${counts.byOutcome["already-current"]} already current` : "",
    counts.byOutcome["skipped-protected"] > 0 ? `${counts.byOutcome["skipped-protected"]} skipped (protected)` : "",
  ];
  return joinParts(parts);
}

function joinParts(parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join(", ");
}
