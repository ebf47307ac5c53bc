// Inputs that cannot do what they say, as warnings: batch options on a scale set where Azure rolls the change itself,
// rollback-on-failure on a change that cannot be undone, a poll-interval that drains Azure's throttling bucket for
// instance lists, and a canary that is the whole rollout. Pure.

import { formatDuration } from "../shared/clock.ts";
import { extensionOf, fileUrisOf, floatsToLatest, imageIdVersion, isNoOp, type ModelChange } from "./change.ts";
import {
  autoForceUpdateTag,
  type ChangeRequest,
  type Config,
  type RolloutOptions,
  type Size,
} from "../config/types.ts";
import type { BatchPlan } from "./batches.ts";
import type { ScaleSetModel } from "./scale-set.ts";

/** Below this poll-interval a large scale set's lists drain Azure's HighCostGetVMScaleSet bucket. */
const MIN_CLOUD_POLL_MS = 5_000;

const CANARY_TITLE = "Canary is the whole rollout";
const CANARY_FIX =
  "Set canary to a part of the instances (e.g. 1 or 10%), or remove canary to roll out in batches of batch-size.";

export interface OptionWarning {
  readonly message: string;
  readonly title: string;
}

/**
 * rollback-on-failure on a run that writes no model (the model already holds the change: a run re-run after it stopped)
 * but still has instances to upgrade: a failure would not be rolled back, since the run has no model of its own
 * before it to put back. Undefined otherwise.
 */
export function resumeWarning(
  rollout: Pick<RolloutOptions, "rollbackOnFailure" | "dryRun">,
  change: ModelChange,
  toUpgrade: number,
): OptionWarning | undefined {
  if (!rollout.rollbackOnFailure || rollout.dryRun || !isNoOp(change) || toUpgrade === 0) return undefined;
  // In every upgrade mode: with no model to write, no roll of Azure's starts, and the run upgrades them in its own
  // batches (RunState.platformRolls).
  const what = `It upgrades the ${toUpgrade} instance(s) still on an older model, in batches; if that fails, they are left as they are.`;
  return {
    message:
      `rollback-on-failure will not act in this run: the model already holds the requested values (an earlier run ` +
      `wrote them), so this run writes no model and has none of its own before it to put back. ${what} To undo the ` +
      `change itself, run the action with rollback: true.`,
    title: "rollback-on-failure cannot act",
  };
}

/**
 * A scale set in Automatic or Rolling mode whose model already holds the change (a re-run after a stopped roll) but
 * has instances still on an older model: with no model write Azure starts no roll, so the run upgrades them itself,
 * with manualupgrade in its own batches and gates, and the scale set's rolling upgrade policy does not apply to them.
 * A review (2026-12-07): this was said only beside rollback-on-failure, and the docs said batch-size, canary and
 * max-unhealthy have no effect in these modes. Undefined otherwise.
 */
export function platformResumeWarning(
  model: Pick<ScaleSetModel, "name" | "upgradeMode">,
  rollout: Pick<RolloutOptions, "batchSize" | "canary" | "maxUnhealthyPercent" | "dryRun">,
  change: ModelChange,
  toUpgrade: number,
): OptionWarning | undefined {
  if (model.upgradeMode === "Manual" || !isNoOp(change) || toUpgrade === 0) return undefined;
  const canary = rollout.canary === undefined ? "" : `, a canary of ${sizeText(rollout.canary)} first`;
  const policy = model.upgradeMode === "Rolling" ? "the scale set's rolling upgrade policy does not apply to them" : "";
  return {
    message:
      `Scale set '${model.name}' is in ${model.upgradeMode} upgrade mode, and its model already holds the requested ` +
      `values (an earlier run wrote them), so no model is written and Azure starts no roll. This run ` +
      `${rollout.dryRun ? "would upgrade" : "upgrades"} the ${toUpgrade} instance(s) still on an older model itself, with manualupgrade in ` +
      `batches of batch-size ${sizeText(rollout.batchSize)}${canary}, behind its own health gates (max-unhealthy ` +
      `${rollout.maxUnhealthyPercent}%)${policy ? `; ${policy}` : ""}.`,
    title: "Resumed in the action's batches",
  };
}

/** The warnings for these options on this scale set and change, in the order they are to be logged. */
export function optionWarnings(
  config: Pick<Config, "rollout" | "cloud"> & Partial<Pick<Config, "github">>,
  model: ScaleSetModel,
  change: ModelChange,
  request: ChangeRequest = {},
): OptionWarning[] {
  const { rollout, cloud } = config;
  const warnings: OptionWarning[] = [];
  const floating = floatingImage(model, request, isNoOp(change));
  if (floating !== undefined) warnings.push(floating);
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
  if (model.upgradeMode !== "Manual" && change.scaleSetPatch !== undefined && change.extensionPatch !== undefined) {
    // Each model write starts a roll of its own (engine/phases/platform.ts): the image's, then the extension's.
    warnings.push({
      message:
        `This run changes the image and extension '${change.extensionPatch.name}' of scale set '${model.name}', which is in ` +
        `${model.upgradeMode} upgrade mode: Azure rolls each model write on its own, so every instance is upgraded twice ` +
        `(the image first, then the extension), and if the first roll fails or times out the extension is not written: ` +
        `the scale set is left with the new image and the old extension. To change both in one roll, switch the scale ` +
        `set to Manual mode; or change them in two runs.`,
      title: "Two rolls",
    });
  }
  // A count of instances that covers the whole scale set (`20` where `20%` was meant, say): one batch, no gate between
  // batches. An input review's find (2026-12-05). A percentage is written as one (`100%`), so it is not warned of.
  const capacity = model.capacity;
  if (
    model.upgradeMode === "Manual" &&
    !isNoOp(change) &&
    rollout.canary === undefined && // a canary batch comes first, with its gate
    rollout.batchSize.kind === "count" &&
    capacity !== undefined &&
    capacity >= 2 &&
    rollout.batchSize.value >= capacity
  ) {
    warnings.push({
      message:
        `batch-size ${rollout.batchSize.value} is a count of instances, and scale set '${model.name}' has ${capacity}: ` +
        `every instance is upgraded in one batch, so no health gate stands between batches and max-unhealthy cannot ` +
        `stop the rollout before every instance has the new model. For a share of the instances, write a percentage ` +
        `(batch-size: ${Math.min(rollout.batchSize.value, 100)}%).`,
      title: "One batch",
    });
  }
  // The same tag again (a fixed value on a second run): nothing of the extension is written. An input review's find.
  // Only when nothing is written: a new image reimages each instance's OS disk, and its extensions run again on it.
  if (request.extension?.forceUpdateTag !== undefined && isNoOp(change)) {
    const current = extensionOf(model, request.extension.name);
    const tag = request.extension.forceUpdateTag;
    // This workflow run's own `auto` value: an earlier attempt of the run wrote it, and this re-run resumes.
    const thisRuns = config.github?.runId !== undefined && tag === autoForceUpdateTag(config.github.runId);
    if (current !== undefined && current.forceUpdateTag === tag)
      warnings.push({
        message: thisRuns
          ? `force-update-tag '${tag}' is already in extension '${current.name}': an earlier attempt of this workflow ` +
            `run wrote it (force-update-tag: auto is the same for every attempt of a run, so that a re-run resumes). ` +
            `The extension is not written again, and instances already on the model do not run it again; those not ` +
            `on it yet are brought onto it. To run the extension again on every instance, start a new workflow run or ` +
            `give force-update-tag a new value.`
          : `force-update-tag '${tag}' is what extension '${current.name}' already holds, so the extension is not ` +
            `written and this run does not make it run again: Azure re-runs an extension when its tag or settings ` +
            `change. Give a new value each run (force-update-tag: auto uses the workflow run's ID).`,
        title: "force-update-tag unchanged",
      });
  }
  // Manual mode only: in the platform's modes canary has no effect at all (warned of above).
  if (model.upgradeMode === "Manual" && rollout.canary?.kind === "percent" && rollout.canary.value === 100) {
    warnings.push({
      message:
        `canary 100% covers every instance to upgrade, so the canary is the whole rollout in one batch: every ` +
        `instance gets the new model at once, and there is no later batch for the canary to protect. ${CANARY_FIX}`,
      title: CANARY_TITLE,
    });
  }
  if (rollout.rollbackOnFailure && !isNoOp(change) && change.rollback.impossible !== undefined) {
    warnings.push({
      message:
        `rollback-on-failure cannot undo this change (${change.rollback.impossible}): if the rollout fails, no ` +
        `rollback is done and the instances stay on the new model.`,
      title: "rollback-on-failure cannot act",
    });
  }
  const patch = change.extensionPatch;
  const current = patch !== undefined ? extensionOf(model, patch.name) : undefined;
  if (patch?.settings?.["fileUris"] !== undefined && current !== undefined && fileUrisOf(current) === undefined) {
    // Assumption: a Custom Script extension may keep its fileUris in protectedSettings, which Azure never returns; the
    // same key in both is refused by the extension (as commandToExecute is). Not verified against Azure: a warning.
    warnings.push({
      message:
        `Extension '${current.name}' has no fileUris in its settings: the action adds them there. If it keeps its ` +
        `fileUris in protectedSettings (which Azure never shows), the extension may refuse to have them in both: ` +
        `check its definition before rolling out.`,
      title: "fileUris added to an extension",
    });
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

/**
 * A canary that takes every instance to upgrade (a count or a percentage that comes to at least their number): the
 * canary batch is then the whole rollout, in one batch, and no later batch is held back by it. Judged on the batch
 * plan, where the number of instances is known. One instance to upgrade is one batch whatever the options, so it
 * warns only from two instances on. `100%` is warned of earlier, once the scale set is read (optionWarnings).
 */
export function canaryWarnings(rollout: Pick<RolloutOptions, "canary">, plan: BatchPlan): OptionWarning[] {
  const { canary } = rollout;
  const [first, ...rest] = plan.batches;
  if (canary === undefined || first?.canary !== true || rest.length > 0) return [];
  // `100%` is warned of once the scale set is read, before anything is written (optionWarnings).
  if (canary.kind === "percent" && canary.value === 100) return [];
  const n = plan.toUpgrade.length;
  if (n < 2) return [];
  return [
    {
      message:
        `canary ${sizeText(canary)} covers all ${n} instance${n === 1 ? "" : "s"} to upgrade, so the canary is the whole ` +
        `rollout in one batch: every instance gets the new model at once, and there is no later batch for the canary ` +
        `to protect. ${CANARY_FIX}`,
      title: CANARY_TITLE,
    },
  ];
}

function sizeText(size: Size): string {
  return size.kind === "percent" ? `${size.value}%` : String(size.value);
}

/**
 * The model already names the image version `latest` (or a gallery image without a version) and the run asks for the
 * same: nothing is written, and no instance moves to a version published since. Each instance keeps the version
 * resolved when it was created or last reimaged; Azure marks none stale for a new version (assumed from the docs'
 * "latest" semantics, not verified against Azure).
 */
function floatingImage(model: ScaleSetModel, request: ChangeRequest, noOp: boolean): OptionWarning | undefined {
  // Automatic OS image upgrades roll a newly published version out themselves.
  if (model.automaticOsUpgrade === true) return undefined;
  const current = model.imageReference;
  const sameLatest =
    request.imageVersion !== undefined &&
    request.imageVersion.toLowerCase() === "latest" &&
    (current.version ?? "").toLowerCase() === "latest";
  // A gallery image's ID without a version, or with `versions/latest`: both take the newest version when an instance
  // is created or reimaged (a managed image's ID has no version, and no newer one).
  const idVersion = request.imageId !== undefined ? imageIdVersion(request.imageId)?.toLowerCase() : undefined;
  const sameGalleryImage =
    request.imageId !== undefined &&
    floatsToLatest({ id: request.imageId }) &&
    current.id?.toLowerCase() === request.imageId.toLowerCase();
  if (!sameLatest && !sameGalleryImage) return undefined;
  const input = sameLatest
    ? "image-version: latest"
    : idVersion === "latest"
      ? "image-id ending in versions/latest"
      : "image-id without a version";
  return {
    message:
      `${input} is what scale set '${model.name}' already holds, so the image is not written` +
      `${noOp ? " and no instance is upgraded" : ""}: each instance keeps the image version resolved when it was ` +
      `created or last reimaged, and a version published since is not rolled out. Name the new version ` +
      `(image-version: 1.2.3, or the image version's ID) to roll it out.`,
    title: "Latest is not a new version",
  };
}
