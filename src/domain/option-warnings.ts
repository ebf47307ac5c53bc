// Inputs that cannot do what they say, as warnings: batch options on a scale set where Azure rolls the change itself,
// and a poll-interval that drains Azure's throttling bucket for instance lists. Pure.

import { formatDuration } from "../shared/clock.ts";
import { isNoOp, type ModelChange } from "./change.ts";
import type { Config } from "../config/types.ts";
import type { ScaleSetModel } from "./scale-set.ts";

/** Below this poll-interval a large scale set's lists drain Azure's HighCostGetVMScaleSet bucket. */
const MIN_CLOUD_POLL_MS = 5_000;

export interface OptionWarning {
  readonly message: string;
  readonly title: string;
}

/** The warnings for these options on this scale set and change, in the order they are to be logged. */
export function optionWarnings(
  config: Pick<Config, "rollout" | "cloud">,
  model: ScaleSetModel,
  change: ModelChange,
): OptionWarning[] {
  const { rollout, cloud } = config;
  const warnings: OptionWarning[] = [];
  if (model.upgradeMode !== "Manual" && !isNoOp(change)) {
    // The options a user set away from action.yml's defaults (the parser says which): those were chosen on purpose.
    const ignored = rollout.nonDefaultBatchOptions ?? [];
    if (ignored.length > 0) {
      const how =
        model.upgradeMode === "Rolling" ? "by the scale set's rolling upgrade policy" : "on every instance at once";
      warnings.push({
        message:
          `${ignored.join(", ")} ${ignored.length === 1 ? "has" : "have"} no effect: scale set '${model.name}' is in ${model.upgradeMode} upgrade mode, ` +
          `where Azure rolls a model change itself (${how}) and the action only follows it. ` +
          `Set batches and thresholds in the scale set's upgrade policy, or switch it to Manual mode to have the action roll out in batches.`,
        title: "Rollout options ignored",
      });
    }
  }
  if (cloud.name !== "Custom" && rollout.pollIntervalMs < MIN_CLOUD_POLL_MS) {
    warnings.push({
      message:
        `poll-interval ${formatDuration(rollout.pollIntervalMs)} is below ${formatDuration(MIN_CLOUD_POLL_MS)}: every poll lists the instances, ` +
        `and each page of that list takes a token of Azure's HighCostGetVMScaleSet throttling bucket (10 a minute per scale set), ` +
        `so polling this fast ends in waits or 429 throttling on larger scale sets. The default is 15s.`,
      title: "Polling faster than Azure's limits",
    });
  }
  return warnings;
}
